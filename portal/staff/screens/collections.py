"""The day's collections by channel and tender, and the bank deposit slip."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from portal.web import guards
from portal.web.deps import AppSettings, DbSession, FromQuery, Today

from .. import cashier
from ._params import parse_day


class CollectionsController(Controller):
    path = "/staff/collections"
    guards = [guards.staff]

    @get("/", name="staff.collections")
    async def report(
        self, db_session: DbSession, settings: AppSettings, today: Today, day: FromQuery[str | None] = None
    ) -> Template:
        collected = await cashier.collections(db_session, parse_day(day, today), settings.timezone)
        return Template("staff/collections.html", context={"c": collected})

    @get("/deposit-slip", name="staff.collections.deposit_slip")
    async def deposit_slip(
        self, db_session: DbSession, settings: AppSettings, today: Today, day: FromQuery[str | None] = None
    ) -> Template:
        collected = await cashier.collections(db_session, parse_day(day, today), settings.timezone)
        return Template("staff/deposit_slip.html", context={"c": collected})
