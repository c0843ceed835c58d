"""The console's refund screen: a credit balance back to the customer, with a reason; over the policy's limit a
supervisor who did not ask sends it from /staff/approvals (the decision posts here)."""

from __future__ import annotations

import secrets
from decimal import Decimal

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import access, refund_queue
from portal.accounts.errors import DomainError, NotFound
from portal.accounts.models import Account, RefundStatus
from portal.accounts.policy import Policy
from portal.i18n import format_money
from portal.i18n import gettext as _
from portal.payments import refund_requests
from portal.settings import Settings
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.payments import context_or_none
from portal.web.urls import redirect_to

from ..refund_forms import StaffRefundForm
from . import approvals

_supervisors = guards.supervisor  # the class body's `guards` list hides the module below


def _online(settings: Settings) -> bool:
    return bool(settings.stripe_api_key)


async def _page(
    db: AsyncSession,
    settings: Settings,
    policy: Policy,
    account: Account,
    form: StaffRefundForm,
    status_code: int = 200,
    facts: refund_requests.RefundFacts | None = None,
) -> Template:
    """`facts`: the account's refund facts when the caller has just read them (the form starts from them)."""
    return Template(
        "payments/staff_refund.html",
        context={
            "facts": facts or await refund_requests.facts(db, account),
            "form": form,
            "online": _online(settings),
            "requests": await refund_queue.for_account(db, account.id),
            "threshold_cents": policy.refund_supervisor_threshold_cents,
        },
        status_code=status_code,
    )


class StaffRefundController(Controller):
    path = "/staff"
    guards = [guards.staff]

    @get("/accounts/{number:str}/refund", name="staff.refund")
    async def page(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        policy: CurrentPolicy,
        number: FromPath[str],
    ) -> Template:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        found = await refund_requests.facts(db_session, account)
        method = "online" if _online(settings) and found.refundable_online_cents >= found.credit_cents > 0 else "check"
        form = StaffRefundForm(
            data={"amount": Decimal(found.credit_cents) / 100, "method": method, "claim": secrets.token_urlsafe(16)}
        )
        return await _page(db_session, settings, policy, account, form, facts=found)

    @post("/accounts/{number:str}/refund", name="staff.refund.create")
    async def create(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        policy: CurrentPolicy,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Template | Redirect:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        form = await StaffRefundForm.from_request(request)
        if not form.claim.data:
            form.claim.data = secrets.token_urlsafe(16)
        if form.validate():
            try:
                refund = await refund_requests.request_refund(
                    db_session,
                    context_or_none(settings),
                    actor,
                    policy,
                    account,
                    amount_cents=form.amount_cents,
                    method=form.method.data,
                    reason=filled(form.reason.data),
                    check_number=form.check_number.data or "",
                    claim_key=f"staff:{form.claim.data}",
                )
            except DomainError as problem:
                form.add_error(
                    problem.field if problem.field and hasattr(form, problem.field) else "amount", problem.message
                )
            else:
                if refund.status == RefundStatus.PENDING_APPROVAL:
                    flash(request, _("Over the limit: the refund waits for a supervisor's approval."), "warning")
                else:
                    flash(request, _("Refund of %(amount)s sent.", amount=format_money(refund.amount_cents)), "success")
                return redirect_to("staff.account", number=account.number, anchor="ledger")
        return await _page(db_session, settings, policy, account, form, 400)

    @post("/refunds/{request_id:int}/{decision:str}", guards=[_supervisors], name="staff.refunds.decide")
    async def decide(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        actor: CurrentActor,
        request_id: FromPath[int],
        decision: FromPath[str],
    ) -> Redirect:
        if decision not in ("approve", "reject"):
            raise NotFound(_("No such decision."))
        data = await request.form()
        note = str(data.get("note", ""))
        if decision == "approve":  # sending money: show the preview first, and send only what it showed
            expected = str(data.get("fingerprint") or "")
            if not expected:
                return redirect_to("staff.approvals.refund_preview", request_id=request_id, query={"note": note})
            waiting = await approvals.waiting_refund(db_session, request_id)
            if approvals.changed_since_preview(request, "refund", waiting, expected):
                return redirect_to("staff.approvals.refund_preview", request_id=request_id)
        refund = await refund_requests.decide(
            db_session,
            context_or_none(settings),
            actor,
            request_id,
            approve=decision == "approve",
            note=note,
        )
        if refund.status == RefundStatus.SENT:
            flash(request, _("Refund of %(amount)s sent.", amount=format_money(refund.amount_cents)), "success")
        else:
            flash(request, _("Refund rejected."), "info")
        return redirect_to("staff.approvals")


ROUTES: list[ControllerRouterHandler] = [StaffRefundController]
