"""Start or move service, one question per page: the address, the date(s), contact details, the deposit, then a
check page that submits. The answers ride in the session until then (portal.customer.moves)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from portal import mail
from portal.accounts import confirmations, tenancy
from portal.accounts.models import Account, Premise
from portal.accounts.policy import Policy
from portal.i18n import gettext as _
from portal.web import guards, params
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, FromQuery, Today
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.urls import redirect_to

from .. import forms, moves, services
from ..moves import FLOW, FLOW_KINDS
from .common import form_page, in_view


def _flow(request: Request, kind: str) -> dict[str, Any]:
    if kind not in FLOW_KINDS:
        raise NotFoundException()
    flow = request.session.get(FLOW)
    if not isinstance(flow, dict) or flow.get("kind") != kind:
        flow = {"kind": kind}
    return flow


def _save_flow(request: Request, flow: dict[str, Any]) -> None:
    request.session[FLOW] = flow


async def _moving_from(request: Request, db_session: Any, kind: str) -> Account | None:
    """The account a move leaves (the one in view); a start leaves none."""
    return (await in_view(request, db_session))[1] if kind == "move" else None


async def _context(request: Request, db_session: Any, kind: str, **more: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"kind": kind}
    current = await _moving_from(request, db_session, kind)
    if current is not None:
        context["from_account"] = current
        context["from_premise"] = await db_session.get(Premise, current.premise_id)
    return {**context, **more}


async def _date_page(
    request: Request,
    db_session: Any,
    policy: Policy,
    today: dt.date,
    kind: str,
    flow: dict[str, Any],
    form: Any,
    status: int = 200,
) -> Template:
    context = await _context(
        request,
        db_session,
        kind,
        form=form,
        premise=await db_session.get(Premise, flow["premise_id"]),
        earliest=tenancy.earliest_date(policy, today),
    )
    return Template("customer/flow_date.html", context=context, status_code=status)


async def _deposit_page(
    request: Request,
    db_session: Any,
    policy: Policy,
    today: dt.date,
    kind: str,
    flow: dict[str, Any],
    form: forms.DepositForm,
    status: int = 200,
) -> Template:
    quote = await moves.quote(db_session, policy, flow, today, await _moving_from(request, db_session, kind))
    context = await _context(
        request, db_session, kind, form=form, quote=quote, premise=await db_session.get(Premise, flow["premise_id"])
    )
    return Template("customer/flow_deposit.html", context=context, status_code=status)


class StartMoveController(Controller):
    path = "/my"
    guards = [guards.customer]

    @get("/{kind:str}", name="customer.flow")
    async def flow_start(
        self,
        request: Request,
        db_session: DbSession,
        kind: FromPath[str],
        q: FromQuery[str | None] = None,
        zip: FromQuery[str | None] = None,
    ) -> Template:
        if kind not in FLOW_KINDS:
            raise NotFoundException()
        context = await _context(request, db_session, kind)
        search = forms.AddressSearchForm(data={"q": q or "", "zip": zip or ""})
        results: list[Premise] = []
        searched = q is not None
        if searched:
            if search.validate():
                results = await tenancy.find_premises(db_session, filled(search.q.data), search.zip.data or None)
            else:
                context.update(search=search, choose=None, results=[], searched=searched)
                return Template("customer/flow_address.html", context=context, status_code=400)
        choose = forms.ChooseAddressForm()
        choose.premise_id.choices = [(p.id, p.one_line) for p in results]
        context.update(search=search, choose=choose, results=results, searched=searched)
        return Template("customer/flow_address.html", context=context)

    @post("/{kind:str}/address", name="customer.flow.address")
    async def flow_address(self, request: Request, db_session: DbSession, kind: FromPath[str]) -> Template | Redirect:
        flow = _flow(request, kind)
        form = await forms.ChooseAddressForm.from_request(request)
        premise_id = params.id_or_none((await request.form()).get("premise_id"))
        premise = await db_session.get(Premise, premise_id) if premise_id else None
        form.premise_id.choices = [(premise.id, premise.one_line)] if premise else []
        valid = premise is not None and form.validate()
        if premise is not None and valid:
            # Someone else's service there with no stop set: said now, not after four more steps.
            occupied = await tenancy.occupants_leave(db_session, premise.id, request.user.customer_id)
            refusal = tenancy.occupied_refusal(*occupied, None)
            if refusal is not None:
                form.add_error("premise_id", refusal.message)
                valid = False
        if premise is None or not valid:
            if not form.errors:
                form.add_error("premise_id", _("Choose an address from the list."))
            context = await _context(
                request, db_session, kind, search=forms.AddressSearchForm(), choose=form, results=[], searched=False
            )
            return form_page("customer/flow_address.html", context)
        flow["premise_id"] = premise.id
        _save_flow(request, flow)
        return redirect_to("customer.flow.date", kind=kind)

    @get("/{kind:str}/date", name="customer.flow.date")
    async def flow_date_page(
        self, request: Request, db_session: DbSession, today: Today, policy: CurrentPolicy, kind: FromPath[str]
    ) -> Template | Redirect:
        flow = _flow(request, kind)
        if "premise_id" not in flow:
            return redirect_to("customer.flow", kind=kind)
        form_class = forms.MoveDatesForm if kind == "move" else forms.StartDateForm
        return await _date_page(request, db_session, policy, today, kind, flow, form_class(data=moves.dates_of(flow)))

    @post("/{kind:str}/date", name="customer.flow.date.save")
    async def flow_date(
        self, request: Request, db_session: DbSession, today: Today, policy: CurrentPolicy, kind: FromPath[str]
    ) -> Template | Redirect:
        flow = _flow(request, kind)
        if "premise_id" not in flow:
            return redirect_to("customer.flow", kind=kind)
        form_class = forms.MoveDatesForm if kind == "move" else forms.StartDateForm
        form = await form_class.from_request(request)
        if not moves.validate_dates(form, policy, today):
            return await _date_page(request, db_session, policy, today, kind, flow, form, 400)
        occupied = await tenancy.occupants_leave(db_session, flow["premise_id"], request.user.customer_id)
        refusal = tenancy.occupied_refusal(*occupied, filled(form.start_on.data))
        if refusal is not None:  # the one living there leaves later than this start
            form.add_error("start_on", refusal.message)
            return await _date_page(request, db_session, policy, today, kind, flow, form, 400)
        flow["start_on"] = filled(form.start_on.data).isoformat()
        if isinstance(form, forms.MoveDatesForm):
            flow["stop_on"] = filled(form.stop_on.data).isoformat()
        _save_flow(request, flow)
        return redirect_to("customer.flow.contact", kind=kind)

    @get("/{kind:str}/contact", name="customer.flow.contact")
    async def flow_contact_page(
        self, request: Request, db_session: DbSession, kind: FromPath[str]
    ) -> Template | Redirect:
        flow = _flow(request, kind)
        if "start_on" not in flow:
            return redirect_to("customer.flow", kind=kind)
        customer = await services.customer_of(db_session, request.user.id)
        form = forms.ContactForm(
            data={
                "phone": flow.get("phone") or customer.phone,
                "email": flow.get("email") or customer.email or request.user.email,
            }
        )
        context = await _context(request, db_session, kind, form=form, customer=customer)
        return Template("customer/flow_contact.html", context=context)

    @post("/{kind:str}/contact", name="customer.flow.contact.save")
    async def flow_contact(self, request: Request, db_session: DbSession, kind: FromPath[str]) -> Template | Redirect:
        flow = _flow(request, kind)
        if "start_on" not in flow:
            return redirect_to("customer.flow", kind=kind)
        form = await forms.ContactForm.from_request(request)
        if not form.validate():
            customer = await services.customer_of(db_session, request.user.id)
            return form_page(
                "customer/flow_contact.html", await _context(request, db_session, kind, form=form, customer=customer)
            )
        flow.update(phone=filled(form.phone.data).strip(), email=filled(form.email.data).strip())
        _save_flow(request, flow)
        return redirect_to("customer.flow.deposit", kind=kind)

    @get("/{kind:str}/deposit", name="customer.flow.deposit")
    async def flow_deposit_page(
        self, request: Request, db_session: DbSession, today: Today, policy: CurrentPolicy, kind: FromPath[str]
    ) -> Template | Redirect:
        flow = _flow(request, kind)
        if "email" not in flow:
            return redirect_to("customer.flow", kind=kind)
        form = forms.DepositForm(data=moves.deposit_form_data(flow))
        return await _deposit_page(request, db_session, policy, today, kind, flow, form)

    @post("/{kind:str}/deposit", name="customer.flow.deposit.save")
    async def flow_deposit(
        self, request: Request, db_session: DbSession, today: Today, policy: CurrentPolicy, kind: FromPath[str]
    ) -> Template | Redirect:
        flow = _flow(request, kind)
        if "email" not in flow:
            return redirect_to("customer.flow", kind=kind)
        form = await forms.DepositForm.from_request(request)
        if not form.validate():
            return await _deposit_page(request, db_session, policy, today, kind, flow, form, 400)
        if form.option.data == "letter":
            flow["letter"] = moves.letter_data(form)
        else:
            flow.pop("letter", None)
        _save_flow(request, flow)
        return redirect_to("customer.flow.check", kind=kind)

    @get("/{kind:str}/check", name="customer.flow.check")
    async def flow_check_page(
        self, request: Request, db_session: DbSession, today: Today, policy: CurrentPolicy, kind: FromPath[str]
    ) -> Template | Redirect:
        flow = _flow(request, kind)
        if "email" not in flow:
            return redirect_to("customer.flow", kind=kind)
        moving_from = await _moving_from(request, db_session, kind)
        quote = await moves.quote(db_session, policy, flow, today, moving_from, moves.letter_of(flow))
        dates = moves.dates_of(flow)
        context = await _context(
            request,
            db_session,
            kind,
            flow=flow,
            quote=quote,
            premise=await db_session.get(Premise, flow["premise_id"]),
            start_on=dates["start_on"],
            stop_on=dates.get("stop_on"),
        )
        return Template("customer/flow_check.html", context=context)

    @post("/{kind:str}/check", name="customer.flow.submit")
    async def flow_submit(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        kind: FromPath[str],
        settings: AppSettings,
    ) -> Template | Redirect:
        flow = _flow(request, kind)
        if "email" not in flow:
            return redirect_to("customer.flow", kind=kind)
        try:
            result = await moves.submit(
                db_session,
                actor,
                policy,
                request.user.id,
                flow,
                today=today,
                moving_from=await _moving_from(request, db_session, kind),
            )
        except tenancy.RequestRefused as exc:
            flash(request, exc.message, "error")
            return redirect_to(moves.step_to_change(exc), kind=kind)
        await confirmations.request_received(
            db_session,
            mail.OUTBOX,
            result.request,
            phone=settings.utility_phone,
            emergency_phone=settings.emergency_phone,
        )
        request.session.pop(FLOW, None)
        flash(request, moves.received_message(result), "success")
        return redirect_to("customer.requests", anchor=f"request-{result.request.id}")
