"""Outages for the console: every outage with customers affected and minutes out, a phoned-in report logged by a
CSR, and one outage's page with its forms: the area, cause and estimate with an update for the public page, the crew
sent to the field, "service is back", and (a supervisor) closing it with its final times (docs/features.md,
Outages)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select
from wtforms import DateTimeLocalField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal import mail, sms
from portal.accounts import outage_rules, outages
from portal.accounts.errors import DomainError, NotFound
from portal.accounts.models import Outage, OutageReport, Role, User, WorkOrder
from portal.accounts.outage_words import CAUSES, CAUSES_FOR
from portal.accounts.routes import codes as route_codes
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext
from portal.settings import Settings
from portal.web import clock, guards, params
from portal.web.deps import AppSettings, CurrentActor, DbSession, FromPath
from portal.web.flash import flash
from portal.web.forms import Form
from portal.web.urls import redirect_to

from .. import dispatch
from ._params import parse_technician

SUPERVISOR = guards.supervisor  # the controller's `guards` attribute hides the module inside its body
LOCAL = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
ESTIMATE_AHEAD = dt.timedelta(days=14)  # an estimate further out is a typo, not an estimate
CLOSE_BACK = dt.timedelta(days=366)  # an outage closed with a start older than this is a typo
STATUS = {"open": lazy_gettext("Open"), "restored": lazy_gettext("Service back"), "closed": lazy_gettext("Closed")}


class PhonedReportForm(Form):
    utility = RadioField(
        lazy_gettext("Utility"),
        choices=[("water", lazy_gettext("Water")), ("power", lazy_gettext("Power"))],
        validators=[InputRequired(lazy_gettext("Choose water or power."))],
    )
    address = StringField(
        lazy_gettext("Street address"),
        validators=[DataRequired(lazy_gettext("Enter the street address, as in 120 Elm St.")), Length(max=160)],
    )
    phone = StringField(lazy_gettext("Call-back phone (optional)"), validators=[Optional(), Length(max=40)])
    note = StringField(lazy_gettext("What the caller said (optional)"), validators=[Optional(), Length(max=500)])


class AreaForm(Form):
    # from a list, so residents read it in their language (portal/accounts/outage_words.py); choices per outage
    cause = SelectField(lazy_gettext("Cause"), choices=[], validators=[Optional()])
    streets = TextAreaField(
        lazy_gettext("Streets"),
        description=lazy_gettext('One street a line, as on an address: "Oak St", "N Main Street".'),
        validators=[Optional(), Length(max=4000)],
    )
    routes = StringField(
        lazy_gettext("Routes"),
        description=lazy_gettext("Route codes, separated by commas."),
        validators=[Optional(), Length(max=400)],
    )
    polygon = TextAreaField(
        lazy_gettext("Area on the map (optional)"),
        description=lazy_gettext('At least 3 points "lat,lon", separated by semicolons.'),
        validators=[Optional(), Length(max=8000)],
    )
    estimate = DateTimeLocalField(
        lazy_gettext("Estimated restoration (optional)"),
        description=lazy_gettext("On the utility's clock. A new estimate tells the affected residents once."),
        format=LOCAL,
        validators=[Optional()],
    )
    text = TextAreaField(
        lazy_gettext("Update for the public page (optional)"), validators=[Optional(), Length(max=500)]
    )
    text_es = TextAreaField(
        lazy_gettext("The same update in Spanish (optional)"),
        description=lazy_gettext("Spanish readers see the English update when this is empty."),
        validators=[Optional(), Length(max=500)],
    )


def _cause_choices(outage: Outage) -> list[tuple[str, str]]:
    """The causes this utility's outage can have, and a cause typed before there was a list (kept as it was until
    staff pick from the list)."""
    current = outage.cause
    listed = [(code, CAUSES[code]) for code in CAUSES_FOR.get(outage.utility, tuple(CAUSES))]
    kept = [(current, CAUSES.get(current, current))] if current and current not in dict(listed) else []
    return [("", lazy_gettext("Not known yet")), *listed, *kept]


class CrewForm(Form):
    technician_id = SelectField(lazy_gettext("Technician"), choices=[], validate_choice=False)


class CloseForm(Form):
    started_at = DateTimeLocalField(
        lazy_gettext("Started"), format=LOCAL, validators=[InputRequired(lazy_gettext("Enter when it started."))]
    )
    restored_at = DateTimeLocalField(
        lazy_gettext("Service back"),
        format=LOCAL,
        validators=[InputRequired(lazy_gettext("Enter when service came back."))],
    )


def _local(value: dt.datetime | None, timezone: str) -> dt.datetime | None:
    """A stored moment as the naive local time a datetime-local box shows."""
    return value.astimezone(ZoneInfo(timezone)).replace(tzinfo=None, second=0, microsecond=0) if value else None


def _utc(form: Form, name: str, timezone: str) -> dt.datetime | None:
    """A typed local time (the utility's clock) as the moment it names; a year out of 1900..2100 is an error on the
    field (it would overflow the arithmetic)."""
    value = form[name].data
    if value is None:
        return None
    if not params.DATE_MIN <= value.date() <= params.DATE_MAX:
        form.add_error(name, _("Enter a date between %(first)s and %(last)s.", first=1900, last=2100))
        return None
    return value.replace(tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)


def _splits(text: str | None, sep: str) -> list[str]:
    return [part.strip() for part in (text or "").replace("\r", "").split(sep) if part.strip()]


async def _outage(db_session: Any, outage_id: int) -> Outage:
    outage = await db_session.get(Outage, outage_id)
    if outage is None:
        raise NotFound(_("No such outage."))
    return outage


def _area_form(outage: Outage, timezone: str) -> AreaForm:
    form = AreaForm(
        data={
            "cause": outage.cause or "",
            "streets": "\n".join(s.title() for s in outage.streets),
            "routes": ", ".join(outage.routes),
            "polygon": "; ".join(f"{p[0]},{p[1]}" for p in outage.polygon),
            "estimate": _local(outage.estimated_restore_at, timezone),
        }
    )
    form.cause.choices = _cause_choices(outage)
    return form


def _close_form(outage: Outage, timezone: str) -> CloseForm:
    return CloseForm(
        data={
            "started_at": _local(outage.started_at, timezone),
            "restored_at": _local(outage.restored_at or clock.now(), timezone),
        }
    )


class OutagesController(Controller):
    path = "/staff/outages"
    guards = [guards.staff]

    async def _page(self, db_session: DbSession, form: PhonedReportForm, status_code: int = 200) -> Template:
        rows = await outages.report_rows(db_session, clock.now())
        return Template(
            "staff/outages.html", context={"rows": rows, "form": form, "status": STATUS}, status_code=status_code
        )

    async def _one(
        self,
        request: Request,
        db_session: DbSession,
        settings: Settings,
        outage: Outage,
        *,
        area: AreaForm | None = None,
        crew: CrewForm | None = None,
        close: CloseForm | None = None,
        status_code: int = 200,
    ) -> Template:
        reports = (
            await db_session.scalars(
                select(OutageReport).where(OutageReport.outage_id == outage.id).order_by(OutageReport.id)
            )
        ).all()
        order = await db_session.get(WorkOrder, outage.work_order_id) if outage.work_order_id else None
        assignee = await db_session.get(User, order.assigned_to_id) if order and order.assigned_to_id else None
        technicians = await dispatch.technicians(db_session)
        crew = crew or CrewForm()
        crew.technician_id.choices = [("", _("The route's owner (or unassigned on dispatch)"))] + [
            (str(t.id), t.display_name) for t in technicians
        ]
        customers = outages.customers_in(await outages.in_area(db_session, outage))
        return Template(
            "staff/outage.html",
            context={
                "outage": outage,
                "status": STATUS,
                "reports": reports,
                "order": order,
                "assignee": assignee,
                "customers": customers,
                "area": area or _area_form(outage, settings.timezone),
                "crew": crew,
                "close": close or _close_form(outage, settings.timezone),
                "timezone": settings.timezone,
                "may_close": request.user.role in (Role.SUPERVISOR, Role.ADMIN),  # guards.supervisor
            },
            status_code=status_code,
        )

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

    @get("/{outage_id:int}", name="staff.outage")
    async def one(
        self, request: Request, db_session: DbSession, settings: AppSettings, outage_id: FromPath[int]
    ) -> Template:
        return await self._one(request, db_session, settings, await _outage(db_session, outage_id))

    @post("/{outage_id:int}/area", name="staff.outage.area")
    async def area(
        self,
        request: Request,
        db_session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
        outage_id: FromPath[int],
    ) -> Template | Redirect:
        outage = await _outage(db_session, outage_id)
        form = await AreaForm.from_request(request)
        form.cause.choices = _cause_choices(outage)
        ok = form.validate()
        if outage.status != "open":
            form.add_form_error(_("This outage is no longer open."))
            ok = False
        polygon: list[list[float]] = []
        try:
            polygon = outage_rules.parse_polygon(form.polygon.data or "")
        except ValueError:
            form.add_error(
                "polygon", _('Give at least 3 and at most 200 points "lat,lon" on the map, separated by semicolons.')
            )
            ok = False
        streets = _splits(form.streets.data, "\n")
        routes = [r.upper() for r in _splits(form.routes.data, ",")]
        if len(streets) > 50:
            form.add_error("streets", _("At most 50 streets."))
            ok = False
        if any(len(s) > 120 for s in streets):
            form.add_error("streets", _("A street name is at most 120 characters."))
            ok = False
        unknown = sorted(set(routes) - set(await route_codes(db_session)))
        if unknown:
            form.add_error("routes", _("No such route: %(codes)s.", codes=", ".join(unknown)))
            ok = False
        if ok and not (streets or routes or polygon):
            form.add_error("streets", _("Give the area: streets, routes or a polygon."))
            ok = False
        now = clock.now()
        estimate = _utc(form, "estimate", settings.timezone)
        ok = ok and not form.estimate.errors
        if estimate is not None and not (outage.started_at <= estimate <= now + ESTIMATE_AHEAD):
            form.add_error("estimate", _("The estimate must be after the outage started and within 14 days."))
            ok = False
        if not ok:
            return await self._one(request, db_session, settings, outage, area=form, status_code=400)
        told = await outages.update(
            db_session,
            actor,
            outage,
            mail.queue_once_many,
            now=now,
            cause=form.cause.data or None,
            streets=streets,
            routes=routes,
            polygon=polygon,
            estimate=estimate,
            text=(form.text.data or "").strip() or None,
            text_es=(form.text_es.data or "").strip() or None,
            timezone=settings.timezone,
            texts=sms.configured(settings),
        )
        flash(request, _("Outage updated; %(n)s notices queued.", n=told), "success")
        return redirect_to("staff.outage", outage_id=outage.id)

    @post("/{outage_id:int}/crew", name="staff.outage.crew")
    async def crew(
        self,
        request: Request,
        db_session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
        outage_id: FromPath[int],
    ) -> Template | Redirect:
        outage = await _outage(db_session, outage_id)
        form = await CrewForm.from_request(request)
        had = outage.work_order_id
        try:
            chosen = parse_technician(form.technician_id.data or "")
            if chosen is not None and chosen not in {t.id for t in await dispatch.technicians(db_session)}:
                raise DomainError(_("Choose a field technician."))
            today = clock.today_in(settings.timezone)
            order_id = await outages.send_crew(db_session, actor, outage, today, assignee_id=chosen)
        except DomainError as refused:
            form.add_error("technician_id", refused.message)
            return await self._one(request, db_session, settings, outage, crew=form, status_code=refused.status_code)
        order = await db_session.get(WorkOrder, order_id)
        if had is not None:
            flash(request, _("The crew order #%(id)s was already sent.", id=order_id), "info")
        elif order is not None and order.assigned_to_id is None:
            flash(
                request,
                _("Crew order #%(id)s made; nobody owns the route: assign it on dispatch.", id=order_id),
                "info",
            )
        else:
            flash(request, _("Crew order #%(id)s sent to the technician's list.", id=order_id), "success")
        return redirect_to("staff.outage", outage_id=outage.id)

    @post("/{outage_id:int}/restore", name="staff.outages.restore")
    async def restore(
        self,
        request: Request,
        db_session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
        outage_id: FromPath[int],
    ) -> Redirect:
        outage = await _outage(db_session, outage_id)
        told = await outages.restore(
            db_session,
            actor,
            outage,
            mail.queue_once_many,
            restored_at=clock.now(),
            timezone=settings.timezone,
            texts=sms.configured(settings),
        )
        flash(request, _("Service marked back; %(n)s notices queued.", n=told), "success")
        return redirect_to("staff.outage", outage_id=outage.id)

    @post("/{outage_id:int}/close", name="staff.outage.close", guards=[SUPERVISOR])
    async def close(
        self,
        request: Request,
        db_session: DbSession,
        actor: CurrentActor,
        settings: AppSettings,
        outage_id: FromPath[int],
    ) -> Template | Redirect:
        outage = await _outage(db_session, outage_id)
        form = await CloseForm.from_request(request)
        ok = form.validate()
        now = clock.now()
        started = _utc(form, "started_at", settings.timezone)
        restored = _utc(form, "restored_at", settings.timezone)
        ok = ok and not form.started_at.errors and not form.restored_at.errors
        if started is not None and started < now - CLOSE_BACK:
            form.add_error("started_at", _("The start must be within the last year."))
            ok = False
        if ok and started and restored:
            try:
                await outages.close(db_session, actor, outage, started_at=started, restored_at=restored, now=now)
            except DomainError as refused:
                form.add_error("restored_at", refused.message)
                ok = False
        if not ok:
            return await self._one(request, db_session, settings, outage, close=form, status_code=400)
        flash(request, _("Outage %(id)s closed.", id=outage.id), "success")
        return redirect_to("staff.outage", outage_id=outage.id)
