"""Premises and meters: a premise for new construction (address checks, route, services available), its page with
its meters, sets and tests; release a meter to it (an install order), order a meter change, record a meter test
(an over-registering meter proposes a credit through the adjustment flow). Service starts there through the usual
start screen (screens/start.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.accounts import meter_rules, meters, routes
from portal.accounts.errors import DomainError
from portal.accounts.models import Premise
from portal.i18n import format_money
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import CurrentActor, CurrentPolicy, DbSession, FromPath, Today
from portal.web.flash import flash
from portal.web.forms import Form, filled
from portal.web.urls import redirect_to

from .. import meter_desk, services
from ..meter_forms import ChangeMeterForm, MeterTestForm, PremiseForm, ReleaseMeterForm


async def _new_page(db_session: DbSession, form: PremiseForm, status_code: int = 200) -> Template:
    return Template("staff/premise_new.html", context={"form": form}, status_code=status_code)


async def _premise_form(request: Request | None, db_session: DbSession) -> PremiseForm:
    form = await PremiseForm.from_request(request) if request is not None else PremiseForm()
    form.route.choices = [(code, code) for code in await routes.codes(db_session)]
    return form


async def _page(
    db_session: DbSession,
    premise: Premise,
    today: dt.date,
    forms: dict[str, Form] | None = None,
    status_code: int = 200,
) -> Template:
    found = await meters.history(db_session, premise.id)
    current = await meters.current_meter(db_session, premise.id)
    forms = forms or {}
    context: dict[str, Any] = {
        "premise": premise,
        "current": current,
        **found,
        "release": forms.get("release") or ReleaseMeterForm(prefix="release", data={"due_on": today}),
        "change": forms.get("change") or ChangeMeterForm(prefix="change", data={"due_on": today}),
        "test": forms.get("test") or MeterTestForm(prefix="test", data={"tested_on": today}),
    }
    return Template("staff/premise.html", context=context, status_code=status_code)


class PremiseController(Controller):
    path = "/staff/premises"
    guards = [guards.staff]

    @get("/new", name="staff.premise.new")
    async def new(self, db_session: DbSession) -> Template:
        return await _new_page(db_session, await _premise_form(None, db_session))

    @post("/", name="staff.premise.create")
    async def create(self, request: Request, db_session: DbSession, actor: CurrentActor) -> Template | Redirect:
        form = await _premise_form(request, db_session)
        address = None
        if form.validate():
            address, problems = meter_rules.check_address(
                form.address.data, form.unit.data, form.city.data, form.state.data, form.zip.data
            )
            for name, message in problems:
                form.add_error(name, message)
        if form.errors or address is None:
            return await _new_page(db_session, form, 400)
        try:
            premise = await meters.create_premise(
                db_session,
                actor,
                address=address,
                route=filled(form.route.data),
                cycle=filled(form.cycle.data),
                services=list(form.services.data or []),
                solid_waste_carts=filled(form.solid_waste_carts.data),
                stormwater_erus=filled(form.stormwater_erus.data),
                hazards=form.hazards.data,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in ("address", "route", "services") else "address", exc.message)
            return await _new_page(db_session, form, 400)
        flash(request, _("Added %(address)s.", address=premise.one_line), "success")
        return redirect_to("staff.premise", premise_id=premise.id)

    @get("/{premise_id:int}", name="staff.premise")
    async def show(self, db_session: DbSession, today: Today, premise_id: FromPath[int]) -> Template:
        return await _page(db_session, await services.premise(db_session, premise_id), today)

    @post("/{premise_id:int}/meter", name="staff.premise.release")
    async def release(
        self, request: Request, db_session: DbSession, today: Today, actor: CurrentActor, premise_id: FromPath[int]
    ) -> Template | Redirect:
        premise = await services.premise(db_session, premise_id)
        form = await ReleaseMeterForm.from_request(request, prefix="release")
        if form.validate():
            try:
                meter, order = await meters.release_meter(
                    db_session,
                    actor,
                    premise,
                    serial=filled(form.serial.data),
                    size=filled(form.size.data),
                    due_on=filled(form.due_on.data),
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in ("serial", "size") else "serial", exc.message)
            else:
                flash(request, _("Meter %(serial)s released: install order %(id)s.", serial=meter.serial, id=order.id))
                return redirect_to("staff.premise", premise_id=premise.id)
        return await _page(db_session, premise, today, {"release": form}, 400)

    @post("/{premise_id:int}/change", name="staff.premise.change")
    async def change(
        self, request: Request, db_session: DbSession, today: Today, actor: CurrentActor, premise_id: FromPath[int]
    ) -> Template | Redirect:
        premise = await services.premise(db_session, premise_id)
        form = await ChangeMeterForm.from_request(request, prefix="change")
        current = await meters.current_meter(db_session, premise.id)
        if form.validate():
            try:
                if current is None:
                    raise DomainError(_("This premise has no meter to change."))
                order = await meters.order_change(
                    db_session, actor, current, due_on=filled(form.due_on.data), reason=filled(form.reason.data)
                )
            except DomainError as exc:
                form.add_error("reason", exc.message)
            else:
                flash(request, _("Meter change ordered: order %(id)s.", id=order.id))
                return redirect_to("staff.premise", premise_id=premise.id)
        return await _page(db_session, premise, today, {"change": form}, 400)

    @post("/{premise_id:int}/tests", name="staff.premise.test")
    async def test(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        premise_id: FromPath[int],
    ) -> Template | Redirect:
        premise = await services.premise(db_session, premise_id)
        form = await MeterTestForm.from_request(request, prefix="test")
        current = await meters.current_meter(db_session, premise.id)
        if form.validate():
            if current is None or current.installed_on is None:
                form.add_error("tested_on", _("This premise has no meter in service to test."))
            elif filled(form.tested_on.data) > today:
                form.add_error("tested_on", _("A test cannot be dated in the future."))
            else:
                outcome = await meter_desk.record_test(
                    db_session,
                    actor,
                    policy,
                    current,
                    tested_on=filled(form.tested_on.data),
                    low=filled(form.low.data),
                    mid=filled(form.mid.data),
                    high=filled(form.high.data),
                    note=form.note.data,
                    today=today,
                )
                flash(request, _message(outcome), "success" if outcome.verdict.passed else "warning")
                return redirect_to("staff.premise", premise_id=premise.id)
        return await _page(db_session, premise, today, {"test": form}, 400)


def _message(outcome: meter_desk.TestOutcome) -> str:
    words = (_("Passed.") if outcome.verdict.passed else _("Failed.")) + " " + outcome.verdict.reason
    if outcome.adjustment is not None:
        words += " " + _(
            "Credit proposed: %(amount)s (%(status)s).",
            amount=format_money(abs(outcome.adjustment.amount_cents)),
            status=_("waiting for a supervisor") if outcome.adjustment.status == "pending_approval" else _("posted"),
        )
    elif outcome.no_credit:
        words += " " + outcome.no_credit
    return words
