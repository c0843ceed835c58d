"""Transfer service: the customer leaves this account's address for another. `tenancy.move_service`, as the
resident's move: a stop order here (final bill to the new address) and a start at the new address, one request."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.accounts import deposits, numbers, summary, tenancy
from portal.accounts.errors import DomainError
from portal.accounts.models import Account, Premise
from portal.accounts.policy import Policy
from portal.i18n import format_date
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, FromQuery, Today
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.urls import redirect_to, url

from .. import services
from ..forms import MoveServiceForm
from ._pages import address_search, confirm_request, staff_account
from ._params import refusal_field


async def _page(
    db_session: DbSession,
    policy: Policy,
    today: dt.date,
    account: Account,
    premise: Premise,
    form: MoveServiceForm,
    status_code: int = 200,
) -> Template:
    quote = await deposits.quote(
        db_session,
        policy,
        premise_id=premise.id,
        account_class=account.account_class,
        today=today,
        moving_from=account.id,
    )
    return Template(
        "staff/move.html",
        context={
            "account": account,
            "summary": await summary.summarize(db_session, account),
            "premise": premise,
            "form": form,
            "quotes": [(account.account_class, quote)],
            "earliest": tenancy.earliest_date(policy, today),
        },
        status_code=status_code,
    )


class MoveServiceController(Controller):
    path = "/staff/accounts/{number:str}/move"
    guards = [guards.staff]

    @get("/", name="staff.move")
    async def search(
        self,
        request: Request,
        db_session: DbSession,
        number: FromPath[str],
        q: FromQuery[str | None] = None,
        zip: FromQuery[str | None] = None,
    ) -> Template:
        account = await staff_account(request, db_session, number)
        search, results, status = await address_search(db_session, q, zip)
        return Template(
            "staff/address_search.html",
            context={
                "title": _("Transfer service"),
                "heading": _("Where is the customer moving to?"),
                "action": url(request, "staff.move", number=account.number),
                "search": search,
                "results": results,
                "searched": q is not None,
                "account": account,
                "links": [
                    (url(request, "staff.move.new", number=account.number, premise_id=p.id), p)
                    for p in results
                    if p.id != account.premise_id
                ],
            },
            status_code=status,
        )

    @get("/{premise_id:int}", name="staff.move.new")
    async def new(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        number: FromPath[str],
        premise_id: FromPath[int],
    ) -> Template:
        account = await staff_account(request, db_session, number)
        premise = await services.premise(db_session, premise_id)
        earliest = tenancy.earliest_date(policy, today)
        form = MoveServiceForm(data={"stop_on": earliest, "start_on": earliest})
        return await _page(db_session, policy, today, account, premise, form)

    @post("/{premise_id:int}", name="staff.move.create")
    async def create(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        settings: AppSettings,
        number: FromPath[str],
        premise_id: FromPath[int],
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        premise = await services.premise(db_session, premise_id)
        form = await MoveServiceForm.from_request(request)
        if not form.validate():
            return await _page(db_session, policy, today, account, premise, form, 400)
        try:
            result = await tenancy.move_service(
                db_session,
                actor,
                policy,
                account,
                stop_on=filled(form.stop_on.data),
                premise_id=premise.id,
                start_on=filled(form.start_on.data),
                today=today,
                letter=form.letter_or_none(),
                link_user_id=await services.resident_login(
                    db_session, account_id=account.id, customer_id=account.customer_id
                ),
            )
        except DomainError as exc:
            form.add_error(refusal_field(form, exc, "stop_on"), exc.message)
            return await _page(db_session, policy, today, account, premise, form, 400)
        flash(
            request,
            _(
                "Service moves to %(address)s: stop here on %(stop)s, start there on %(start)s (account %(number)s).",
                address=premise.one_line,
                stop=format_date(form.stop_on.data),
                start=format_date(form.start_on.data),
                number=numbers.display(result.account.number),
            ),
            "success",
        )
        await confirm_request(request, db_session, settings, result.request)
        return redirect_to("staff.account", number=result.account.number, anchor="orders")
