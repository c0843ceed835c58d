"""procrastinate on PostgreSQL: `portal worker` runs its worker; any number of workers share one database.

Two tasks. `portal.jobs.tick` is periodic (every minute): procrastinate defers each minute's tick once however many
workers run (its periodic_defers table), and the tick defers one `portal.jobs.run` per run owed. The run claims its
row in the ledger (runs.claim) before the body starts, so a run is never done twice: not by two workers, not by a
retry of a task, not against a command typed by hand. The `queueing_lock` only keeps one copy of a run waiting. No
procrastinate `lock`: a worker killed mid-task leaves its task "doing" for good, and a lock would then hold every
later task with that key (the next ticks, the retake of the run) behind it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import make_url

from portal.accounts.models import utcnow

from . import engine

log = logging.getLogger("portal.jobs")

TICK = "portal.jobs.tick"
RUN = "portal.jobs.run"


def conninfo(database_url: str) -> str:
    """psycopg's connection string for the app's DATABASE_URL (postgresql+asyncpg://... -> postgresql://...)."""
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        raise ValueError("the job queue (procrastinate) needs PostgreSQL; SQLite runs the jobs in the app's process")
    query = dict(url.query)
    ssl = query.pop("ssl", None)  # asyncpg's name for libpq's sslmode
    if ssl is not None and "sslmode" not in query:
        query["sslmode"] = (
            ssl if ssl in {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"} else "require"
        )
    return url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)


def connector(database_url: str, **pool: Any) -> procrastinate.PsycopgConnector:
    return procrastinate.PsycopgConnector(conninfo=conninfo(database_url), **pool)


def make_app(
    conn: procrastinate.connector.BaseConnector, env: Callable[[], engine.Env] | None = None
) -> procrastinate.App:
    """The queue. `env` makes the workers' Env (only a worker needs one: deferring takes none)."""
    app = procrastinate.App(connector=conn)

    def the_env() -> engine.Env:
        if env is None:
            raise RuntimeError("this procrastinate app only defers: run tasks with `portal worker`")
        return env()

    @app.periodic(cron="* * * * *", periodic_id="minute")
    @app.task(name=TICK, pass_context=False)
    async def tick(timestamp: int) -> None:
        for item in await engine.owed(the_env(), utcnow()):
            await defer_run(app, item.job, item.day, item.trigger, "job:schedule")

    @app.task(name=RUN, pass_context=False)
    async def run(job: str, business_date: str, trigger: str, requested_by: str) -> None:
        await engine.execute(the_env(), job, dt.date.fromisoformat(business_date), trigger, requested_by)

    return app


async def defer_run(app: procrastinate.App, job: str, day: dt.date, trigger: str, requested_by: str) -> bool:
    """Queue one run (False when the same run already waits in the queue)."""
    key = f"{job}:{day.isoformat()}"
    try:
        await app.configure_task(RUN, queueing_lock=key).defer_async(
            job=job, business_date=day.isoformat(), trigger=trigger, requested_by=requested_by
        )
    except AlreadyEnqueued:
        return False
    return True


class QueueDispatcher:
    """ "Run now" on PostgreSQL: the web process queues the run and a worker claims it (the page shows its progress)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    async def request(self, name: str, day: dt.date, requested_by: str) -> None:
        app = make_app(connector(self.database_url, min_size=1, max_size=1))
        async with app.open_async():
            await defer_run(app, name, day, "manual", requested_by)
