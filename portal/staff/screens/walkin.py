"""The counter tablet's practice account: state in the CSR's session only; nothing here writes the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.i18n import format_date
from portal.i18n import gettext as _
from portal.web import clock, guards, kiosk
from portal.web.deps import AppSettings, CurrentActor, DbSession, Today
from portal.web.flash import flash
from portal.web.urls import redirect_to, url

from .. import walkin
from ..forms import WalkinPayForm, cents


def _state(request: Request) -> dict[str, Any]:
    return walkin.current_state(request.session.get(walkin.SESSION_KEY), clock.now())


def _save(request: Request, state: dict[str, Any]) -> None:
    request.session[walkin.SESSION_KEY] = state


def _page(today: dt.date, state: dict[str, Any], form: WalkinPayForm | None = None, status_code: int = 200) -> Template:
    box = walkin.sandbox(state, today)
    chart = walkin.usage_chart(
        box, _("Water use, last 12 months"), _("gallons"), lambda day, pattern: format_date(day, pattern)
    )
    form = form or WalkinPayForm(data={"amount": Decimal(box.balance_cents) / 100})
    return Template("staff/walkin.html", context={"box": box, "chart": chart, "form": form}, status_code=status_code)


class WalkinController(Controller):
    path = "/staff/walkin"
    guards = [guards.staff]

    @get("/", name="staff.walkin")
    async def page(self, request: Request, today: Today) -> Template:
        state = _state(request)
        _save(request, state)
        return _page(today, state)

    @post("/pay", name="staff.walkin.pay")
    async def pay(self, request: Request, today: Today) -> Template | Redirect:
        state = _state(request)
        form = await WalkinPayForm.from_request(request)
        if form.validate():
            try:
                state = walkin.pay(state, cents(form.amount.data), clock.now(), today)
            except ValueError:
                form.add_error("amount", _("In the practice account, pay up to the balance shown."))
            else:
                _save(request, state)
                flash(request, _("Practice payment made. No money moved and no real account changed."), "success")
                return redirect_to("staff.walkin")
        return _page(today, state, form, 400)

    @post("/paperless", name="staff.walkin.paperless")
    async def paperless(self, request: Request) -> Redirect:
        _save(request, walkin.toggle_paperless(_state(request), clock.now()))
        return redirect_to("staff.walkin", anchor="paperless")

    @post("/reset", name="staff.walkin.reset")
    async def reset(self, request: Request) -> Redirect:
        _save(request, walkin.fresh_state(clock.now()))
        flash(request, _("The practice account is back to its start."), "info")
        return redirect_to("staff.walkin")

    @post("/kiosk", name="staff.walkin.kiosk")
    async def start_kiosk(self, request: Request, db_session: DbSession, actor: CurrentActor) -> Redirect:
        """Hand the tablet over: from here on the session reaches only the practice until the CSR signs back in."""
        await kiosk.start(request, db_session, actor, clock.now())
        _save(request, walkin.fresh_state(clock.now()))  # the visitor starts on a clean practice account
        flash(
            request, _("Kiosk mode is on. Only the practice account can be reached until staff sign back in."), "info"
        )
        return redirect_to("staff.walkin")

    @get("/qr", name="staff.walkin.qr")
    async def qr(self, request: Request, settings: AppSettings) -> Template:
        address = settings.public_url.rstrip("/") + url(request, "signup")
        return Template(
            "staff/walkin_qr.html",
            context={"signup_url": address, "svg": walkin.signup_qr_svg(address, _("QR code: sign up on your phone"))},
        )
