"""Outages for the console: every outage with customers affected and minutes out, a phoned-in report logged by a
CSR, and "service is back" (docs/features.md, Outages)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal import mail
from portal.accounts import outages
from portal.accounts.errors import NotFound
from portal.accounts.models import Outage
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext
from portal.web import clock, guards
from portal.web.deps import AppSettings, CurrentActor, DbSession, FromPath
from portal.web.flash import flash
from portal.web.forms import Form
from portal.web.urls import redirect_to


class PhonedReportForm(Form):
    utility = RadioField(
        lazy_gettext("Utility"),
        choices=[("water", lazy_gettext("Water")), ("power", lazy_gettext("Power"))],
        validators=[InputRequired()],
    )
    address = StringField(lazy_gettext("Street address"), validators=[DataRequired(), Length(max=160)])
    phone = StringField(lazy_gettext("Call-back phone (optional)"), validators=[Optional(), Length(max=40)])
    note = StringField(lazy_gettext("What the caller said (optional)"), validators=[Optional(), Length(max=500)])


class OutagesController(Controller):
    path = "/staff/outages"
    guards = [guards.staff]

    async def _page(self, db_session: DbSession, form: PhonedReportForm, status_code: int = 200) -> Template:
        rows = await outages.report_rows(db_session, clock.now())
        return Template("staff/outages.html", context={"rows": rows, "form": form}, status_code=status_code)

    @get("/", name="staff.outages")
    async def page(self, db_session: DbSession) -> Template:
        return await self._page(db_session, PhonedReportForm())

    @post("/report", name="staff.outages.report")
    async def log_report(self, request: Request, db_session: DbSession, actor: CurrentActor) -> Template | Redirect:
        form = await PhonedReportForm.from_request(request)
        if not form.validate():
            return await self._page(db_session, form, 400)
        row = await outages.report(
            db_session,
            actor,
            utility=form.utility.data,
            now=clock.now(),
            source="csr",
            address=form.address.data,
            phone=(form.phone.data or "").strip() or None,
            note=(form.note.data or "").strip() or None,
        )
        flash(request, _("Report logged on outage %(id)s.", id=row.outage_id), "success")
        return redirect_to("staff.outages")

    @post("/{outage_id:int}/restore", name="staff.outages.restore")
    async def restore(
        self,
        request: Request,
        db_session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
        outage_id: FromPath[int],
    ) -> Redirect:
        outage = await db_session.get(Outage, outage_id)
        if outage is None:
            raise NotFound(_("No such outage."))
        told = await outages.restore(
            db_session, actor, outage, mail.queue_once, restored_at=clock.now(), timezone=settings.timezone
        )
        flash(request, _("Service marked back; %(n)s notices queued.", n=told), "success")
        return redirect_to("staff.outages")
