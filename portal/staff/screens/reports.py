"""The reports: the list, and each report for a period as a page or a CSV file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.response import Template

from portal.accounts.errors import DomainError, NotFound
from portal.i18n import gettext as _
from portal.web import guards, params
from portal.web.deps import AppSettings, DbSession, FromPath, FromQuery, Today

from .. import lists, reports
from ..navigation import SUPERVISORS

# The reports and work lists every staff role reads (finance's are in screens/finance.py, for supervisors).
STAFF_REPORTS: dict[str, tuple[object, object, reports.Builder]] = {**reports.REPORTS, **lists.LISTS}


def period_of(start: str | None, end: str | None, today: dt.date) -> reports.Period:
    """The period asked for; by default the month so far."""
    try:
        last = params.parse_date(end) if end else today
        first = params.parse_date(start) if start else last.replace(day=1)
    except params.BadValue:
        raise DomainError(_("Give the dates as YYYY-MM-DD."), field="start") from None
    if first > last:
        raise DomainError(_("The period must start before it ends."), field="start")
    if (last - first).days > 366:
        raise DomainError(_("Choose a period of at most a year."), field="start")
    return reports.Period(first, last)


class ReportController(Controller):
    path = "/staff/reports"
    guards = [guards.staff]

    @get("/", name="staff.reports")
    async def index(self, request: Request) -> Template:
        return Template(
            "staff/reports.html",
            context={"reports": STAFF_REPORTS, "finance_link": request.user.role in SUPERVISORS},
        )

    @get("/{name:str}", name="staff.report")
    async def report(
        self,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        name: FromPath[str],
        start: FromQuery[str | None] = None,
        end: FromQuery[str | None] = None,
    ) -> Template | Response:
        return await serve(db_session, STAFF_REPORTS, name, start, end, today, settings.timezone)


async def serve(
    db_session: DbSession,
    catalog: dict[str, Any],
    name: str,
    start: str | None,
    end: str | None,
    today: dt.date,
    timezone: str,
    **context: object,
) -> Template | Response:
    """One report of a catalogue (title, description, builder) by its name, `name.csv` for the download."""
    key = name.removesuffix(".csv")
    if key not in catalog:
        raise NotFound(_("No such report."))
    period = period_of(start, end, today)
    built = await catalog[key][2](db_session, period, today, timezone)
    return respond(built, key, period, name.endswith(".csv"), **context)


def respond(
    built: reports.Report, key: str, period: reports.Period, as_csv: bool, **context: object
) -> Template | Response:
    """The report as a page, or as a CSV download of the same rows."""
    if as_csv:
        filename = f"{key}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
        return Response(
            built.csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return Template("staff/report.html", context={"report": built, "period": period, "key": key, **context})
