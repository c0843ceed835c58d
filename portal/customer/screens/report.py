"""Report a problem (a leak, no water, a damaged meter or lid), with an optional photo; a crew order follows."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal import mail
from portal.accounts import confirmations, problems
from portal.accounts.models import Premise
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromQuery, Today
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.photo_store import photo_store, problem_photo
from portal.web.urls import redirect_to

from .. import forms
from .common import form_page, in_view


async def _context(request: Request, db_session: Any, form: forms.ProblemForm) -> dict[str, Any]:
    accounts, current = await in_view(request, db_session)
    return {
        "form": form,
        "account": current,
        "accounts": accounts,
        "premise": await db_session.get(Premise, current.premise_id),
    }


class ReportController(Controller):
    path = "/my"
    guards = [guards.customer]

    @get("/report", name="customer.report")
    async def report_page(
        self, request: Request, db_session: DbSession, kind: FromQuery[str | None] = None
    ) -> Template:
        form = forms.ProblemForm(data={"kind": kind} if kind in problems.PROBLEM_ORDERS else None)
        return Template("customer/report.html", context=await _context(request, db_session, form))

    @post("/report", name="customer.report.submit")
    async def report(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
    ) -> Template | Redirect:
        _accounts, current = await in_view(request, db_session)
        form = await forms.ProblemForm.from_request(request)
        ok = form.validate()
        photo, photo_ok = await problem_photo(request, policy, form)
        if not (ok and photo_ok):
            return form_page("customer/report.html", await _context(request, db_session, form))
        reported = await problems.report_problem(
            db_session,
            actor,
            policy,
            current,
            kind=form.kind.data,
            description=filled(form.description.data),
            phone=(form.phone.data or "").strip() or None,
            today=today,
            photo=photo,
            photo_store=photo_store(request.app, settings) if photo is not None else None,
            keep_photo_location=bool(form.share_location.data),
        )
        await confirmations.request_received(
            db_session, mail.OUTBOX, reported, phone=settings.utility_phone, emergency_phone=settings.emergency_phone
        )
        flash(request, _("Thank you. We have sent a crew request; you can follow it on this page."), "success")
        return redirect_to("customer.requests")
