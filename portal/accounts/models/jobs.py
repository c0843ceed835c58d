"""The run ledger of the scheduled jobs (portal/jobs): one row per job and business date, claimed by its insert."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, IdMixin, utcnow


class JobRun(IdMixin, Base):
    """A run of one job for one business date. The unique (job, business_date) is the lock: whoever inserts the row
    runs the job; a second worker, a second click or a command typed at the same moment gets the constraint error."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "business_date"),)

    job: Mapped[str] = mapped_column(String(40))
    business_date: Mapped[dt.date]
    trigger: Mapped[str] = mapped_column(String(16))  # schedule, catch-up, manual, cli
    outcome: Mapped[str] = mapped_column(String(16), index=True)  # running, ok, failed, skipped
    attempts: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)  # the last progress: a stale claim is retaken
    finished_at: Mapped[dt.datetime | None]
    counts: Mapped[dict[str, Any] | None]
    progress: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(160))  # "job:schedule", "cli", a staff email
