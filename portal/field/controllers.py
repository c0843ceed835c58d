"""Technician pages: today's orders and one order."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get
from litestar.response import Template

from portal.web import guards
from portal.web.deps import AppSettings, DbSession, FromPath

from . import services


class FieldController(Controller):
    path = "/field"
    guards = [guards.field]

    @get("/")
    async def today(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template:
        today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
        orders = await services.orders_for(db_session, request.user.id, today)
        return Template("field/today.html", context={"orders": orders, "today": today})

    @get("/orders/{order_id:int}")
    async def order(self, request: Request, db_session: DbSession, order_id: FromPath[int]) -> Template:
        order, premise = await services.order_for(db_session, request.user.id, order_id)
        return Template("field/order.html", context={"order": order, "premise": premise})


ROUTES = [FieldController]
