"""The supervisor's approvals: adjustments over the limit, refunds, and drawers closed over or short."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.accounts import refund_queue
from portal.accounts.errors import NotFound
from portal.accounts.models import AdjustmentStatus
from portal.i18n import format_money
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import CurrentActor, DbSession, FromPath, Today
from portal.web.flash import flash
from portal.web.urls import redirect_to

from .. import adjustments, cashier
from ..forms import DecisionForm


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
                "flagged": await cashier.flagged_drawers(db_session),
                "form": DecisionForm(),
            },
        )

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
