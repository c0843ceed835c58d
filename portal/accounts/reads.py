"""Meter reads: the validation rule of docs/design.md (section 4) as pure functions, the history it needs, and recording
a read (with its audit row). The field side checks on the phone with the same numbers, sent with each order.

A register value is what the dials show; usage is the difference times the meter's multiplier, in the meter's unit
(gallons for water, kWh for electric, therms for gas). The checks against history work the same for every kind; the
ceiling by meter size is water's only. A read lower than the last one is never taken silently: the dials may have
rolled over, or someone misread them.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.db import fetch_prepared, insert_returning_id, is_postgresql, member_of_param
from portal.i18n import gettext as _

from .actor import Actor
from .audit import AuditLater, record
from .models import Meter, MeterRead, ReadSource, utcnow
from .policy import Policy

DAY_SECONDS = 86_400


class ReadFlag(enum.StrEnum):
    HIGH = "high"
    LOW = "low"
    NEGATIVE = "negative"  # lower than the last read
    ROLLOVER = "rollover"  # ... and a wrap-around of the dials would give a believable usage
    RE_ENTERED = "re_entered"  # the reader typed it twice to confirm


@dataclass(frozen=True)
class MeterFacts:
    size: str
    dials: int
    multiplier: int
    kind: str = "water"  # water, electric, gas
    unit: str = "gal"

    @property
    def unit_word(self) -> str:
        """The usage unit in the reason a reader sees (water usage is counted in gallons whatever the register)."""
        return str(ENERGY_UNIT_WORDS.get(self.kind, "gal"))


ENERGY_UNIT_WORDS = {"electric": "kWh", "gas": "therms"}


def ceiling_per_day(policy: Policy, meter: MeterFacts) -> int | None:
    """Water's most a meter of its size can pass in a day; electric and gas have no such ceiling (history only)."""
    return policy.read_ceiling_per_day(meter.size) if meter.kind == "water" else None


@dataclass(frozen=True)
class ReadHistory:
    previous_value: int | None
    previous_at: dt.datetime | None
    average_daily: float | None  # gallons a day over the history window; None without two reads


@dataclass(frozen=True)
class ReadCheck:
    value: int
    usage: int | None  # gallons since the previous read (after a rollover when that is what it looks like)
    days: float
    flags: tuple[str, ...]
    expected_low: int | None  # register values the read was expected between
    expected_high: int | None
    reason: str  # for the reader: why it was flagged, or "" when it was not

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


def _days(since: dt.datetime, until: dt.datetime) -> float:
    return max((until - since).total_seconds() / DAY_SECONDS, 1.0)


def _limits(policy: Policy, meter: MeterFacts, history: ReadHistory, days: float) -> tuple[float | None, float | None]:
    """(low, high) usage in gallons for this many days: high is the smaller of the history's and the meter size's."""
    ceiling = ceiling_per_day(policy, meter)
    highs = [c * days for c in (ceiling,) if c is not None]
    low = None
    if history.average_daily is not None and history.average_daily > 0:
        highs.append(policy.high_read_factor * history.average_daily * days)
        low = policy.low_read_factor * history.average_daily * days
    return low, (min(highs) if highs else None)


