"""A resident reports an outage at their account's address (water or power); it joins the outage near it or starts
one (docs/features.md, Outages)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from wtforms import RadioField, StringField
from wtforms.validators import InputRequired, Length, Optional

from portal.accounts import outages
from portal.accounts.models import Premise
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext
from portal.web import clock, guards
from portal.web.deps import CurrentActor, DbSession
from portal.web.flash import flash
from portal.web.forms import Form
from portal.web.urls import redirect_to

from .common import form_page, in_view


class OutageForm(Form):
    utility = RadioField(
        lazy_gettext("What is out?"),
        choices=[("water", lazy_gettext("Water")), ("power", lazy_gettext("Power"))],
        validators=[InputRequired(lazy_gettext("Choose water or power."))],
    )
    note = StringField(lazy_gettext("Anything we should know (optional)"), validators=[Optional(), Length(max=500)])


class OutageReportController(Controller):
    path = "/my"
    guards = [guards.customer]

    @get("/outage", name="customer.outage")
    async def page(self, request: Request, db_session: DbSession) -> Template:
        _accounts, current = await in_view(request, db_session)
        premise = await db_session.get(Premise, current.premise_id)
        return Template("customer/outage.html", context={"form": OutageForm(), "premise": premise})

    @post("/outage", name="customer.outage.submit")
    async def submit(self, request: Request, db_session: DbSession, actor: CurrentActor) -> Template | Redirect:
        _accounts, current = await in_view(request, db_session)
        form = await OutageForm.from_request(request)
        if not form.validate():
            premise = await db_session.get(Premise, current.premise_id)
            return form_page("customer/outage.html", {"form": form, "premise": premise})
        await outages.report(
            db_session,
            actor,
            utility=form.utility.data,
            now=clock.now(),
            source="resident",
            account=current,
            note=(form.note.data or "").strip() or None,
        )
        flash(request, _("Thank you. Your report is in; the outage page shows what we know."), "success")
        return redirect_to("outages.public")
