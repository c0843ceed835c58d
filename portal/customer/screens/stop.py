"""Stop service at the address in view (the final read and bill follow)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal import mail
from portal.accounts import confirmations, tenancy
from portal.accounts.models import Premise
from portal.accounts.policy import Policy
from portal.i18n import format_date
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, Today
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.urls import redirect_to

from .. import forms, service_requests
from .common import in_view


async def _stop_page(
    request: Request,
    db_session: Any,
    policy: Policy,
    today: dt.date,
    form: forms.StopForm | None = None,
    status: int = 200,
) -> Template:
    accounts, current = await in_view(request, db_session)
    premise = await db_session.get(Premise, current.premise_id)
    refusal = await tenancy.stop_refusal(db_session, current)
    form = form or forms.StopForm()
    # the phone's date picker offers only the days the rule allows
    form.stop_on.render_kw = {
        "min": tenancy.earliest_date(policy, today).isoformat(),
        "max": tenancy.latest_date(policy, today).isoformat(),
    }
    return Template(
        "customer/stop.html",
        context={
            "form": form,
            "account": current,
            "accounts": accounts,
            "premise": premise,
            "refusal": refusal.message if refusal and status == 200 else None,  # said first, not after the form
        },
        status_code=status,
    )


class StopController(Controller):
    path = "/my"
    guards = [guards.customer]

    @get("/stop", name="customer.stop")
    async def stop_page(self, request: Request, db_session: DbSession, today: Today, policy: CurrentPolicy) -> Template:
        return await _stop_page(request, db_session, policy, today)

    @post("/stop", name="customer.stop.submit")
    async def stop(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        settings: AppSettings,
    ) -> Template | Redirect:
        form = await forms.StopForm.from_request(request)
        valid = form.validate()
        # the date's rule with the form's own checks, so every problem is told at once (not the address, then the date)
        if form.stop_on.data is not None and (problem := tenancy.date_problem(policy, today, form.stop_on.data)):
            form.add_error("stop_on", problem)
            valid = False
        if not valid:
            return await _stop_page(request, db_session, policy, today, form, 400)
        _accounts, current = await in_view(request, db_session)
        try:
            asked = await service_requests.stop_service(
                db_session,
                actor,
                policy,
                current,
                stop_on=filled(form.stop_on.data),
                forwarding_address=filled(form.forwarding_address.data),
                today=today,
            )
        except tenancy.RequestRefused as exc:
            form.add_error(exc.field or "stop_on", exc.message)
            return await _stop_page(request, db_session, policy, today, form, 400)
        await confirmations.request_received(
            db_session, mail.OUTBOX, asked, phone=settings.utility_phone, emergency_phone=settings.emergency_phone
        )
        flash(
            request,
            _(
                "Stop requested for %(date)s. We will read the meter that day and send your final bill.",
                date=format_date(form.stop_on.data),
            ),
            "success",
        )
        return redirect_to("customer.requests")
