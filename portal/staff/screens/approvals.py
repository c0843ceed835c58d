"""The supervisor's approvals: adjustments over the limit, refunds, and drawers closed over or short."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.accounts import approval, ledger, refund_queue
from portal.accounts.actor import Actor
from portal.accounts.errors import NotFound
from portal.accounts.models import AdjustmentStatus, Role
from portal.billing import corrections
from portal.i18n import format_money
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import CurrentActor, DbSession, FromPath, FromQuery, Today
from portal.web.flash import flash
from portal.web.urls import redirect_to

from .. import adjustments, cashier, confirm
from ..forms import DecisionForm


async def waiting_adjustment(db_session: DbSession, adjustment_id: int) -> approval.Waiting | None:
    return next((w for w in await adjustments.waiting(db_session) if w.item.id == adjustment_id), None)


async def waiting_refund(db_session: DbSession, request_id: int) -> approval.Waiting | None:
    return next((w for w in await refund_queue.waiting(db_session) if w.item.id == request_id), None)


def plan_for(kind: str, waiting: approval.Waiting) -> confirm.Plan:
    """What approving this request does (post the adjustment, send the refund), as the plan the confirm checks."""
    return confirm.approval_plan(
        kind,
        waiting.item.id,
        waiting.account.number,
        waiting.customer.display_name,
        waiting.item.amount_cents,
        str(waiting.item.status),
    )


def changed_since_preview(request: Request, kind: str, waiting: approval.Waiting | None, expected: str) -> bool:
    """Whether the waiting request differs from the preview the approver confirmed (then say so and do nothing); a
    request no longer waiting is left to the decision itself to refuse."""
    if waiting is None or plan_for(kind, waiting).fingerprint == expected:
        return False
    flash(request, _("The request changed since the preview: nothing was done. Check it and confirm again."), "warning")
    return True


async def preview_page(
    db_session: DbSession, actor: Actor, kind: str, waiting: approval.Waiting | None, note: str
) -> Template:
    if waiting is None:
        raise NotFound(_("Nothing with that number is waiting for approval: it may have been decided already."))
    refusal = approval.may_decide(
        approver_id=actor.user_id or 0,
        approver_is_supervisor=actor.role in (Role.SUPERVISOR, Role.ADMIN),
        requester_id=waiting.item.requested_by_id,
    )
    balance = await ledger.balance(db_session, waiting.account.id)
    return Template(
        "staff/approval_confirm.html",
        context={
            "kind": kind,
            "waiting": waiting,
            "plan": plan_for(kind, waiting),
            "balance": balance,
            "balance_after": balance + waiting.item.amount_cents if kind == "adjustment" else None,
            "note": note[:300],
            "refusal": refusal,  # the four-eyes rule, said before the confirm (the decision checks it again)
        },
    )


class ApprovalController(Controller):
    path = "/staff/approvals"
    guards = [guards.supervisor]

    @get("/", name="staff.approvals")
    async def queue(self, db_session: DbSession) -> Template:
        return Template(
            "staff/approvals.html",
            context={
                "waiting": await adjustments.waiting(db_session),
                "refunds": await refund_queue.waiting(db_session),
                "rebills": await corrections.waiting(db_session),
                "flagged": await cashier.flagged_drawers(db_session),
                "form": DecisionForm(),
            },
        )

    @get("/{adjustment_id:int}/{decision:str}", name="staff.approvals.preview")
    async def preview(
        self,
        db_session: DbSession,
        actor: CurrentActor,
        adjustment_id: FromPath[int],
        decision: FromPath[str],
        note: FromQuery[str] = "",
    ) -> Template:
        """What approve-and-post will do, with the confirm button (approving posts money: it is never one click)."""
        if decision != "approve":
            raise NotFound(_("No such decision."))
        return await preview_page(
            db_session, actor, "adjustment", await waiting_adjustment(db_session, adjustment_id), note
        )

    @get("/refunds/{request_id:int}/approve", name="staff.approvals.refund_preview")
    async def refund_preview(
        self, db_session: DbSession, actor: CurrentActor, request_id: FromPath[int], note: FromQuery[str] = ""
    ) -> Template:
        return await preview_page(db_session, actor, "refund", await waiting_refund(db_session, request_id), note)

    @post("/{adjustment_id:int}/{decision:str}", name="staff.approvals.decide")
    async def decide(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        actor: CurrentActor,
        adjustment_id: FromPath[int],
        decision: FromPath[str],
    ) -> Redirect:
        if decision not in ("approve", "reject"):
            raise NotFound(_("No such decision."))
        form = await DecisionForm.from_request(request)
        if decision == "approve":
            expected = str((await request.form()).get("fingerprint") or "")
            if not expected:  # a first post: show what approving does before it is done
                return redirect_to(
                    "staff.approvals.preview",
                    adjustment_id=adjustment_id,
                    decision="approve",
                    query={"note": form.note.data or ""},
                )
            waiting = await waiting_adjustment(db_session, adjustment_id)
            if changed_since_preview(request, "adjustment", waiting, expected):
                return redirect_to("staff.approvals.preview", adjustment_id=adjustment_id, decision="approve")
        adjustment = await adjustments.decide(
            db_session, actor, adjustment_id, approve=decision == "approve", note=form.note.data or "", today=today
        )
        if adjustment.status == AdjustmentStatus.POSTED:
            flash(
                request, _("Approved and posted: %(amount)s.", amount=format_money(adjustment.amount_cents)), "success"
            )
        else:
            flash(request, _("Rejected."), "info")
        return redirect_to("staff.approvals")
