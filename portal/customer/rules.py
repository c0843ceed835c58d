"""Resident-side decisions as pure functions: usage between reads, the possible-leak signal, and the home page's
alerts. Plain values in (today passed in, numbers from the policy), a decision out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from portal.accounts.policy import Policy


@dataclass(frozen=True)
class Interval:
    start: dt.datetime
    end: dt.datetime
    gallons: int

    @property
    def days(self) -> float:
        return max((self.end - self.start).total_seconds() / 86400, 1 / 24)

    @property
    def per_day(self) -> float:
        return self.gallons / self.days


def intervals(reads: Sequence[tuple[dt.datetime, int]], *, multiplier: int = 1, dials: int = 6) -> list[Interval]:
    """Use between consecutive reads (oldest first) in gallons; a register that rolled over past its dials counts on
    from zero."""
    ordered = sorted(reads)
    out = []
    for (start, before), (end, after) in zip(ordered, ordered[1:], strict=False):
        used = after - before
        if used < 0:
            used += 10**dials
        out.append(Interval(start, end, used * multiplier))
    return out


@dataclass(frozen=True)
class LeakSignal:
    kind: str  # "high" (a period far above the usual) or "continuous" (water never stopped for days)
    gallons_per_day: float
    usual_per_day: float | None
    since: dt.datetime


def leak_signal(policy: Policy, spans: Sequence[Interval], now: dt.datetime) -> LeakSignal | None:
    """A possible leak from the reads: the latest period used more than N times the usual daily use (the average of
    the periods in the year before it, at least three of them), or frequent reads (an hour or less apart) showed use
    in every interval for M days running (a toilet or pipe that never stops)."""
    if not spans:
        return None
    hourly: list[Interval] = []
    for span in reversed(spans):
        if (span.end - span.start) > dt.timedelta(minutes=90) or span.gallons <= 0:
            break
        hourly.append(span)
    if hourly:
        covered = hourly[0].end - hourly[-1].start
        if covered >= dt.timedelta(days=policy.continuous_use_alert_days) and now - hourly[0].end < dt.timedelta(
            days=2
        ):
            total = sum(s.gallons for s in hourly)
            return LeakSignal("continuous", total / (covered.total_seconds() / 86400), None, hourly[-1].start)
    billing = [s for s in spans if (s.end - s.start) >= dt.timedelta(days=20)]
    if len(billing) < 4:
        return None
    latest = billing[-1]
    if now - latest.end > dt.timedelta(days=45):
        return None  # an old spike is history, not an alert
    year_before = [s for s in billing[:-1] if s.end >= latest.start - dt.timedelta(days=365)]
    if len(year_before) < 3:
        return None
    usual = sum(s.gallons for s in year_before) / sum(s.days for s in year_before)
    if usual > 0 and latest.per_day > policy.high_use_alert_factor * usual:
        return LeakSignal("high", latest.per_day, usual, latest.start)
    return None


def bill_is_new(bill_date: dt.date | None, today: dt.date, days: int = 21) -> bool:
    """A bill counts as "ready" (news) for the weeks until it falls due."""
    return bill_date is not None and 0 <= (today - bill_date).days <= days
