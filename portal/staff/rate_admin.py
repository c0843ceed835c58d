"""The supervisor's rates page: see every schedule's versions and add a new version from a date.

Rates are never edited in place once they apply: a change is a new version effective on a future date (a version
not yet in effect may be replaced). Every save writes an audit row with the old and new prices.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal import i18n
from portal.accounts import audit
from portal.accounts.actor import Actor
from portal.accounts.errors import NotFound
from portal.accounts.models import RateScheduleRecord
from portal.billing import rates
from portal.i18n import gettext as _
from portal.web import params

MAX_TIERS = 5
MAX_PRICE_CENTS = 10_000_000  # $100,000.00: no charge or price per 1,000 gallons comes near it
MAX_TIER_GALLONS = 10**9
MAX_UNIT_MILLICENTS = 10_000_000  # $100.00 a kWh or therm
ENERGY_KINDS = tuple(rates.ENERGY_UNITS)


@dataclass
class Version:
    effective_on: dt.date
    schedule: rates.RateSchedule
    in_effect: bool
    future: bool
    note: str

    @property
    def lines(self) -> list[str]:
        """The prices in words, for the overview."""
        s = self.schedule
        money = i18n.format_money
        if s.kind == "metered_water":
            out = [
                _("Base: %(sizes)s", sizes=", ".join(f'{size}" {money(c)}' for size, c in s.base_cents_by_size.items()))
            ]
            floor = 0
            for tier in s.tiers:
                if tier.up_to_gallons is None:
                    out.append(
                        _(
                            "Over %(low)s gal: %(price)s per 1,000 gal",
                            low=i18n.format_number(floor),
                            price=money(tier.cents_per_kgal),
                        )
                    )
                else:
                    out.append(
                        _(
                            "%(low)s to %(high)s gal: %(price)s per 1,000 gal",
                            low=i18n.format_number(floor),
                            high=i18n.format_number(tier.up_to_gallons),
                            price=money(tier.cents_per_kgal),
                        )
                    )
                    floor = tier.up_to_gallons
            return out
        if s.kind == "sewer":
            return [
                _("Base: %(base)s", base=money(s.base_cents)),
                _("Volume: %(price)s per 1,000 gal", price=money(s.cents_per_kgal)),
            ]
        if s.kind in ENERGY_KINDS:
            out = [_("Customer charge: %(price)s a month", price=money(s.base_cents))]
            out += _energy_lines(s.energy_tiers, s.unit_name, "")
            if s.summer_tiers:
                months = ", ".join(str(m) for m in s.summer_months)
                out += _energy_lines(s.summer_tiers, s.unit_name, _("Summer (months %(months)s): ", months=months))
            if s.adjustment_code:
                out.append(_("Plus the %(code)s adjustment per %(unit)s", code=s.adjustment_code, unit=s.unit_name))
            return out
        if s.kind == "adjustment":
            return [_("$%(price)s per %(unit)s", price=unit_dollars(s.millicents_per_unit), unit=s.unit_name)]
        return [_("%(price)s per %(unit)s a month", price=money(s.base_cents), unit=s.unit_name)]


def unit_dollars(millicents: int) -> str:
    """A price per kWh or therm to the thousandth of a cent, as typed in the form ("0.11500")."""
    sign = "-" if millicents < 0 else ""
    return f"{sign}{abs(millicents) // 100_000}.{abs(millicents) % 100_000:05d}"


def _energy_lines(tiers: tuple[rates.EnergyTier, ...], unit: str, prefix: str) -> list[str]:
    out = []
    floor = 0
    for tier in tiers:
        price = unit_dollars(tier.millicents_per_unit)
        if tier.up_to_units is None and floor == 0:  # one price for all use: "over 0 therm" said nothing
            words = _("all use: $%(price)s per %(unit)s", unit=unit, price=price)
        elif tier.up_to_units is None:
            words = _(
                "over %(low)s %(unit)s: $%(price)s per %(unit)s", low=i18n.format_number(floor), unit=unit, price=price
            )
        else:
            words = _(
                "%(low)s to %(high)s %(unit)s: $%(price)s per %(unit)s",
                low=i18n.format_number(floor),
                high=i18n.format_number(tier.up_to_units),
                unit=unit,
                price=price,
            )
            floor = tier.up_to_units
        out.append(prefix + words)
    return out


@dataclass
class Schedule:
    code: str
    name: str
    versions: list[Version]


async def _records(session: AsyncSession, code: str | None = None) -> list[RateScheduleRecord]:
    query = select(RateScheduleRecord).order_by(RateScheduleRecord.rate_code, RateScheduleRecord.effective_on)
    if code is not None:
        query = query.where(RateScheduleRecord.rate_code == code)
    return list(await session.scalars(query))


async def overview(session: AsyncSession, today: dt.date) -> list[Schedule]:
    by_code: dict[str, list[RateScheduleRecord]] = {}
    for record in await _records(session):
        by_code.setdefault(record.rate_code, []).append(record)
    out = []
    for code, records in by_code.items():
        current = max((r.effective_on for r in records if r.effective_on <= today), default=None)
        versions = [
            Version(
                r.effective_on,
                rates.parse(code, r.effective_on, r.data),
                r.effective_on == current,
                r.effective_on > today,
                r.note,
            )
            for r in records
        ]
        out.append(Schedule(code, versions[-1].schedule.name, versions))
    return out


@dataclass
class RateForm:
    """A hand-built form: its fields depend on the schedule's kind (sizes and tiers)."""

    code: str
    kind: str
    name: str
    service_kind: str
    current: rates.RateSchedule
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def error_list(self) -> list[tuple[str, str]]:
        return [(name, message) for name, messages in self.errors.items() for message in messages]

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def fill(self, data: dict[str, Any]) -> None:
        self.values.update({k: str(v).strip() for k, v in data.items() if k in self.field_names})

    @property
    def sizes(self) -> list[str]:
        return list(self.current.base_cents_by_size)

    @property
    def field_names(self) -> list[str]:
        names = ["effective_on", "note"]
        if self.kind == "metered_water":
            names += [f"base_{i}" for i in range(len(self.sizes))]
            names += [f"tier_up_to_{i}" for i in range(MAX_TIERS)] + [f"tier_price_{i}" for i in range(MAX_TIERS)]
        elif self.kind == "sewer":
            names += ["base", "per_kgal"]
        elif self.kind in ENERGY_KINDS:
            names += (
                ["base"] + [f"tier_up_to_{i}" for i in range(MAX_TIERS)] + [f"tier_price_{i}" for i in range(MAX_TIERS)]
            )
            if self.current.summer_tiers:
                names += [f"summer_price_{i}" for i in range(MAX_TIERS)]
        elif self.kind == "adjustment":
            names += ["unit_price"]
        else:
            names += ["base"]
        return names


