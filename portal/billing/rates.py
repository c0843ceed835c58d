"""Rate schedules as data: what each service costs, effective from a date. The computation reads these; no price
is written in code. A schedule is stored as JSON (table `rate_schedule`, edited on the supervisor's rates page or
loaded by the seed) and parsed here into plain frozen values.

Kinds of schedule (`RateSchedule.kind`):
- "metered_water": a base charge by meter size plus inclining tiers priced per 1,000 gallons;
- "sewer": a base charge plus a volume charge per 1,000 gallons of water use (capped at the winter average and,
  for residential accounts, at the policy's cap);
- "per_unit": a flat monthly charge per unit (solid-waste carts, stormwater ERUs);
- "electric": a customer charge plus inclining tiers priced per kWh, with a second set of tiers for the summer
  months (the season is the month the period ends in), plus the power-cost adjustment (PCA) per kWh;
- "gas": a customer charge plus one price per therm, plus the purchased-gas adjustment (PGA) per therm;
- "adjustment": the PCA or PGA itself, one price per kWh or therm, a new version each month (staff set it on the
  rates page like any other version; the electric or gas schedule names it by `adjustment_code`).

Energy prices are in thousandths of a cent per unit (`millicents`: 11.5 cents a kWh is 11500) because they are
fractions of a cent; each line is rounded once to the cent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

KINDS = ("metered_water", "sewer", "per_unit", "electric", "gas", "adjustment")
ENERGY_UNITS = {"electric": "kWh", "gas": "therm"}


class RateError(ValueError):
    """A schedule that cannot be used (bad shape, no schedule in effect)."""


@dataclass(frozen=True)
class Tier:
    up_to_gallons: int | None  # upper bound of the block (cumulative); None: everything above the previous block
    cents_per_kgal: int


@dataclass(frozen=True)
class EnergyTier:
    up_to_units: int | None  # cumulative upper bound in kWh or therms; None: everything above
    millicents_per_unit: int


@dataclass(frozen=True)
class RateSchedule:
    rate_code: str  # what a Service row names: "W-RES", "S-COM", "SW-CART"...
    effective_on: dt.date
    kind: str
    name: str = ""  # how the bill names the charge: "Water", "Sewer", "Solid waste", "Stormwater"
    base_cents: int = 0  # sewer base; per_unit: cents per unit
    base_cents_by_size: Mapping[str, int] = field(default_factory=dict)  # metered water
    tiers: tuple[Tier, ...] = ()
    cents_per_kgal: int = 0  # sewer volume
    unit_name: str = ""  # per_unit: "cart", "ERU"; energy: "kWh", "therm"
    energy_tiers: tuple[EnergyTier, ...] = ()  # electric (all year or winter); gas: one open tier
    summer_tiers: tuple[EnergyTier, ...] = ()  # electric in the summer months; empty: no season
    summer_months: tuple[int, ...] = ()
    adjustment_code: str = ""  # the PCA/PGA schedule's code
    millicents_per_unit: int = 0  # adjustment kind

    def tiers_for_month(self, month: int) -> tuple[tuple[EnergyTier, ...], bool]:
        """The energy tiers billed for a period ending in `month`, and whether they are the summer ones."""
        if self.summer_tiers and month in self.summer_months:
            return self.summer_tiers, True
        return self.energy_tiers, False

    def base_for_size(self, size: str) -> int:
        if size in self.base_cents_by_size:
            return self.base_cents_by_size[size]
        raise RateError(f'{self.rate_code}: no base charge for a {size}" meter')

    def as_data(self) -> dict[str, Any]:
        """The JSON form stored in the database (effective date and code are columns of their own)."""
        data: dict[str, Any] = {"kind": self.kind, "name": self.name}
        if self.kind == "metered_water":
            data["base_cents_by_size"] = dict(self.base_cents_by_size)
            data["tiers"] = [{"up_to_gallons": t.up_to_gallons, "cents_per_kgal": t.cents_per_kgal} for t in self.tiers]
        elif self.kind == "sewer":
            data["base_cents"] = self.base_cents
            data["cents_per_kgal"] = self.cents_per_kgal
        elif self.kind in ENERGY_UNITS:
            data["customer_cents"] = self.base_cents
            data["tiers"] = _tiers_data(self.energy_tiers)
            if self.summer_tiers:
                data["summer_tiers"] = _tiers_data(self.summer_tiers)
                data["summer_months"] = list(self.summer_months)
            data["adjustment_code"] = self.adjustment_code
        elif self.kind == "adjustment":
            data["millicents_per_unit"] = self.millicents_per_unit
            data["unit_name"] = self.unit_name
        else:
            data["base_cents"] = self.base_cents
            data["unit_name"] = self.unit_name
        return data


def _tiers_data(tiers: Sequence[EnergyTier]) -> list[dict[str, Any]]:
    return [{"up_to_units": t.up_to_units, "millicents_per_unit": t.millicents_per_unit} for t in tiers]


def _energy_tiers(rate_code: str, raw_tiers: Any) -> tuple[EnergyTier, ...]:
    if not isinstance(raw_tiers, list) or not raw_tiers:
        raise RateError(f"{rate_code}: no energy tiers")
    tiers: list[EnergyTier] = []
    floor = 0
    for index, raw in enumerate(raw_tiers):
        if not isinstance(raw, Mapping):
            raise RateError(f"{rate_code}: a tier must be a mapping")
        up_to = raw.get("up_to_units")
        if up_to is None and index != len(raw_tiers) - 1:
            raise RateError(f"{rate_code}: only the last tier may be open-ended")
        if up_to is not None:
            up_to = _int(up_to, "tier bound")
            if up_to <= floor:
                raise RateError(f"{rate_code}: tier bounds must increase")
            floor = up_to
        tiers.append(EnergyTier(up_to, _int(raw.get("millicents_per_unit"), "price per unit")))
    if tiers[-1].up_to_units is not None:
        raise RateError(f"{rate_code}: the last tier must be open-ended")
    return tuple(tiers)


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RateError(f"{what} must be a whole number of cents or gallons, not {value!r}")
    return value


def parse(rate_code: str, effective_on: dt.date, data: Mapping[str, Any]) -> RateSchedule:
    """Check a stored schedule and turn it into values; RateError says what is wrong."""
    kind = data.get("kind")
    if kind not in KINDS:
        raise RateError(f"{rate_code}: unknown kind {kind!r}")
    name = str(data.get("name") or rate_code)
    if kind == "metered_water":
        sizes = data.get("base_cents_by_size") or {}
        if not sizes:
            raise RateError(f"{rate_code}: no base charges by meter size")
        raw_tiers = data.get("tiers") or []
        tiers: list[Tier] = []
        floor = 0
        for index, raw in enumerate(raw_tiers):
            up_to = raw.get("up_to_gallons")
            last = index == len(raw_tiers) - 1
            if up_to is None and not last:
                raise RateError(f"{rate_code}: only the last tier may be open-ended")
            if up_to is not None:
                up_to = _int(up_to, "tier bound")
                if up_to <= floor:
                    raise RateError(f"{rate_code}: tier bounds must increase")
                floor = up_to
            tiers.append(Tier(up_to, _int(raw.get("cents_per_kgal"), "tier price")))
        if not tiers or tiers[-1].up_to_gallons is not None:
            raise RateError(f"{rate_code}: the last tier must be open-ended")
        return RateSchedule(
            rate_code,
            effective_on,
            kind,
            name,
            base_cents_by_size={str(k): _int(v, "base charge") for k, v in sizes.items()},
            tiers=tuple(tiers),
        )
    if kind == "sewer":
        return RateSchedule(
            rate_code,
            effective_on,
            kind,
            name,
            base_cents=_int(data.get("base_cents", 0), "base charge"),
            cents_per_kgal=_int(data.get("cents_per_kgal", 0), "volume price"),
        )
    if kind in ENERGY_UNITS:
        summer: tuple[EnergyTier, ...] = ()
        months: tuple[int, ...] = ()
        if data.get("summer_tiers"):
            summer = _energy_tiers(rate_code, data.get("summer_tiers"))
            raw_months = data.get("summer_months") or []
            if not raw_months or any(
                isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= 12 for m in raw_months
            ):
                raise RateError(f"{rate_code}: summer months must be month numbers 1 to 12")
            months = tuple(sorted(set(raw_months)))
        energy: tuple[EnergyTier, ...]
        if kind == "gas" and "per_therm_millicents" in data:
            energy = (EnergyTier(None, _int(data["per_therm_millicents"], "price per therm")),)
        else:
            energy = _energy_tiers(rate_code, data.get("tiers"))
        return RateSchedule(
            rate_code,
            effective_on,
            kind,
            name,
            base_cents=_int(data.get("customer_cents", 0), "customer charge"),
            unit_name=ENERGY_UNITS[kind],
            energy_tiers=energy,
            summer_tiers=summer,
            summer_months=months,
            adjustment_code=str(data.get("adjustment_code") or ""),
        )
    if kind == "adjustment":
        unit = str(data.get("unit_name") or "kWh")
        if unit not in ENERGY_UNITS.values():
            raise RateError(f"{rate_code}: an adjustment is per kWh or per therm, not {unit!r}")
        raw = data.get("millicents_per_unit", 0)
        # A PCA/PGA may be a credit: a negative price is allowed here only.
        if isinstance(raw, bool) or not isinstance(raw, int) or abs(raw) > 10**9:
            raise RateError(f"{rate_code}: the adjustment must be a whole number of thousandths of a cent")
        return RateSchedule(rate_code, effective_on, kind, name, unit_name=unit, millicents_per_unit=raw)
    return RateSchedule(
        rate_code,
        effective_on,
        kind,
        name,
        base_cents=_int(data.get("base_cents", 0), "unit charge"),
        unit_name=str(data.get("unit_name") or "unit"),
    )


@dataclass(frozen=True)
class Segment:
    """A stretch of a billing period under one schedule."""

    schedule: RateSchedule
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class RateBook:
    """Every version of every schedule; answers which version applies on which days."""

    def __init__(self, schedules: Iterable[RateSchedule]) -> None:
        self._by_code: dict[str, list[RateSchedule]] = {}
        for schedule in schedules:
            self._by_code.setdefault(schedule.rate_code, []).append(schedule)
        for versions in self._by_code.values():
            versions.sort(key=lambda s: s.effective_on)

    @property
    def codes(self) -> list[str]:
        return sorted(self._by_code)

    def versions(self, rate_code: str) -> Sequence[RateSchedule]:
        return tuple(self._by_code.get(rate_code, ()))

    def in_effect(self, rate_code: str, on: dt.date) -> RateSchedule:
        found = None
        for schedule in self._by_code.get(rate_code, ()):
            if schedule.effective_on <= on:
                found = schedule
        if found is None:
            raise RateError(f"no {rate_code} rate in effect on {on.isoformat()}")
        return found

    def segments(self, rate_code: str, start: dt.date, end: dt.date) -> list[Segment]:
        """The period split where a new version takes effect (a mid-period rate change bills each part by days)."""
        current = self.in_effect(rate_code, start)
        parts: list[Segment] = []
        cursor = start
        for schedule in self._by_code[rate_code]:
            if start < schedule.effective_on <= end:
                parts.append(Segment(current, cursor, schedule.effective_on - dt.timedelta(days=1)))
                current, cursor = schedule, schedule.effective_on
        parts.append(Segment(current, cursor, end))
        return parts
