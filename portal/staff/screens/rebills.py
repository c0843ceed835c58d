"""Reads and rebills: enter an office or customer-reported read, correct a wrong one, or cancel and rebill a bill
after fixing the records. A change that touches a billed period cancels and rebills those bills (or waits for a
supervisor above the threshold: the approvals queue decides it here too)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select

from portal.accounts.errors import DomainError, NotFound
from portal.accounts.models import Account, Bill, CorrectionKind, CorrectionStatus, Meter, MeterRead
from portal.accounts.policy import Policy
from portal.accounts.reads import uses_since_previous
from portal.billing import corrections
from portal.i18n import format_money
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, Today
from portal.web.flash import flash
from portal.web.forms import Form
from portal.web.urls import redirect_to

from ..forms import DecisionForm
from ..records_forms import ReadCorrectionForm, ReadEntryForm, RebillForm
from ._pages import staff_account
from ._params import refusal_field


async def page(
    db_session: DbSession, account: Account, policy: Policy, status_code: int = 200, **forms: Form
) -> Template:
    meters = await corrections.meters_of(db_session, account)
    reads = list(
        await db_session.execute(
            select(MeterRead, Meter)
            .join(Meter, Meter.id == MeterRead.meter_id)
            .where(Meter.id.in_([m.id for m in meters]))
            .order_by(MeterRead.read_at.desc(), MeterRead.id.desc())
            .limit(24)
        )
    )
    bills = list(
        await db_session.scalars(
            select(Bill).where(Bill.account_id == account.id).order_by(Bill.period_end.desc(), Bill.id.desc()).limit(24)
        )
    )
    context: dict[str, Any] = {
        "account": account,
        "meters": [m for m in meters if m.removed_on is None],
        "reads": reads,
        "read_use": uses_since_previous([(r.id, m.id, r.value, m.dials, m.multiplier) for r, m in reads]),
        "bills": bills,
        "notices": await corrections.notices(db_session, bills),
        "history": await corrections.for_account(db_session, account.id),
        "threshold_cents": policy.rebill_supervisor_threshold_cents,
        "correction_form": ReadCorrectionForm(),
        "entry_form": ReadEntryForm(),
        "rebill_form": RebillForm(),
        **forms,
    }
    return Template("staff/reads.html", context=context, status_code=status_code)


def done(request: Request, account: Account, correction: Any) -> Redirect:
    if correction.status == CorrectionStatus.PENDING_APPROVAL:
        flash(request, _("Over the limit: sent to a supervisor for approval. Nothing changed yet."), "warning")
    elif correction.bill_ids:
        flash(
            request,
            _(
                "Done: %(count)d bill(s) cancelled and rebilled, %(amount)s.",
                count=len(correction.bill_ids),
                amount=format_money(correction.amount_cents),
            ),
            "success",
        )
    else:
        flash(request, _("Saved. No bill was touched: the next bill uses it."), "success")
    return redirect_to("staff.reads", number=account.number)


class ReadsController(Controller):
    path = "/staff/accounts/{number:str}/reads"
    guards = [guards.staff]

    @get("/", name="staff.reads")
    async def show(
        self, request: Request, db_session: DbSession, policy: CurrentPolicy, number: FromPath[str]
    ) -> Template:
        return await page(db_session, await staff_account(request, db_session, number), policy)

    async def _request(
        self,
        request: Request,
        db_session: DbSession,
        actor: Any,
        account: Account,
        policy: Policy,
        today: Any,
        timezone: str,
        form: Form,
        name: str,
        kind: CorrectionKind,
        change: dict[str, Any],
        fallback: str,
    ) -> Template | Redirect:
        number = account.number
        try:
            correction = await corrections.request(
                db_session, actor, account, kind, change, str(form["reason"].data), today, policy, timezone
            )
        except DomainError as exc:
            await db_session.rollback()
            account = await staff_account(request, db_session, number)
            form.add_error(refusal_field(form, exc, fallback), exc.message)
            return await page(db_session, account, policy, exc.status_code, **{name: form})
        return done(request, account, correction)

    @post("/correct", name="staff.reads.correct")
    async def correct(
        self,
        request: Request,
        db_session: DbSession,
        actor: CurrentActor,
        policy: CurrentPolicy,
        today: Today,
        settings: AppSettings,
        number: FromPath[str],
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await ReadCorrectionForm.from_request(request)
        if not form.validate():
            return await page(db_session, account, policy, 400, correction_form=form)
        change = {"read_id": form.read_id.data, "value": form.value.data}
        return await self._request(
            request, db_session, actor, account, policy, today, settings.timezone, form, "correction_form",
            CorrectionKind.READ_CORRECTED, change, "value",
        )  # fmt: skip

    @post("/enter", name="staff.reads.enter")
    async def enter(
        self,
        request: Request,
        db_session: DbSession,
        actor: CurrentActor,
        policy: CurrentPolicy,
        today: Today,
        settings: AppSettings,
        number: FromPath[str],
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await ReadEntryForm.from_request(request)
        if not form.validate():
            return await page(db_session, account, policy, 400, entry_form=form)
        change = {
            "meter_id": form.meter_id.data,
            "value": form.value.data,
            "read_on": form.read_on.data,
            "source": form.source.data,
        }
        return await self._request(
            request, db_session, actor, account, policy, today, settings.timezone, form, "entry_form",
            CorrectionKind.READ_ENTERED, change, "value",
        )  # fmt: skip

    @post("/rebill", name="staff.rebill")
    async def rebill(
        self,
        request: Request,
        db_session: DbSession,
        actor: CurrentActor,
        policy: CurrentPolicy,
        today: Today,
        settings: AppSettings,
        number: FromPath[str],
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await RebillForm.from_request(request)
        if not form.validate():
            return await page(db_session, account, policy, 400, rebill_form=form)
        return await self._request(
            request, db_session, actor, account, policy, today, settings.timezone, form, "rebill_form",
            CorrectionKind.RECORDS, {"bill_ids": [form.bill_id.data]}, "bill_id",
        )  # fmt: skip


class RebillApprovalController(Controller):
    path = "/staff/approvals/rebills"
    guards = [guards.supervisor]

    @post("/{correction_id:int}/{decision:str}", name="staff.approvals.rebill")
    async def decide(
        self,
        request: Request,
        db_session: DbSession,
        actor: CurrentActor,
        policy: CurrentPolicy,
        today: Today,
        settings: AppSettings,
        correction_id: FromPath[int],
        decision: FromPath[str],
    ) -> Redirect:
        if decision not in ("approve", "reject"):
            raise NotFound(_("No such decision."))
        form = await DecisionForm.from_request(request)
        correction = await corrections.decide(
            db_session,
            actor,
            correction_id,
            approve=decision == "approve",
            note=form.note.data or "",
            today=today,
            policy=policy,
            timezone=settings.timezone,
        )
        if correction.status == CorrectionStatus.DONE:
            flash(
                request,
                _("Approved: bills cancelled and rebilled, %(amount)s.", amount=format_money(correction.amount_cents)),
                "success",
            )
        else:
            flash(request, _("Rejected."), "info")
        return redirect_to("staff.approvals")
