"""A bill from plain values: reads -> usage -> lines per service and tier -> total. Pure: no database, no clock.

The values made per read, period and line are NamedTuples (immutable, and several times quicker to make than frozen
dataclasses: a bill run makes millions of them).

Every amount is rounded once, in the line that charges it. Every line carries the message (key and numbers) that
explains it, so the bill can say in the reader's language how it was worked out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from portal.accounts.policy import Policy

from .pricing import cents, energy_blocks, energy_cents, volume_cents, water_blocks
from .rates import RateBook, RateError, RateSchedule, Segment
from .wording import MESSAGES

# Billing units are gallons; meters may count in other units.
GALLONS_PER_UNIT = {"gal": Decimal(1), "cf": Decimal("7.48052"), "ccf": Decimal("748.052"), "kgal": Decimal(1000)}
ACTUAL_SOURCES = frozenset({"field", "customer", "check", "office"})

Message = tuple[str, dict[str, Any]]


class BillHeld(Exception):  # named for the decision (a held bill), not as an error
    """This account cannot be billed now; `reason` says why (a code) and `needs_read` asks for a read order (of the
    `meter_kind` meter when it is an electric or gas one, else the water meter)."""

    def __init__(self, reason: str, *, needs_read: bool = False, meter_kind: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.needs_read = needs_read
        self.meter_kind = meter_kind


class Read(NamedTuple):
    value: int
    on: dt.date
    source: str = "field"
    id: int | None = None
    flags: tuple[str, ...] = ()  # from read validation: "rollover" means the reader confirmed the dials wrapped


@dataclass(frozen=True)
class MeterInfo:
    size: str = "5/8"
    dials: int = 6
    multiplier: int = 1
    unit: str = "gal"

    @property
    def capacity(self) -> int:
        return int(10**self.dials)

    @property
    def gallons_per_register_unit(self) -> Decimal:
        return GALLONS_PER_UNIT[self.unit] * self.multiplier


class PastUsage(NamedTuple):
    """An earlier actual period: for estimates and the winter average (gallons; kWh or therms for an electric or gas
    meter's history)."""

    end: dt.date
    days: int
    gallons: int


class EnergyReads(NamedTuple):
    """An electric or gas meter's reads for one bill: the reading the period opens on (the one the last bill closed
    on, actual or estimated, as water's bill opens on its last bill's read), the actual read that closes it (None:
    estimate it) and the meter's actual periods before (in kWh or therms, multiplier applied)."""

    start: Read
    end: Read | None
    history: tuple[PastUsage, ...] = ()
    dials: int = 5
    multiplier: int = 1
    meter_id: int | None = None


class ServiceInfo(NamedTuple):
    kind: str  # water, sewer, solid_waste, stormwater, electric, gas
    rate_code: str
    quantity: int = 1
    started_on: dt.date = dt.date(2000, 1, 1)
    ended_on: dt.date | None = None
    units: int | None = None  # electric/gas: the kWh or therms its own meter measured this period
    reads: EnergyReads | None = None  # electric/gas: its meter's reads, when `units` is to be measured or estimated


@dataclass(frozen=True)
class BillInput:
    period_start: dt.date
    period_end: dt.date
    services: tuple[ServiceInfo, ...]
    residential: bool = True
    meter: MeterInfo | None = None
    prev_read: Read | None = None
    curr_read: Read | None = None  # None: no read this period, estimate
    history: tuple[PastUsage, ...] = ()
    consecutive_estimates: int = 0
    share: tuple[int, int] | None = None  # master meter: (this unit's index, number of units)
    final: bool = False
    # The meter was changed in this period: `prev_read` is the removed meter's, `curr_read` the new meter's.
    change: MeterChange | None = None

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days + 1


@dataclass(frozen=True)
class MeterChange:
    """A meter change inside a bill's period: the removed meter with its final read, the new one with its first."""

    old_meter: MeterInfo
    old_final: Read
    new_first: Read


class Line(NamedTuple):
    service_kind: str
    text: Message
    amount_cents: int
    quantity: Decimal | None = None
    unit: str | None = None
    rate_cents: int | None = None  # per unit of quantity (per 1,000 gallons for volume lines)
    notes: tuple[Message, ...] = ()


@dataclass(frozen=True)
class Usage:
    gallons: int
    register_units: int  # meter units consumed (before multiplier and conversion)
    estimated: bool
    estimated_read: Read | None = None  # the estimated reading to record when estimated
    notes: tuple[Message, ...] = ()
    needs_read_order: bool = False
    master_gallons: int | None = None  # the whole master meter's use when this bill is a share of it


class EnergyUsage(NamedTuple):
    """What an electric or gas meter measured for a bill, or its estimate: kWh or therms (multiplier applied), the
    reading the period opened and closed on (an estimated one when estimated) and the basis of an estimate."""

    kind: str
    units: int
    estimated: bool
    start: Read
    end: Read
    meter_id: int | None = None
    basis: str | None = None
    needs_read_order: bool = False


@dataclass(frozen=True)
class Bill:
    period_start: dt.date
    period_end: dt.date
    usage: Usage
    lines: tuple[Line, ...]
    final: bool = False
    notes: tuple[Message, ...] = field(default_factory=tuple)
    energy: tuple[EnergyUsage, ...] = ()

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    @property
    def estimated(self) -> bool:
        """Any of the bill's meters estimated (water or energy): the bill counts as estimated."""
        return self.usage.estimated or any(e.estimated for e in self.energy)

    @property
    def needs_read_order(self) -> bool:
        return self.usage.needs_read_order or any(e.needs_read_order for e in self.energy)

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days + 1


# ---- usage ------------------------------------------------------------------------------------------------------


def register_delta(meter: MeterInfo, prev: int, curr: int, flags: tuple[str, ...] = ()) -> tuple[int, bool]:
    """Units the meter moved, and whether it rolled over. A backwards read is a rollover when the reader confirmed
    it (flag "rollover") or the wrap is plausible (at most half the dials' range); anything else is an error that
    holds the bill: it is never billed silently."""
    if curr >= prev:
        return curr - prev, False
    rolled = curr + meter.capacity - prev
    if rolled > meter.capacity // 2 and "rollover" not in flags:
        raise BillHeld("negative_usage")
    return rolled, True


def to_gallons(meter: MeterInfo, units: int) -> int:
    if meter.unit == "gal":
        return units * meter.multiplier
    return cents(meter.gallons_per_register_unit * units)


def consumption_across_change(
    old_meter: MeterInfo, prev: Read, old_final: Read, new_meter: MeterInfo, new_first: Read, curr: Read
) -> tuple[int, int]:
    """Each meter for its days: the removed meter's (final - previous read) plus the new meter's (current - first
    read), each in its own register's units and turned into gallons on its own terms. (gallons, register units of
    both meters.)"""
    old_units, _rolled = register_delta(old_meter, prev.value, old_final.value, old_final.flags)
    new_units, _rolled = register_delta(new_meter, new_first.value, curr.value, curr.flags)
    return to_gallons(old_meter, old_units) + to_gallons(new_meter, new_units), old_units + new_units


def split_evenly(total: int, count: int) -> list[int]:
    """Whole gallons per unit that add up to the total (the first units take the remainder)."""
    base, extra = divmod(total, count)
    return [base + (1 if index < extra else 0) for index in range(count)]


LAST_YEAR_SLACK = dt.timedelta(days=20)  # a period "the same as last year's" ends within this many days of it


def same_period_last_year(ends: Sequence[dt.date], period_end: dt.date) -> int | None:
    """Of earlier periods (by their end dates), the index of the one that ended closest to a year before
    `period_end`, within LAST_YEAR_SLACK: for an estimate, and for the bill's comparison with last year."""
    target = period_end - dt.timedelta(days=365)
    low, high = target - LAST_YEAR_SLACK, target + LAST_YEAR_SLACK
    best = None
    for index, end in enumerate(ends):
        if low <= end <= high and (best is None or abs((end - target).days) < abs((ends[best] - target).days)):
            best = index
    return best


def estimate_daily(history: Sequence[PastUsage], period_end: dt.date) -> tuple[Decimal, str]:
    """Average gallons a day: the same period last year when known, else the last three periods."""
    periods = [h for h in history if h.days > 0]
    index = same_period_last_year([h.end for h in periods], period_end)
    if index is not None:
        best = periods[index]
        return Decimal(best.gallons) / best.days, "basis_last_year"
    recent = sorted((h for h in history if h.days > 0 and h.end < period_end), key=lambda h: h.end)[-3:]
    if recent:
        return Decimal(sum(h.gallons for h in recent)) / sum(h.days for h in recent), "basis_recent"
    return Decimal(0), "basis_none"


def winter_daily(history: Sequence[PastUsage], period_end: dt.date, policy: Policy) -> Decimal | None:
    """Average gallons a day over the winter periods of the last 12 months, or None without any."""
    year_ago = period_end - dt.timedelta(days=366)
    winter = [
        h for h in history if h.end.month in policy.winter_months and year_ago < h.end < period_end and h.days > 0
    ]
    if not winter:
        return None
    return Decimal(sum(h.gallons for h in winter)) / sum(h.days for h in winter)


def measure(data: BillInput, policy: Policy) -> Usage:
    meter = data.meter
    if meter is None or data.prev_read is None:
        return Usage(0, 0, estimated=False)
    notes: list[Message] = []
    estimated_read = None
    needs_read_order = False
    if data.change is not None and data.curr_read is not None:
        return _measure_change(data, meter, data.change, data.curr_read)
    if data.curr_read is not None:
        units, rolled = register_delta(meter, data.prev_read.value, data.curr_read.value, data.curr_read.flags)
        notes.append(
            (
                "usage_actual",
                {
                    "prev": data.prev_read.value,
                    "prev_on": data.prev_read.on.isoformat(),
                    "curr": data.curr_read.value,
                    "curr_on": data.curr_read.on.isoformat(),
                },
            )
        )
        if rolled:
            notes.append(("usage_rollover", {}))
        estimated = data.curr_read.source not in ACTUAL_SOURCES
    else:
        if data.consecutive_estimates >= policy.max_consecutive_estimates:
            raise BillHeld("estimate_limit", needs_read=True)
        daily, basis = estimate_daily(data.history, data.period_end)
        gallons_wanted = daily * data.days
        units = cents(gallons_wanted / meter.gallons_per_register_unit)
        estimated_read = Read((data.prev_read.value + units) % meter.capacity, data.period_end, "estimated")
        estimated = True
        needs_read_order = data.consecutive_estimates + 1 >= policy.max_consecutive_estimates
        notes.append(("usage_estimated", {"basis": [basis]}))
    if meter.multiplier != 1:
        notes.append(("usage_multiplier", {"multiplier": meter.multiplier}))
    if meter.unit != "gal":
        notes.append(("usage_unit", {"unit": meter.unit, "gallons": float(GALLONS_PER_UNIT[meter.unit])}))
    gallons = to_gallons(meter, units)
    master = None
    if data.share is not None:
        index, count = data.share
        master = gallons
        gallons = split_evenly(gallons, count)[index]
        notes.append(("note_share", {"count": count, "total": master}))
    if needs_read_order:
        notes.append(("read_order", {}))
    return Usage(gallons, units, estimated, estimated_read, tuple(notes), needs_read_order, master)


def _measure_change(data: BillInput, meter: MeterInfo, change: MeterChange, curr: Read) -> Usage:
    assert data.prev_read is not None  # measure() returns early without one
    gallons, units = consumption_across_change(
        change.old_meter, data.prev_read, change.old_final, meter, change.new_first, curr
    )
    notes: list[Message] = [
        (
            "usage_meter_change",
            {
                "prev": data.prev_read.value,
                "final": change.old_final.value,
                "changed_on": change.old_final.on.isoformat(),
                "first": change.new_first.value,
                "curr": curr.value,
                "curr_on": curr.on.isoformat(),
            },
        )
    ]
    master = None
    if data.share is not None:  # a master meter changed: each unit's share of both meters' use
        index, count = data.share
        master = gallons
        gallons = split_evenly(gallons, count)[index]
        notes.append(("note_share", {"count": count, "total": master}))
    return Usage(gallons, units, curr.source not in ACTUAL_SOURCES, notes=tuple(notes), master_gallons=master)


def measure_energy(kind: str, reads: EnergyReads, data: BillInput, policy: Policy) -> EnergyUsage:
    """An electric or gas meter's use for the bill: the actual read that closes the period less the reading it opened
    on; without one, an estimate by water's rule (docs/policies.md, Estimates) in the meter's own unit: the daily use
    of the same period last year, else of the last three periods, times the bill's days, in whole register units and
    at most half the dials' range (so the recorded reading never looks like a rollover). The estimate limit is the
    account's, shared with water: at the limit the bill is held and a read ordered. Without any history there is no
    estimate: the bill is held (`no_read:<kind>`)."""
    meter = MeterInfo("", reads.dials, reads.multiplier, "gal")
    if reads.end is not None:
        delta, _rolled = register_delta(meter, reads.start.value, reads.end.value, reads.end.flags)
        estimated = reads.end.source not in ACTUAL_SOURCES
        return EnergyUsage(kind, delta * reads.multiplier, estimated, reads.start, reads.end, reads.meter_id)
    daily, basis = estimate_daily(reads.history, data.period_end)
    if basis == "basis_none":
        raise BillHeld(f"no_read:{kind}")
    if data.consecutive_estimates >= policy.max_consecutive_estimates:
        raise BillHeld("estimate_limit", needs_read=True, meter_kind=kind)
    register = min(cents(daily * data.days / reads.multiplier), meter.capacity // 2)
    end = Read((reads.start.value + register) % meter.capacity, data.period_end, "estimated")
    needs_read_order = data.consecutive_estimates + 1 >= policy.max_consecutive_estimates
    return EnergyUsage(
        kind, register * reads.multiplier, True, reads.start, end, reads.meter_id, basis, needs_read_order
    )


def energy_usages(data: BillInput, policy: Policy) -> dict[str, EnergyUsage]:
    """Each electric or gas service's use (by kind), for the services given their meter's reads that ran in the
    period (a service stopped before it is neither measured nor estimated)."""
    return {
        s.kind: measure_energy(s.kind, s.reads, data, policy)
        for s in data.services
        if s.kind in ("electric", "gas")
        and s.units is None
        and s.reads is not None
        and service_window(s, data, policy) is not None
    }


# ---- charges ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    """The days a service ran in this period, and the share of a month's fixed charge they earn."""

    start: dt.date
    end: dt.date
    fixed_factor: Decimal
    prorated: bool

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def service_window(service: ServiceInfo, data: BillInput, policy: Policy) -> _Window | None:
    start = max(data.period_start, service.started_on)
    end = min(data.period_end, service.ended_on) if service.ended_on else data.period_end
    if end < start:
        return None
    days = (end - start).days + 1
    started_now = service.started_on >= data.period_start
    stopped_now = service.ended_on is not None and service.ended_on <= data.period_end
    if not (started_now or stopped_now):
        return _Window(start, end, Decimal(1), prorated=False)
    factor = min(Decimal(1), Decimal(days) / policy.proration_days_per_month)
    return _Window(start, end, factor, prorated=True)


def _rate_part_note(segment: Segment, window: _Window, split: bool) -> list[Message]:
    if not split:
        return []
    return [
        (
            "note_rate_part",
            {
                "start_on": segment.start.isoformat(),
                "end_on": segment.end.isoformat(),
                "days": segment.days,
                "period_days": window.days,
            },
        )
    ]


def _segment_notes(segment: Segment, window: _Window, split: bool, policy: Policy) -> list[Message]:
    notes = _rate_part_note(segment, window, split)
    if window.prorated:
        notes.append(("note_prorated", {"days": window.days, "per_month": policy.proration_days_per_month}))
    return notes


def _fixed(
    kind: str,
    text: Message,
    monthly_cents: int,
    segment: Segment,
    window: _Window,
    split: bool,
    policy: Policy,
    quantity: int | None = None,
    unit: str | None = None,
) -> Line:
    share = Decimal(segment.days) / window.days * window.fixed_factor
    return Line(
        kind,
        text,
        cents(monthly_cents * share),
        Decimal(quantity) if quantity is not None else None,
        unit,
        None,
        tuple(_segment_notes(segment, window, split, policy)),
    )


def _volume(
    kind: str, text: Message, gallons: Decimal, rate_cents: int, amount: int, notes: tuple[Message, ...]
) -> Line:
    shown = gallons.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Line(kind, text, amount, shown, "gal", rate_cents, notes)


def water_lines(
    schedule: RateSchedule,
    meter: MeterInfo,
    gallons: int,
    segment: Segment,
    window: _Window,
    split: bool,
    policy: Policy,
) -> list[Line]:
    lines = [
        _fixed(
            "water",
            ("water_base", {"size": meter.size}),
            schedule.base_for_size(meter.size),
            segment,
            window,
            split,
            policy,
        )
    ]
    # A stretch of the period under one schedule gets its share of the use and of the tiers (pricing.water_blocks).
    notes = tuple(_rate_part_note(segment, window, split))
    for block in water_blocks(schedule.tiers, gallons, Decimal(segment.days) / window.days):
        if block.up_to_gallons is None:
            text: Message = ("water_tier_top", {"low": block.low})
        else:
            text = ("water_tier", {"low": block.low + 1 if block.low else 0, "high": block.up_to_gallons})
        lines.append(_volume("water", text, block.gallons, block.cents_per_kgal, block.amount_cents, notes))
    return lines


def sewer_billed_gallons(data: BillInput, water_gallons: int, policy: Policy) -> tuple[int, list[Message]]:
    billed = water_gallons
    notes: list[Message] = [("note_sewer_actual", {})]
    daily = winter_daily(data.history, data.period_end, policy)
    if daily is not None and data.period_end.month not in policy.winter_months:
        cap = cents(daily * data.days)
        if cap < billed:
            billed = cap
            notes = [("note_sewer_winter", {"daily": int(cents(daily)), "days": data.days, "water": water_gallons})]
    if data.residential and billed > policy.residential_sewer_cap_gallons:
        billed = policy.residential_sewer_cap_gallons
        notes.append(("note_sewer_cap", {"cap": policy.residential_sewer_cap_gallons}))
    return billed, notes


def sewer_lines(
    schedule: RateSchedule,
    billed: int,
    basis: list[Message],
    segment: Segment,
    window: _Window,
    split: bool,
    policy: Policy,
) -> list[Line]:
    lines = [_fixed("sewer", ("sewer_base", {}), schedule.base_cents, segment, window, split, policy)]
    fraction = Decimal(segment.days) / window.days
    notes = _rate_part_note(segment, window, split) + basis
    if billed:
        volume = Decimal(billed) * fraction
        rate = schedule.cents_per_kgal
        lines.append(_volume("sewer", ("sewer_volume", {}), volume, rate, volume_cents(volume, rate), tuple(notes)))
    return lines


def unit_lines(
    service: ServiceInfo, schedule: RateSchedule, segment: Segment, window: _Window, split: bool, policy: Policy
) -> list[Line]:
    key = f"per_unit_{service.kind}"
    text = (
        key if key in MESSAGES else "per_unit",
        {"name": schedule.name, "quantity": service.quantity, "unit": schedule.unit_name},
    )
    return [
        _fixed(
            service.kind,
            text,
            schedule.base_cents * service.quantity,
            segment,
            window,
            split,
            policy,
            quantity=service.quantity,
            unit=schedule.unit_name,
        )
    ]


def unit_price(millicents: int) -> str:
    """A price per kWh or therm in dollars to the thousandth of a cent ("$0.11500"): shown as data, not money."""
    sign = "-" if millicents < 0 else ""
    return f"{sign}${abs(millicents) // 100_000}.{abs(millicents) % 100_000:05d}"


def energy_lines(
    service: ServiceInfo,
    schedule: RateSchedule,
    rates: RateBook,
    segment: Segment,
    window: _Window,
    split: bool,
    policy: Policy,
    estimated: EnergyUsage | None = None,
) -> list[Line]:
    """Electric or gas: the customer charge, the use through the tiers of the season, and the PCA/PGA."""
    if service.units is None:
        raise BillHeld(f"no_read:{service.kind}")
    kind, unit = service.kind, schedule.unit_name
    lines = [_fixed(kind, (f"{schedule.kind}_customer", {}), schedule.base_cents, segment, window, split, policy)]
    fraction = Decimal(segment.days) / window.days
    # The season is the month the period ends in: one season a bill, so a bill never splits its tiers by season.
    tiers, summer = schedule.tiers_for_month(window.end.month)
    notes = tuple(_rate_part_note(segment, window, split))
    tier_notes = (*notes, ("note_summer", {})) if summer else notes
    single = len(tiers) == 1
    if estimated is not None:  # the first use line says the use is estimated, and from what
        tier_notes = (*tier_notes, (f"{kind}_estimated", {"units": service.units, "basis": [estimated.basis]}))
    for index, block in enumerate(energy_blocks(tiers, service.units, fraction)):
        if index == 1 and estimated is not None:
            tier_notes = tier_notes[:-1]
        params: dict[str, Any] = {"unit": unit, "price": unit_price(block.millicents_per_unit)}
        if single:
            key = f"{schedule.kind}_energy"
        elif block.up_to_units is None:
            key, params["low"] = f"{schedule.kind}_tier_top", block.low
        else:
            key = f"{schedule.kind}_tier"
            params.update(low=block.low + 1 if block.low else 0, high=block.up_to_units)
        shown = block.units.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        lines.append(Line(kind, (key, params), block.amount_cents, shown, unit, None, tier_notes))
    if schedule.adjustment_code and service.units:
        # The PCA/PGA is set monthly: the version in effect on the last day of this stretch prices all of its use.
        try:
            adjustment = rates.in_effect(schedule.adjustment_code, segment.end)
        except RateError as exc:
            raise BillHeld(f"no_rate:{schedule.adjustment_code}") from exc
        used = Decimal(service.units) * fraction
        price = adjustment.millicents_per_unit
        text: Message = (
            f"{schedule.kind}_adjustment",
            {
                "units": int(cents(used)),
                "unit": unit,
                "price": unit_price(price),
                "from_on": adjustment.effective_on.isoformat(),
            },
        )
        lines.append(Line(kind, text, energy_cents(used, price), Decimal(cents(used)), unit, None, notes))
    return lines


def compute(data: BillInput, rates: RateBook, policy: Policy) -> Bill:
    """The bill for one account and period. Raises BillHeld when it cannot be billed now (and says why)."""
    if data.period_end < data.period_start:
        raise BillHeld("empty_period")
    usage = measure(data, policy)
    energy = energy_usages(data, policy)
    lines: list[Line] = []
    sewer_gallons: tuple[int, list[Message]] | None = None
    for service in sorted(data.services, key=lambda s: SERVICE_ORDER.get(s.kind, 9)):
        window = service_window(service, data, policy)
        if window is None:
            continue
        try:
            segments = rates.segments(service.rate_code, window.start, window.end)
        except (RateError, KeyError) as exc:
            raise BillHeld(f"no_rate:{service.rate_code}") from exc
        split = len(segments) > 1
        for segment in segments:
            schedule = segment.schedule
            if schedule.kind == "metered_water":
                if data.meter is None:
                    raise BillHeld("no_meter")
                lines += water_lines(schedule, data.meter, usage.gallons, segment, window, split, policy)
            elif schedule.kind == "sewer":
                if sewer_gallons is None:
                    sewer_gallons = sewer_billed_gallons(data, usage.gallons, policy)
                lines += sewer_lines(schedule, sewer_gallons[0], sewer_gallons[1], segment, window, split, policy)
            elif schedule.kind in ("electric", "gas"):
                measured = energy.get(service.kind)
                if measured is not None:
                    service = service._replace(units=measured.units)
                estimated = measured if measured is not None and measured.estimated else None
                lines += energy_lines(service, schedule, rates, segment, window, split, policy, estimated)
            else:
                lines += unit_lines(service, schedule, segment, window, split, policy)
    notes: list[Message] = [("final_bill", {})] if data.final else []
    if any(e.needs_read_order for e in energy.values()) and not usage.needs_read_order:
        notes.append(("read_order", {}))
    return Bill(
        data.period_start, data.period_end, usage, tuple(lines), data.final, tuple(notes), tuple(energy.values())
    )


SERVICE_ORDER = {"water": 0, "sewer": 1, "solid_waste": 2, "stormwater": 3, "electric": 4, "gas": 5}
