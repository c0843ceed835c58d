"""A visitor reports an outage without signing in (docs/features.md, Outages; docs/security.md, The public outage
report): the address typed is found among the premises (several found: the visitor picks one; none: they are told
so), water or power, and a phone or email for this outage's news (the new estimate, service back: kept on the report
with the language the visitor used, portal/accounts/outages.notify_reporters). A signed-in resident is sent to their
own report page (/my/outage), where their address is known. Its own route, not a form on /outages: the list stays
cookie-free and cacheable, and this page carries the CSRF cookie and token like every form.

Throttled in the database (portal/accounts/throttle.py) per client IP and per address, so a flood stops while a
street reporting the same outage from many homes goes through."""

from __future__ import annotations

import datetime as dt
import re

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal import i18n, sms
from portal.accounts import outage_rules, outages, tenancy, throttle
from portal.accounts.models import Premise, Role
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext
from portal.web import clock
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession
from portal.web.flash import flash
from portal.web.forms import Form
from portal.web.identity import client_ip
from portal.web.urls import redirect_to

HOUR = dt.timedelta(hours=1)  # the throttles' window; their limits are policy (outage_reports_per_*_per_hour)
CANDIDATES = 6  # addresses offered to pick from
SEARCHED = 50  # addresses looked at for the one typed exactly
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class VisitorOutageForm(Form):
    utility = RadioField(
        lazy_gettext("What is out?"),
        choices=[("power", lazy_gettext("Power")), ("water", lazy_gettext("Water"))],
        validators=[InputRequired(lazy_gettext("Choose water or power."))],
    )
    address = StringField(
        lazy_gettext("Street address"),
        description=lazy_gettext('The number and street, as on a letter: "120 Oak St".'),
        validators=[DataRequired(lazy_gettext("Enter the street address, as in 120 Elm St.")), Length(min=3, max=160)],
    )
    premise_id = RadioField(lazy_gettext("Which address?"), choices=[], validate_choice=False, validators=[Optional()])
    contact = StringField(
        lazy_gettext("Phone or email for updates (optional)"),
        description=lazy_gettext("Only used about this outage."),
        validators=[Optional(), Length(max=120)],
    )


def _contact(form: VisitorOutageForm) -> tuple[str | None, str | None] | None:
    """(phone, email) from the contact box; None (with an error on the field) when it is neither."""
    text = (form.contact.data or "").strip()
    if not text:
        return None, None
    if "@" in text:
        if _EMAIL.fullmatch(text):
            return None, text
    else:
        phone = sms.normalize(text)
        if phone:
            return phone, None
    form.add_error("contact", _("Enter a phone number or an email address, or leave it empty."))
    return None


def _page(form: VisitorOutageForm, candidates: list[Premise] | None = None, status: int = 200) -> Template:
    if candidates:
        form.premise_id.choices = [(str(p.id), p.one_line) for p in candidates]
    return Template(
        "customer/outage_visitor.html", context={"form": form, "candidates": candidates or []}, status_code=status
    )


class VisitorOutageController(Controller):
    path = "/outages/report"

    @get("/", name="outages.report")
    async def page(self, request: Request) -> Template | Redirect:
        if _resident(request):
            return redirect_to("customer.outage")
        return _page(VisitorOutageForm())

    @post("/", name="outages.report.submit")
    async def submit(
        self,
        request: Request,
        db_session: DbSession,
        actor: CurrentActor,
        policy: CurrentPolicy,
        settings: AppSettings,
    ) -> Template | Redirect:
        if _resident(request):
            return redirect_to("customer.outage")
        form = await VisitorOutageForm.from_request(request)
        ok = form.validate()
        contact = _contact(form)
        if not ok or contact is None:
            return _page(form, status=400)
        maker = request.app.state.sessionmaker
        ip = client_ip(request)
        typed = (form.address.data or "").strip()
        key = outage_rules.address_key(typed)
        per_ip, per_address = policy.outage_reports_per_ip_per_hour, policy.outage_reports_per_address_per_hour
        if await throttle.is_limited(maker, "outage_report_ip", ip, limit=per_ip, window=HOUR) or (
            await throttle.is_limited(maker, "outage_report_addr", key, limit=per_address, window=HOUR)
        ):
            form.add_form_error(
                _(
                    "We already have reports from here. We are on it; for an emergency, call %(phone)s, any hour.",
                    phone=settings.emergency_phone,
                )
            )
            return _page(form, status=429)
        await throttle.hit(maker, "outage_report_ip", ip)
        found = await tenancy.find_premises(db_session, outage_rules.search_words(typed), limit=SEARCHED)
        premise = _chosen(form, found, key)
        found = found[:CANDIDATES]
        if premise is None:
            if not found:
                form.add_error(
                    "address",
                    _(
                        "We could not find that address. Check the number and the street, or call %(phone)s.",
                        phone=settings.emergency_phone,
                    ),
                )
                return _page(form, status=400)
            if form.premise_id.data:
                form.add_error("premise_id", _("Choose one of the addresses listed."))
                return _page(form, found, status=400)
            return _page(form, found)  # several found: the visitor picks theirs
        await throttle.hit(maker, "outage_report_addr", outage_rules.address_key(premise.address))
        phone, email = contact
        await outages.report(
            db_session,
            actor,
            utility=form.utility.data,
            now=clock.now(),
            source="public",
            address=premise.address,
            premise=premise,
            phone=phone,
            email=email,
            language=i18n.current(),
        )
        flash(request, _("Thank you. Your report is in; the outage page shows what we know."), "success")
        return redirect_to("outages.report")


def _resident(request: Request) -> bool:
    """A signed-in resident: their address is known, so they report on /my/outage."""
    user = request.scope.get("user")
    return user is not None and user.role == Role.CUSTOMER


def _chosen(form: VisitorOutageForm, found: list[Premise], key: str) -> Premise | None:
    """The premise the report is for: the one picked from the list, the one whose address is what was typed (a
    building's units share it: any of them), or the only one found."""
    if form.premise_id.data:
        return next((p for p in found if str(p.id) == form.premise_id.data), None)
    exact = [p for p in found if outage_rules.address_key(p.address) == key]
    if exact:
        return exact[0]
    return found[0] if len(found) == 1 else None
