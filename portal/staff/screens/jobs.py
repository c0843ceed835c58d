"""The scheduled jobs (supervisors and admins): the schedule, each job's last and next run, failures with their
error, and "run now", which goes through the same claim as the schedule (portal/jobs)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy import select

from portal.accounts.errors import NotFound
from portal.accounts.models import JobRun, User
from portal.i18n import format_date
from portal.i18n import gettext as _
from portal.jobs import runs, schedule
from portal.web import clock, guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath
from portal.web.flash import flash
from portal.web.urls import redirect_to


class Dispatcher(Protocol):
    async def request(self, name: str, day: dt.date, requested_by: str) -> None: ...


def _days_label(job: schedule.Job) -> str:
    if job.days == "business":
        return _("Business days")
    if job.days == "monthly":
        return _("Day %(day)s of each month", day=job.month_day)
    return _("Every day")


@dataclass(frozen=True)
class Row:
    job: schedule.Job
    days: str
    last: JobRun | None
    next_at: dt.datetime
    latest: dt.date | None  # what "run now" runs


class JobsController(Controller):
    path = "/staff/jobs"
    guards = [guards.supervisor]

    @get("/", name="staff.jobs")
    async def page(self, db_session: DbSession, settings: AppSettings, policy: CurrentPolicy) -> Template:
        now = clock.now()
        zone = ZoneInfo(settings.timezone)
        last = await runs.last_runs(db_session)
        rows = [
            Row(
                job,
                _days_label(job),
                last.get(job.name),
                schedule.next_run(job, now, zone, policy.holidays),
                schedule.latest_date(job, now, zone, policy.holidays),
            )
            for job in schedule.SCHEDULE
        ]
        recent = await runs.recent(db_session)
        people = {run.requested_by for run in recent if run.trigger == "manual" and run.requested_by}
        context: dict[str, Any] = {
            "rows": rows,
            "failures": await runs.failures(db_session),
            "recent": recent,
            "names": {
                email: name
                for email, name in await db_session.execute(
                    select(User.email, User.display_name).where(User.email.in_(people))
                )
            }
            if people
            else {},
            "in_process": settings.is_sqlite,
            "zone": settings.timezone,
        }
        return Template("staff/jobs.html", context=context)

    @post("/{name:str}/run", name="staff.jobs.run")
    async def run_now(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        policy: CurrentPolicy,
        actor: CurrentActor,
        name: FromPath[str],
    ) -> Redirect:
        job = schedule.BY_NAME.get(name)
        if job is None:
            raise NotFound(_("No such job."))
        day = schedule.latest_date(job, clock.now(), ZoneInfo(settings.timezone), policy.holidays)
        if day is None:
            flash(request, _("%(job)s has no run due yet.", job=name), "warning")
            return redirect_to("staff.jobs")
        row = await runs.get(db_session, name, day)
        if row is not None and row.outcome in (runs.OK, runs.RUNNING):
            # The claim would refuse it too; say why here instead of queueing a run that does nothing.
            flash(
                request,
                _(
                    "%(job)s for %(date)s has already run or is running: nothing to do.",
                    job=name,
                    date=format_date(day),
                ),
                "info",
            )
            return redirect_to("staff.jobs")
        dispatcher: Dispatcher = request.app.state.jobs
        await dispatcher.request(name, day, actor.label)
        flash(
            request,
            _("%(job)s for %(date)s started: its progress shows below.", job=name, date=format_date(day)),
            "success",
        )
        return redirect_to("staff.jobs")
