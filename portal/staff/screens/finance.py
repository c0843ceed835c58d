"""Finance's reports (supervisors and admins): the bill register, deposit liability, revenue by service and the
journal export, each for a period as a page or a CSV file (portal/staff/finance_reports.py)."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.response import Template

from portal.accounts.errors import NotFound
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, DbSession, FromPath, FromQuery, Today

from .. import finance_reports
from .reports import period_of, respond


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
        as_csv = name.endswith(".csv")
        key = name.removesuffix(".csv")
        if key not in finance_reports.FINANCE:
            raise NotFound(_("No such report."))
        period = period_of(start, end, today)
        built = await finance_reports.FINANCE[key][2](db_session, period, today, settings.timezone)
        return respond(built, key, period, as_csv, route="staff.finance.report", index_route="staff.finance")
