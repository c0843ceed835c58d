"""Billing pages: the supervisor's rate schedules (a resident's bill page is on the resident side)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, DbSession, FromPath
from portal.web.flash import flash
from portal.web.identity import actor_of
from portal.web.urls import redirect_to

from . import rate_admin


def _today(settings: object) -> dt.date:
    return dt.datetime.now(ZoneInfo(settings.timezone)).date()  # type: ignore[attr-defined]


class RatesController(Controller):
    path = "/staff/rates"
    guards = [guards.supervisor]

    @get("/", name="staff.rates")
    async def index(self, db_session: DbSession, settings: AppSettings) -> Template:
        return Template(
            "billing/rates.html",
            context={"schedules": await rate_admin.overview(db_session, _today(settings)), "today": _today(settings)},
        )

    @get("/{code:str}/new", name="staff.rates.new")
    async def new(self, db_session: DbSession, settings: AppSettings, code: FromPath[str]) -> Template:
        form = await rate_admin.blank_form(db_session, code, _today(settings))
        return Template("billing/rate_form.html", context={"form": form})

    @post("/{code:str}", name="staff.rates.create")
    async def create(
        self, request: Request, db_session: DbSession, settings: AppSettings, code: FromPath[str]
    ) -> Template | Redirect:
        data = await request.form()
        form = await rate_admin.blank_form(db_session, code, _today(settings))
        form.fill(dict(data))
        saved = await rate_admin.save(db_session, actor_of(request), form, _today(settings))
        if not saved:
            return Template("billing/rate_form.html", context={"form": form}, status_code=400)
        flash(
            request,
            _("New %(code)s rates take effect on %(date)s.", code=code, date=form.values["effective_on"]),
            "success",
        )
        return redirect_to("staff.rates")


ROUTES = [RatesController]
