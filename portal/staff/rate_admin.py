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
        return [_("%(price)s per %(unit)s a month", price=money(s.base_cents), unit=s.unit_name)]


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
