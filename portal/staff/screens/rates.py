"""The supervisor's rates page: every schedule's versions, and a new version from a future date."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import CurrentActor, DbSession, FromPath, Today
from portal.web.flash import flash
from portal.web.urls import redirect_to

from .. import rate_admin


class RatesController(Controller):
    path = "/staff/rates"
    guards = [guards.supervisor]

    @get("/", name="staff.rates")
    async def index(self, db_session: DbSession, today: Today) -> Template:
        schedules = await rate_admin.overview(db_session, today)
        return Template("staff/rates.html", context={"schedules": schedules, "today": today})

    @get("/{code:str}/new", name="staff.rates.new")
    async def new(self, db_session: DbSession, today: Today, code: FromPath[str]) -> Template:
        form = await rate_admin.blank_form(db_session, code, today)
        return Template("staff/rate_form.html", context={"form": form})

    @post("/{code:str}", name="staff.rates.create")
    async def create(
        self, request: Request, db_session: DbSession, today: Today, actor: CurrentActor, code: FromPath[str]
    ) -> Template | Redirect:
        form = await rate_admin.blank_form(db_session, code, today)
        form.fill(dict(await request.form()))
        if not await rate_admin.save(db_session, actor, form, today):
            return Template("staff/rate_form.html", context={"form": form}, status_code=400)
        flash(
            request,
            _("New %(code)s rates take effect on %(date)s.", code=code, date=form.values["effective_on"]),
            "success",
        )
        return redirect_to("staff.rates")
