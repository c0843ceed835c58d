"""Finance's reports (supervisors and admins): the bill register, deposit liability, revenue by service and the
journal export, each for a period as a page or a CSV file (portal/staff/finance_reports.py)."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.response import Template

from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, DbSession, FromPath, FromQuery, Today

from .. import finance_reports
from .reports import serve


class FinanceController(Controller):
    path = "/staff/finance"
    guards = [guards.supervisor]

    @get("/", name="staff.finance")
    async def index(self) -> Template:
        return Template(
            "staff/reports.html",
            context={"reports": finance_reports.FINANCE, "route": "staff.finance.report", "heading": _("Finance")},
        )

    @get("/{name:str}", name="staff.finance.report")
    async def report(
        self,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        name: FromPath[str],
        start: FromQuery[str | None] = None,
        end: FromQuery[str | None] = None,
    ) -> Template | Response:
        return await serve(
            db_session,
            finance_reports.FINANCE,
            name,
            start,
            end,
            today,
            settings.timezone,
            route="staff.finance.report",
            index_route="staff.finance",
        )