def _dollars(cents: int) -> str:
    return f"{cents / 100:.2f}"


async def blank_form(session: AsyncSession, code: str, today: dt.date) -> RateForm:
    records = await _records(session, code)
    if not records:
        raise NotFound(_("There is no rate schedule with that code."))
    latest = records[-1]
    current = rates.parse(code, latest.effective_on, latest.data)
    form = RateForm(code, current.kind, current.name, str(latest.service_kind.value), current)
    form.values["effective_on"] = (today + dt.timedelta(days=1)).isoformat()
    form.values["note"] = ""
    if current.kind == "metered_water":
        for i, size in enumerate(form.sizes):
            form.values[f"base_{i}"] = _dollars(current.base_cents_by_size[size])
        for i in range(MAX_TIERS):
            tier = current.tiers[i] if i < len(current.tiers) else None
            form.values[f"tier_up_to_{i}"] = (
                "" if tier is None or tier.up_to_gallons is None else str(tier.up_to_gallons)
            )
            form.values[f"tier_price_{i}"] = "" if tier is None else _dollars(tier.cents_per_kgal)
    elif current.kind == "sewer":
        form.values["base"] = _dollars(current.base_cents)
        form.values["per_kgal"] = _dollars(current.cents_per_kgal)
    elif current.kind in ENERGY_KINDS:
        form.values["base"] = _dollars(current.base_cents)
        for i in range(MAX_TIERS):
            etier = current.energy_tiers[i] if i < len(current.energy_tiers) else None
            form.values[f"tier_up_to_{i}"] = (
                "" if etier is None or etier.up_to_units is None else str(etier.up_to_units)
            )
            form.values[f"tier_price_{i}"] = "" if etier is None else unit_dollars(etier.millicents_per_unit)
            if current.summer_tiers:
                summer = current.summer_tiers[i] if i < len(current.summer_tiers) else None
                form.values[f"summer_price_{i}"] = "" if summer is None else unit_dollars(summer.millicents_per_unit)
    elif current.kind == "adjustment":
        form.values["unit_price"] = unit_dollars(current.millicents_per_unit)
    else:
        form.values["base"] = _dollars(current.base_cents)
    return form


def _cents(form: RateForm, name: str, *, required: bool = True) -> int | None:
    raw = form.values.get(name, "").strip()
    if not raw:
        if required:
            form.error(name, _("Enter an amount in dollars, like 12.50."))
        return None
    try:
        return params.parse_cents(raw, maximum=MAX_PRICE_CENTS)
    except params.BadValue:
        form.error(name, _("Enter an amount in dollars and cents, from 0.00 to 100,000.00."))
        return None


def _unit_price(form: RateForm, name: str, *, required: bool = True, negative: bool = False) -> int | None:
    """A price per kWh or therm in dollars, up to five decimals ("0.11500"); into thousandths of a cent."""
    raw = form.values.get(name, "").strip().removeprefix("$")
    if not raw:
        if required:
            form.error(name, _("Enter a price per unit in dollars, like 0.11500."))
        return None
    sign = 1
    if negative and raw.startswith("-"):
        sign, raw = -1, raw[1:]
    whole, _dot, frac = raw.partition(".")
    if (
        not whole.isascii()
        or not whole.isdigit()
        or len(whole) > 3
        or (frac and (not frac.isascii() or not frac.isdigit()))
        or len(frac) > 5
    ):
        form.error(name, _("Enter a price per unit in dollars with at most five decimals, like 0.11500."))
        return None
    value = int(whole) * 100_000 + int(frac.ljust(5, "0") or 0)
    if value > MAX_UNIT_MILLICENTS:
        form.error(name, _("Enter a price per unit of at most 100.00 dollars."))
        return None
    return sign * value


