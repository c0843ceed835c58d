"""Start service for a customer at the counter or on the phone: find the address, then one form. The same
`tenancy.start_service` as the resident's own start: a pending account with its services, the deposit by its rule
(billed once, or waived by a letter of credit), and a start order for the field."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.accounts import deposits, numbers, tenancy
from portal.accounts.errors import DomainError
from portal.accounts.models import AccountClass, Premise
from portal.accounts.policy import Policy
from portal.i18n import format_date, format_money
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, FromQuery, Today
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.urls import redirect_to, url

from .. import services
from ..forms import StartServiceForm
from ._pages import address_search, confirm_request
from ._params import refusal_field


async def _page(
    db_session: DbSession,
    policy: Policy,
    today: dt.date,
    premise: Premise,
    form: StartServiceForm,
    status_code: int = 200,
) -> Template:
    quotes = [
        (cls, await deposits.quote(db_session, policy, premise_id=premise.id, account_class=cls, today=today))
        for cls in AccountClass
    ]
    return Template(
        "staff/start.html",
        context={"premise": premise, "form": form, "quotes": quotes, "earliest": tenancy.earliest_date(policy, today)},
        status_code=status_code,
    )


class StartServiceController(Controller):
    path = "/staff/start"
    guards = [guards.staff]

    @get("/", name="staff.start")
    async def search(
        self,
        request: Request,
        db_session: DbSession,
        q: FromQuery[str | None] = None,
        zip: FromQuery[str | None] = None,
        customer: FromQuery[str] = "",
    ) -> Template:
        search, results, status = await address_search(db_session, q, zip)
        query = {"customer": numbers.normalize(customer)} if customer and numbers.is_valid(customer) else None
        return Template(
            "staff/address_search.html",
            context={
                "title": _("Start service"),
                "heading": _("Where should service start?"),
                "action": url(request, "staff.start"),
                "search": search,
                "results": results,
                "searched": q is not None,
                "links": [(url(request, "staff.start.new", premise_id=p.id, query=query), p) for p in results],
                "customer": customer,
            },
            status_code=status,
        )

    @get("/{premise_id:int}", name="staff.start.new")
    async def new(
        self,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        premise_id: FromPath[int],
        customer: FromQuery[str] = "",
    ) -> Template:
        premise = await services.premise(db_session, premise_id)
        form = StartServiceForm(data={"customer_account": customer, "start_on": tenancy.earliest_date(policy, today)})
        return await _page(db_session, policy, today, premise, form)

    @post("/{premise_id:int}", name="staff.start.create")
    async def create(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        settings: AppSettings,
        premise_id: FromPath[int],
    ) -> Template | Redirect:
        premise = await services.premise(db_session, premise_id)
        form = await StartServiceForm.from_request(request)
        customer = None
        if form.validate() and (form.customer_account.data or "").strip():
            customer = await services.customer_by_account_number(db_session, filled(form.customer_account.data))
            if customer is None:
                form.add_error("customer_account", _("No account has this number."))
        if form.errors:
            return await _page(db_session, policy, today, premise, form, 400)
        try:
            result = await tenancy.start_service(
                db_session,
                actor,
                policy,
                premise_id=premise.id,
                start_on=filled(form.start_on.data),
                today=today,
                customer=customer,
                identity=None if customer else form.identity(),
                account_class=AccountClass(form.account_class.data),
                letter=form.letter_or_none(),
                link_user_id=await services.resident_login(db_session, customer_id=customer.id) if customer else None,
            )
        except DomainError as exc:
            fallback = "customer_account" if exc.field == "premise_id" else "start_on"
            form.add_error(refusal_field(form, exc, fallback), exc.message)
            return await _page(db_session, policy, today, premise, form, 400)
        flash(
            request,
            _(
                "Service at %(address)s starts on %(date)s: account %(number)s is pending, deposit %(deposit)s.",
                address=premise.one_line,
                date=format_date(result.order.due_on),
                number=numbers.display(result.account.number),
                deposit=format_money(result.decision.required_cents),
            ),
            "success",
        )
        await confirm_request(request, db_session, settings, result.request)
        return redirect_to("staff.account", number=result.account.number, anchor="orders")
