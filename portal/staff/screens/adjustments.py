"""The adjustment calculator: pick a kind, preview the result, submit it (posted now, or sent to a supervisor)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.accounts.errors import DomainError
from portal.accounts.models import Account, AdjustmentKind, AdjustmentStatus
from portal.accounts.policy import Policy
from portal.i18n import format_money
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import CurrentActor, CurrentPolicy, DbSession, FromPath, FromQuery, Today
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.urls import redirect_to

from .. import adjustments
from ..forms import KIND_FIELD, AdjustmentForm
from ._pages import staff_account
from ._params import refusal_field

# A meter-accuracy credit is proposed from the meter test that found it (screens/premises.py), not typed here.
KINDS = {k.value for k in AdjustmentKind if k != AdjustmentKind.METER_ACCURACY}


async def _page(
    db_session: DbSession,
    policy: Policy,
    account: Account,
    kind: str | None,
    form: AdjustmentForm,
    preview: object = None,
    status_code: int = 200,
) -> Template:
    facts = await adjustments.facts(db_session, account)
    form.offer(facts.bills, facts.fees, facts.hints)
    return Template(
        "staff/adjustment.html",
        context={
            "account": account,
            "kind": kind,
            "kinds": [k for k in AdjustmentKind if k.value in KINDS],
            "form": form,
            "facts": facts,
            "preview": preview,
            "threshold_cents": policy.adjustment_supervisor_threshold_cents,
        },
        status_code=status_code,
    )


class AdjustmentController(Controller):
    path = "/staff/accounts/{number:str}/adjustments"
    guards = [guards.staff]

    @get("/new", name="staff.adjustment.new")
    async def new(
        self,
        request: Request,
        db_session: DbSession,
        policy: CurrentPolicy,
        number: FromPath[str],
        kind: FromQuery[str | None] = None,
    ) -> Template:
        account = await staff_account(request, db_session, number)
        kind = kind if kind in KINDS else None
        return await _page(db_session, policy, account, kind, AdjustmentForm(data={"kind": kind}))

    @post("/", name="staff.adjustment.create")
    async def create(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Template | Redirect:
        """Without `action=submit` the form is a preview: the result is shown and nothing is recorded."""
        account = await staff_account(request, db_session, number)
        form = await AdjustmentForm.from_request(request)
        kind_value = form.kind.data if form.kind.data in KINDS else None
        if kind_value is None:
            return await _page(db_session, policy, account, None, AdjustmentForm(), status_code=400)
        kind = AdjustmentKind(kind_value)
        submitting = (await request.form()).get("action") == "submit"
        form.validate()
        if not submitting:
            form.reason.errors = []
        if form.errors:
            return await _page(db_session, policy, account, kind_value, form, status_code=400)
        try:
            if not submitting:
                preview = await adjustments.preview(db_session, account, kind, form.data_for_rule(), today, policy)
                return await _page(db_session, policy, account, kind_value, form, preview=preview)
            adjustment = await adjustments.request(
                db_session, actor, account, kind, form.data_for_rule(), filled(form.reason.data), today, policy
            )
        except DomainError as exc:
            form.add_error(refusal_field(form, exc, KIND_FIELD[kind_value]), exc.message)
            return await _page(db_session, policy, account, kind_value, form, status_code=exc.status_code)
        if adjustment.status == AdjustmentStatus.PENDING_APPROVAL:
            flash(request, _("Over the limit: sent to a supervisor for approval."), "warning")
        else:
            flash(request, _("Adjustment posted: %(amount)s.", amount=format_money(adjustment.amount_cents)), "success")
        return redirect_to("staff.account", number=account.number, anchor="adjustments")