def _energy_data(form: RateForm, data: dict[str, Any]) -> None:
    data["customer_cents"] = _cents(form, "base")
    tiers, summer = [], []
    for i in range(MAX_TIERS):
        up_raw = form.values.get(f"tier_up_to_{i}", "").replace(",", "")
        price = _unit_price(form, f"tier_price_{i}", required=False)
        if price is None and not up_raw:
            continue
        if price is None:
            form.error(f"tier_price_{i}", _("Enter the price per unit for this tier."))
        up_to = None
        if up_raw:
            if not up_raw.isdigit() or not up_raw.isascii() or not 0 < int(up_raw) <= MAX_TIER_GALLONS:
                form.error(f"tier_up_to_{i}", _("Enter the tier's upper limit in whole units, or leave it empty."))
            else:
                up_to = int(up_raw)
        tiers.append({"up_to_units": up_to, "millicents_per_unit": price})
        if form.current.summer_tiers:
            # Summer tiers share the limits; only their prices differ.
            summer.append({"up_to_units": up_to, "millicents_per_unit": _unit_price(form, f"summer_price_{i}")})
    data["tiers"] = tiers
    if form.current.summer_tiers:
        data["summer_tiers"] = summer
        data["summer_months"] = list(form.current.summer_months)
    data["adjustment_code"] = form.current.adjustment_code


def to_data(form: RateForm, today: dt.date) -> tuple[dt.date | None, dict[str, Any] | None]:
    """Check the form; (effective date, stored data) or Nones with the form's errors filled."""
    effective_on = None
    try:
        effective_on = params.parse_date(form.values.get("effective_on", ""))
        if effective_on <= today:
            form.error("effective_on", _("New rates must start after today: bills already issued never change."))
    except ValueError:
        form.error("effective_on", _("Enter the date the rates start, like 2027-01-01."))
    data: dict[str, Any] = {"kind": form.kind, "name": form.name}
    if form.kind == "metered_water":
        data["base_cents_by_size"] = {size: _cents(form, f"base_{i}") for i, size in enumerate(form.sizes)}
        tiers = []
        for i in range(MAX_TIERS):
            up_raw = form.values.get(f"tier_up_to_{i}", "").replace(",", "")
            price = _cents(form, f"tier_price_{i}", required=False)
            if price is None and not up_raw:
                continue
            if price is None:
                form.error(f"tier_price_{i}", _("Enter the price per 1,000 gallons for this tier."))
            up_to = None
            if up_raw:
                if not up_raw.isdigit() or not up_raw.isascii() or not 0 < int(up_raw) <= MAX_TIER_GALLONS:
                    form.error(
                        f"tier_up_to_{i}",
                        _("Enter the tier's upper limit in whole gallons, or leave it empty for the top tier."),
                    )
                else:
                    up_to = int(up_raw)
            tiers.append({"up_to_gallons": up_to, "cents_per_kgal": price})
        data["tiers"] = tiers
    elif form.kind == "sewer":
        data["base_cents"] = _cents(form, "base")
        data["cents_per_kgal"] = _cents(form, "per_kgal")
    elif form.kind in ENERGY_KINDS:
        _energy_data(form, data)
    elif form.kind == "adjustment":
        data["millicents_per_unit"] = _unit_price(form, "unit_price", negative=True)
        data["unit_name"] = form.current.unit_name
    else:
        data["base_cents"] = _cents(form, "base")
        data["unit_name"] = form.current.unit_name
    if form.errors:
        return None, None
    try:
        rates.parse(form.code, effective_on or today, data)
    except rates.RateError:
        form.error(
            "tier_up_to_0", _("Tier limits must go up from one tier to the next, and only the last tier has no limit.")
        )
        return None, None
    return effective_on, data


async def save(session: AsyncSession, actor: Actor, form: RateForm, today: dt.date) -> bool:
    effective_on, data = to_data(form, today)
    if effective_on is None or data is None:
        return False
    existing = await session.scalar(
        select(RateScheduleRecord).where(
            RateScheduleRecord.rate_code == form.code, RateScheduleRecord.effective_on == effective_on
        )
    )
    before = None
    note = form.values.get("note", "")[:300]
    if existing is not None:  # only a future version can be here (the date is after today): replace it
        before = dict(existing.data)
        existing.data = data
        existing.note = note
        existing.created_by_id = actor.user_id
        record = existing
    else:
        record = RateScheduleRecord(
            rate_code=form.code,
            service_kind=form.service_kind,
            effective_on=effective_on,
            data=data,
            note=note,
            created_by_id=actor.user_id,
        )
        session.add(record)
    await session.flush()
    await audit.record(
        session,
        actor,
        "rates.replace" if before else "rates.add",
        "rate_schedule",
        record.id,
        before=before,
        after={"rate_code": form.code, "effective_on": effective_on, **data},
    )
    return True
