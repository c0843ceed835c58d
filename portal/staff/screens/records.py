"""Correct the records: the customer, the account's rate class and services, the premise and the meter. Each form
posts one change (audited with before and after) and comes back to this page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select

from portal.accounts import records
from portal.accounts.errors import DomainError
from portal.accounts.models import Account, Customer, Meter, Premise, RateScheduleRecord
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import CurrentActor, DbSession, FromPath
from portal.web.flash import flash
from portal.web.forms import Form
from portal.web.params import BadValue, parse_id
from portal.web.urls import redirect_to

from ..records_forms import AccountClassForm, CustomerForm, MeterForm, PremiseForm, ServiceForm
from ._pages import staff_account
from ._params import refusal_field


async def rate_codes(db_session: DbSession) -> dict[str, str]:
    """Every rate code with its service kind, for the service forms."""
    rows = await db_session.execute(select(RateScheduleRecord.rate_code, RateScheduleRecord.service_kind).distinct())
    return {code: str(kind) for code, kind in rows}


async def page(db_session: DbSession, account: Account, status_code: int = 200, **forms: Form) -> Template:
    customer = await db_session.get(Customer, account.customer_id)
    premise = await db_session.get(Premise, account.premise_id)
    meters = list(
        await db_session.scalars(select(Meter).where(Meter.premise_id == account.premise_id).order_by(Meter.id))
    )
    context: dict[str, Any] = {
        "account": account,
        "customer": customer,
        "premise": premise,
        "meters": meters,
        "services": await records.services_of(db_session, account),
        "rates": await rate_codes(db_session),
        "customer_form": CustomerForm(obj=customer),
        "class_form": AccountClassForm(data={"account_class": account.account_class.value}),
        "premise_form": PremiseForm(obj=premise),
        "meter_forms": {m.id: MeterForm(obj=m, data={"meter_id": m.id}) for m in meters},
        "service_form": ServiceForm(),
    }
    if "meter_form" in forms:
        meter_form = forms.pop("meter_form")
        context["meter_forms"][int(meter_form["meter_id"].data)] = meter_form
    context.update(forms)
    return Template("staff/records.html", context=context, status_code=status_code)


async def refused(
    db_session: DbSession, account: Account, form: Form, name: str, exc: DomainError, fallback: str
) -> Template:
    form.add_error(refusal_field(form, exc, fallback), exc.message)
    return await page(db_session, account, exc.status_code, **{name: form})


def saved(request: Request, account: Account, changed: dict[str, Any], anchor: str) -> Redirect:
    flash(request, _("Saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect_to("staff.records", number=account.number, anchor=anchor)


class RecordsController(Controller):
    path = "/staff/accounts/{number:str}/records"
    guards = [guards.staff]

    @get("/", name="staff.records")
    async def show(self, request: Request, db_session: DbSession, number: FromPath[str]) -> Template:
        return await page(db_session, await staff_account(request, db_session, number))

    @post("/customer", name="staff.records.customer")
    async def customer(
        self, request: Request, db_session: DbSession, actor: CurrentActor, number: FromPath[str]
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await CustomerForm.from_request(request)
        if not form.validate():
            return await page(db_session, account, 400, customer_form=form)
        values = {name: (form[name].data or "").strip() or None for name in records.CUSTOMER_FIELDS}
        values["first_name"] = values["first_name"] or ""
        values["last_name"] = values["last_name"] or ""
        try:
            changed = await records.correct_customer(db_session, actor, account, values)
        except DomainError as exc:
            return await refused(db_session, account, form, "customer_form", exc, "last_name")
        return saved(request, account, changed, "customer")

    @post("/class", name="staff.records.account_class")
    async def account_class(
        self, request: Request, db_session: DbSession, actor: CurrentActor, number: FromPath[str]
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await AccountClassForm.from_request(request)
        if not form.validate():
            return await page(db_session, account, 400, class_form=form)
        changed = await records.correct_account(db_session, actor, account, str(form.account_class.data))
        return saved(request, account, changed, "account")

    @post("/premise", name="staff.records.premise")
    async def premise(
        self, request: Request, db_session: DbSession, actor: CurrentActor, number: FromPath[str]
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await PremiseForm.from_request(request)
        if not form.validate():
            return await page(db_session, account, 400, premise_form=form)
        values = {name: form[name].data for name in records.PREMISE_FIELDS}
        for name in ("address", "unit", "city", "state", "zip", "hazards"):
            values[name] = (values[name] or "").strip() or None
        values["state"] = (values["state"] or "").upper()
        try:
            changed = await records.correct_premise(db_session, actor, account, values)
        except DomainError as exc:
            return await refused(db_session, account, form, "premise_form", exc, "address")
        return saved(request, account, changed, "premise")

    @post("/meter", name="staff.records.meter")
    async def meter(
        self, request: Request, db_session: DbSession, actor: CurrentActor, number: FromPath[str]
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await MeterForm.from_request(request)
        try:
            meter_id = parse_id(form.meter_id.data or "")
        except BadValue:
            raise DomainError(_("Choose a meter."), field="meter_id") from None
        meter = await records.meter_of(db_session, account, meter_id)
        if not form.validate():
            return await page(db_session, account, 400, meter_form=form)
        values = {"size": form.size.data, "multiplier": form.multiplier.data, "location_note": form.location_note.data}
        values["location_note"] = (values["location_note"] or "").strip() or None
        changed = await records.correct_meter(db_session, actor, account, meter.id, values)
        return saved(request, account, changed, f"meter-{meter.id}")

    @post("/services", name="staff.records.service")
    async def service(
        self, request: Request, db_session: DbSession, actor: CurrentActor, number: FromPath[str]
    ) -> Template | Redirect:
        """With a service_id: change that service (rate, quantity, end); without: add one."""
        account = await staff_account(request, db_session, number)
        form = await ServiceForm.from_request(request)
        if not form.validate():
            return await page(db_session, account, 400, service_form=form)
        codes = await rate_codes(db_session)
        try:
            if form.service_id.data:
                try:
                    service_id = parse_id(form.service_id.data)
                except BadValue:
                    raise DomainError(_("Choose a service."), field="kind") from None
                changed: dict[str, Any] = await records.change_service(
                    db_session,
                    actor,
                    account,
                    service_id,
                    rate_code=str(form.rate_code.data).strip(),
                    quantity=int(form.quantity.data or 0),
                    ended_on=form.ended_on.data,
                    known_rate_codes=codes,
                )
            else:
                if form.started_on.data is None:
                    raise DomainError(_("Enter the day the service starts."), field="started_on")
                service = await records.add_service(
                    db_session,
                    actor,
                    account,
                    kind=str(form.kind.data),
                    rate_code=str(form.rate_code.data).strip(),
                    quantity=int(form.quantity.data or 0),
                    started_on=form.started_on.data,
                    known_rate_codes=codes,
                )
                changed = {"service": service.id}
        except DomainError as exc:
            return await refused(db_session, account, form, "service_form", exc, "kind")
        return saved(request, account, changed, "services")
