"""Prometheus metrics (the official prometheus_client), read at `/metrics` (portal/web/observe.py).

Two kinds of figures:
- counted as things happen, in this process: HTTP requests and their latency (the request middleware), field sync
  mutations applied and rejected (the field side's sync and order screens). The domain parts never import this
  module: the side or web layer counts what a domain call answered.
- read from the database at each scrape, so every instance reports the same truth whatever process did the work:
  outbox depth and failures, and job runs through `read_job_figures_with` (the hook the job engine fills).

Several processes (`portal serve --workers N`): prometheus_client's multiprocess mode. `portal serve` points
PROMETHEUS_MULTIPROC_DIR at an empty folder before the workers start (a fresh temporary one unless it is set), each
process writes its counters there, and a scrape of any worker adds them all up.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import REGISTRY, CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.accounts.models import MailMessage
from portal.jobs import runs

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "portal_http_requests", "HTTP requests answered, by route name, method and status.", ["route", "method", "status"]
)
LATENCY = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
SYNC_MUTATIONS = Counter(
    "portal_field_sync_mutations",
    "Field actions answered: applied, duplicate (already applied), rejected, retry_later; by channel (phone, form).",
    ["outcome", "channel"],
)


def count_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route).observe(seconds)


def count_sync_answers(answers: Iterable[Mapping[str, Any]], channel: str) -> None:
    """One count per answer the field sync gave (portal/field/sync.py answers carry a `status`)."""
    for answer in answers:
        SYNC_MUTATIONS.labels(str(answer.get("status", "unknown")), channel).inc()


# ---- job runs: the hook the job engine fills ----------------------------------------------------------------------


@dataclass(frozen=True)
class JobRunFigure:
    """What the job engine's run records say about one job (issue 14, Deliver 1)."""

    job: str
    runs: Mapping[str, int] = field(default_factory=dict)  # outcome (succeeded, failed, ...) -> runs recorded
    last_duration_seconds: float | None = None  # the latest finished run's duration
    last_success: dt.datetime | None = None  # when the latest successful run finished (aware)
    running: int = 0  # runs started and not finished


JobFiguresReader = Callable[[AsyncSession], Awaitable[Sequence[JobRunFigure]]]


async def job_ledger_figures(session: AsyncSession) -> Sequence[JobRunFigure]:
    """The job engine's run ledger (portal/jobs/runs.py): what /metrics reports unless another reader is set."""
    return [
        JobRunFigure(job, outcomes, seconds, last_ok, running)
        for job, outcomes, seconds, last_ok, running in await runs.figures(session)
    ]


_job_figures: list[JobFiguresReader] = [job_ledger_figures]


def read_job_figures_with(reader: JobFiguresReader) -> None:
    """The job engine registers how to read its run records (once, at import or in create_app); every scrape calls
    it with a database session and reports `portal_job_runs_total{job,outcome}`,
    `portal_job_last_duration_seconds{job}`, `portal_job_last_success_timestamp_seconds{job}` and
    `portal_job_running{job}`. Until then no job figures are reported."""
    _job_figures[0] = reader


def job_families(figures: Sequence[JobRunFigure]) -> list[Metric]:
    runs = CounterMetricFamily("portal_job_runs", "Recorded job runs, by job and outcome.", labels=["job", "outcome"])
    duration = GaugeMetricFamily(
        "portal_job_last_duration_seconds", "Duration of the latest finished run.", labels=["job"]
    )
    success = GaugeMetricFamily(
        "portal_job_last_success_timestamp_seconds", "When the latest successful run finished.", labels=["job"]
    )
    running = GaugeMetricFamily("portal_job_running", "Runs started and not finished.", labels=["job"])
    for figure in figures:
        for outcome, count in sorted(figure.runs.items()):
            runs.add_metric([figure.job, outcome], count)
        if figure.last_duration_seconds is not None:
            duration.add_metric([figure.job], figure.last_duration_seconds)
        if figure.last_success is not None:
            success.add_metric([figure.job], figure.last_success.timestamp())
        running.add_metric([figure.job], figure.running)
    return [runs, duration, success, running]


# ---- the outbox ---------------------------------------------------------------------------------------------------


async def outbox_families(session: AsyncSession, now: dt.datetime) -> list[Metric]:
    """Queued messages (the outbox's depth and its oldest message's age; letters waiting for a print batch are not
    counted) and messages that will not arrive (bounced or failed after their retries). Counted from the
    mail_message table at each scrape."""
    waiting = (MailMessage.status == "queued") & (MailMessage.channel != "letter")
    depth, oldest = (await session.execute(select(func.count(), func.min(MailMessage.created_at)).where(waiting))).one()
    failed = await session.scalar(select(func.count()).where(MailMessage.status.in_(("bounced", "failed"))))
    queued = GaugeMetricFamily("portal_outbox_queued", "Messages waiting to be sent.")
    queued.add_metric([], depth)
    age = GaugeMetricFamily("portal_outbox_oldest_queued_seconds", "Age of the oldest message waiting (0: none).")
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC
    age.add_metric([], max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0)
    failures = GaugeMetricFamily("portal_outbox_failed", "Messages bounced or failed (kept with their error).")
    failures.add_metric([], failed or 0)
    return [queued, age, failures]


# ---- the scrape ---------------------------------------------------------------------------------------------------


class _Families:
    """A collector that hands back families gathered before the (synchronous) scrape."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[Metric]:
        yield from self.families


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


async def scrape(maker: async_sessionmaker[AsyncSession]) -> bytes:
    """The text exposition of every metric: this process's (or all workers') counters plus the database's figures."""
    from_db: list[Metric] = []
    up = GaugeMetricFamily("portal_metrics_database_up", "1 when the database answered this scrape's queries.")
    try:
        async with maker() as session:
            from_db += await outbox_families(session, dt.datetime.now(dt.UTC))
            from_db += job_families(await _job_figures[0](session))
        up.add_metric([], 1)
    except Exception:  # a scrape still reports the process's own figures when the database is away
        up.add_metric([], 0)
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess():
        from prometheus_client import multiprocess as prometheus_multiprocess

        prometheus_multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Families(REGISTRY.collect()))
    registry.register(_Families([*from_db, up]))
    return generate_latest(registry)