def expected_range(
    policy: Policy, meter: MeterFacts, history: ReadHistory, on: dt.datetime
) -> tuple[int | None, int | None]:
    """The register values a read taken at `on` should fall between (either end None when unknown)."""
    if history.previous_value is None or history.previous_at is None:
        return None, None
    low, high = _limits(policy, meter, history, _days(history.previous_at, on))
    modulus = 10**meter.dials
    previous = history.previous_value

    def as_value(gallons: float) -> int:
        return int((previous + int(gallons // meter.multiplier)) % modulus)

    return (as_value(low) if low is not None else None, as_value(high) if high is not None else None)


def check_read(policy: Policy, meter: MeterFacts, history: ReadHistory, value: int, read_at: dt.datetime) -> ReadCheck:
    """Flag a read high, low or negative (docs/design.md, section 4); a flagged read is re-entered and photographed."""
    if history.previous_value is None or history.previous_at is None:
        return ReadCheck(value, None, 0.0, (), None, None, "")
    days = _days(history.previous_at, read_at)
    low, high = _limits(policy, meter, history, days)
    expected_low, expected_high = expected_range(policy, meter, history, read_at)
    previous = history.previous_value
    flags: list[str] = []
    if value < previous:
        wrapped = (10**meter.dials - previous + value) * meter.multiplier
        flags.append(ReadFlag.NEGATIVE)
        if high is None or wrapped <= high:
            flags.append(ReadFlag.ROLLOVER)
            if meter.kind != "water":
                reason = _(
                    "Lower than the last read (%(previous)s): the dials may have rolled over (%(usage)s %(unit)s), or "
                    "the read is wrong. Check the meter and enter the read again."
                ) % {"previous": previous, "usage": f"{wrapped:,}", "unit": meter.unit_word}
                return ReadCheck(value, wrapped, days, tuple(flags), expected_low, expected_high, reason)
            reason = _(
                "Lower than the last read (%(previous)s): the dials may have rolled over (%(usage)s gal), or the "
                "read is wrong. Check the meter and enter the read again."
            ) % {"previous": previous, "usage": f"{wrapped:,}"}
            return ReadCheck(value, wrapped, days, tuple(flags), expected_low, expected_high, reason)
        reason = _("Lower than the last read (%(previous)s). Check the meter and enter the read again.") % {
            "previous": previous
        }
        return ReadCheck(value, None, days, tuple(flags), expected_low, expected_high, reason)
    usage = (value - previous) * meter.multiplier
    reason = ""
    numbers = {"usage": f"{usage:,}", "days": round(days), "unit": meter.unit_word}
    if meter.kind != "water" and high is not None and usage > high:
        flags.append(ReadFlag.HIGH)
        reason = (
            _("Higher than expected (%(usage)s %(unit)s in %(days)s days). Check the meter, then enter the read again.")
            % numbers
        )
    elif meter.kind != "water" and low is not None and usage < low:
        flags.append(ReadFlag.LOW)
        reason = (
            _(
                "Lower than expected (%(usage)s %(unit)s in %(days)s days). Check the meter is turning, then enter the "
                "read again."
            )
            % numbers
        )
    elif high is not None and usage > high:
        flags.append(ReadFlag.HIGH)
        reason = _(
            "Higher than expected (%(usage)s gal in %(days)s days). Check for a leak, then enter the read again."
        ) % {"usage": f"{usage:,}", "days": round(days)}
    elif low is not None and usage < low:
        flags.append(ReadFlag.LOW)
        reason = _(
            "Lower than expected (%(usage)s gal in %(days)s days). Check the meter is turning, then enter the read "
            "again."
        ) % {"usage": f"{usage:,}", "days": round(days)}
    return ReadCheck(value, usage, days, tuple(flags), expected_low, expected_high, reason)


def average_daily(reads: Sequence[tuple[dt.datetime, int]], meter: MeterFacts) -> float | None:
    """Gallons a day across consecutive reads (oldest first), counting a wrap-around of the dials as one turn."""
    if len(reads) < 2:
        return None
    gallons = 0
    for (_at, before), (_later, after) in zip(reads, reads[1:], strict=False):
        gallons += use_between(before, after, meter.dials, meter.multiplier)
    days = _days(reads[0][0], reads[-1][0])
    return gallons / days


def use_between(before: int, after: int, dials: int, multiplier: int) -> int:
    """What a meter counted from one reading to the next, in its unit (gallons, kWh, therms) times its multiplier; a
    lower reading is one wrap of the dials."""
    step = after - before
    return (step if step >= 0 else step + 10**dials) * multiplier


def uses_since_previous(reads: Sequence[tuple[int, int, int, int, int]]) -> dict[int, int]:
    """{read id: use since the same meter's previous reading} for reads given newest first as (read id, meter id,
    value, dials, multiplier): the oldest read of each meter has no previous one here and is left out."""
    out: dict[int, int] = {}
    later: dict[int, tuple[int, int]] = {}  # meter id -> (read id, value) of the next newer read
    for read_id, meter_id, value, dials, multiplier in reads:
        newer = later.get(meter_id)
        if newer is not None:
            out[newer[0]] = use_between(value, newer[1], dials, multiplier)
        later[meter_id] = (read_id, value)
    return out


class MeterLike(Protocol):
    """What the read checks need of a meter: a Meter row, or the few columns the field sync loads of one."""

    @property
    def id(self) -> int: ...
    @property
    def size(self) -> str: ...
    @property
    def dials(self) -> int: ...
    @property
    def multiplier(self) -> int: ...


def facts_of(meter: MeterLike) -> MeterFacts:
    kind = getattr(meter, "kind", None)  # the field sync's rows may not carry it: water, as before
    unit = getattr(meter, "unit", None)
    return MeterFacts(
        size=meter.size,
        dials=meter.dials,
        multiplier=meter.multiplier,
        kind=str(getattr(kind, "value", kind) or "water"),
        unit=str(unit or "gal"),
    )


def history_from(
    reads: Sequence[tuple[dt.datetime, int]], meter: MeterFacts, policy: Policy, before: dt.datetime
) -> ReadHistory:
    """The history a read taken at `before` is checked against, from a meter's actual reads (oldest first): the last
    one before it and the average daily usage over the policy's window."""
    since = before - dt.timedelta(days=policy.read_history_days)
    window = [(at, value) for at, value in reads if since <= at < before]
    last = window[-1] if window else (None, None)
    return ReadHistory(last[1], last[0], average_daily(window, meter))


@functools.cache
def _history_query(postgresql: bool) -> Select[int, dt.datetime, int]:
    """Actual reads of some meters (`meter_ids`) from `since` on, per meter oldest first: what `history_from` takes.
    Built once per dialect and run through `fetch_prepared` (a field sync request runs it)."""
    return (
        select(MeterRead.meter_id, MeterRead.read_at, MeterRead.value)
        .where(
            member_of_param(MeterRead.meter_id, "meter_ids", postgresql=postgresql),
            MeterRead.read_at >= bindparam("since"),
            MeterRead.source != ReadSource.ESTIMATED,
        )
        .order_by(MeterRead.meter_id, MeterRead.read_at, MeterRead.id)
    )


async def recent_reads(
    session: AsyncSession, meter_ids: list[int], since: dt.datetime
) -> dict[int, list[tuple[dt.datetime, int]]]:
    """The actual reads of many meters from `since` on, per meter oldest first (what `history_from` takes), in one
    query; a meter without any is missing. Pending ORM changes are flushed first, as `session.execute` would."""
    found: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    if meter_ids:
        if session.new or session.dirty or session.deleted:
            await session.flush()
        query = _history_query(is_postgresql(session))
        for meter_id, read_at, value in await fetch_prepared(session, query, meter_ids=list(meter_ids), since=since):
            found[meter_id].append((read_at, value))
    return found


async def histories(
    session: AsyncSession, policy: Policy, meters: Iterable[Meter], before: dt.datetime
) -> dict[int, ReadHistory]:
    """Each meter's last read and average daily usage, from reads in the policy's window (one query for all)."""
    by_id = {m.id: m for m in meters}
    if not by_id:
        return {}
    found = await recent_reads(session, list(by_id), before - dt.timedelta(days=policy.read_history_days))
    return {
        meter_id: history_from(found.get(meter_id, []), facts_of(meter), policy, before)
        for meter_id, meter in by_id.items()
    }


async def history(session: AsyncSession, policy: Policy, meter: Meter, before: dt.datetime) -> ReadHistory:
    return (await histories(session, policy, [meter], before))[meter.id]


def new_read(
    actor: Actor,
    meter: MeterLike,
    *,
    value: int,
    read_at: dt.datetime,
    flags: Iterable[str] = (),
    source: ReadSource = ReadSource.FIELD,
    work_order_id: int | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """One read's row, checked against the meter's register."""
    if value < 0 or value >= 10**meter.dials:
        raise ValueError(f"read {value} does not fit a {meter.dials}-dial register")
    return {
        "meter_id": meter.id,
        "value": value,
        "read_at": read_at,
        "source": source,
        "flags": sorted(set(flags)),
        "reader_id": actor.user_id,
        "work_order_id": work_order_id,
        "note": (note or None) and note[:500],
    }


def _audit_after(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("meter_id", "value", "read_at", "flags", "source", "work_order_id")}


async def record_read(session: AsyncSession, actor: Actor, meter: Meter, **facts: Any) -> MeterRead:
    """Store one read with its flags and an audit row, in the caller's transaction (facts as for `new_read`)."""
    row = new_read(actor, meter, **facts)
    read = MeterRead(**row)
    session.add(read)
    await session.flush()
    await record(session, actor, "meter_read.record", "meter_read", read.id, after=_audit_after(row))
    return read


def checked_flags(check: ReadCheck, *, confirmed: bool) -> list[str]:
    """The flags a read is stored with: the read check's, and `re_entered` when the reader typed a flagged read again."""
    return list(check.flags) + ([ReadFlag.RE_ENTERED] if confirmed and check.flagged else [])


async def record_field_reads(session: AsyncSession, audit: AuditLater, rows: list[dict[str, Any]]) -> list[int]:
    """Store many reads (rows from `new_read`, flagged by `checked_flags`) with one multi-row INSERT in the caller's
    transaction, their audit rows added to `audit` (which the caller writes); their ids, in order."""
    if not rows:
        return []
    now = utcnow()
    ids = await insert_returning_id(session, MeterRead.__table__, [{**row, "created_at": now} for row in rows])
    for row, read_id in zip(rows, ids, strict=True):
        audit.add("meter_read.record", "meter_read", read_id, after=_audit_after(row))
    return ids
