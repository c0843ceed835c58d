"""The bill run: bill every account of a cycle for the period ending on a date, once.

Safe to repeat and to run on several machines at once (docs/design.md, section 6): accounts are taken in chunks, each in
its own transaction; on PostgreSQL a chunk's accounts are locked with FOR UPDATE SKIP LOCKED so two runs never work
on the same account; a bill is unique per account and period end and its ledger charge per source key
`bill:<account>:<period end>`, so a second run, or the rest of a run that was stopped, bills only who is left.
Each chunk loads what it needs in a few queries and writes with a few multi-row statements.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import gc
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from portal import i18n
from portal.accounts import deposits, estimates, ledger, ledger_words, numbers, service_state, workorders
from portal.accounts.actor import Actor
from portal.accounts.messages import Mailer
from portal.accounts.models import (
    Account,
    AccountClass,
    AccountStatus,
    Bill,
    BillLine,
    Customer,
    LedgerKind,
    Meter,
    MeterKind,
    MeterRead,
    MeterSet,
    Premise,
    RateScheduleRecord,
    ReadSource,
    Service,
    WorkOrder,
    WorkOrderKind,
)
from portal.accounts.policy import Policy
from portal.db import copy_rows, fetch_rows, member_of
from portal.settings import DEFAULT_PHONE, DEFAULT_TIMEZONE

from . import compute as c
from . import rates as r
from .wording import render_english

FLAGS_TEXT = cast(MeterRead.flags, String).label("flags")
SOURCE_TEXT = cast(MeterRead.source, String).label("source")  # plain text: no enum conversion for 100,000s of reads
ESTIMATED = ReadSource.ESTIMATED.value
BILLABLE = (AccountStatus.ACTIVE, AccountStatus.DISCONNECTED, AccountStatus.FINAL)
HISTORY_DAYS = 400  # reads this far back: a year of periods for estimates, the winter average and the comparison
ACTOR = Actor.job("bill-run")


@dataclass
class RunResult:
    considered: int = 0
    billed: int = 0
    final: int = 0
    estimated: int = 0
    held: Counter[str] = field(default_factory=Counter)
    read_orders: int = 0
    emailed: int = 0
    charged_cents: int = 0
    seconds: float = 0.0

    def add(self, other: RunResult) -> None:
        for name in ("considered", "billed", "final", "estimated", "read_orders", "emailed", "charged_cents"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.held.update(other.held)

    def summary(self) -> str:
        held = ", ".join(f"{reason} {count}" for reason, count in sorted(self.held.items())) or "none"
        rate = self.billed / self.seconds if self.seconds else 0
        return (
            f"{self.billed:,} bills ({self.final:,} final, {self.estimated:,} estimated), "
            f"{self.charged_cents / 100:,.2f} charged, held: {held}, read orders: {self.read_orders:,}, "
            f"bill emails: {self.emailed:,}; {self.seconds:.1f} s ({rate:,.0f} bills/s)"
        )


@dataclass(frozen=True)
class RunContext:
    cycle: int
    on: dt.date  # period end and bill date
    due_on: dt.date
    rates: r.RateBook
    policy: Policy
    public_url: str
    mailer: Mailer  # the bill emails
    zone: ZoneInfo = ZoneInfo(DEFAULT_TIMEZONE)  # reads are dated by the utility's clock, as its customers count days
    phone: str = DEFAULT_PHONE  # customer service, as the bill email prints it (UTILITY_PHONE)

    def midnight(self, day: dt.date) -> dt.datetime:
        """The utility's midnight starting `day`, as a UTC bound for stored read times."""
        return dt.datetime.combine(day, dt.time(), self.zone).astimezone(dt.UTC)


async def load_rates(session: AsyncSession) -> r.RateBook:
    rows = await session.execute(
        select(RateScheduleRecord.rate_code, RateScheduleRecord.effective_on, RateScheduleRecord.data)
    )
    return r.RateBook(r.parse(code, on, data) for code, on, data in rows)


def due_date(bill_date: dt.date, policy: Policy) -> dt.date:
    """21 days after the bill date; a weekend or holiday moves it to the next business day."""
    return policy.next_business_day(bill_date + dt.timedelta(days=policy.days_until_due))


def bill_key(account_id: int, period_end: dt.date) -> str:
    return f"bill:{account_id}:{period_end.isoformat()}"


# ---- choosing accounts --------------------------------------------------------------------------------------------


async def candidates(session: AsyncSession, cycle: int, on: dt.date, worker: tuple[int, int] = (0, 1)) -> list[int]:
    """Accounts of the cycle that have no bill for this period yet (or, when final, no final bill yet)."""
    billed = select(Bill.id).where(Bill.account_id == Account.id, (Bill.period_end == on) | Bill.final)
    query = (
        select(Account.id)
        .join(Premise, Premise.id == Account.premise_id)
        .where(
            Premise.cycle == cycle,
            Account.status.in_(BILLABLE),
            ~billed.exists(),
            (Account.opened_on.is_(None)) | (Account.opened_on <= on),
        )
        .order_by(Account.id)
    )
    index, count = worker
    if count > 1:
        query = query.where(Account.id % count == index)
    return list(await session.scalars(query))


async def claim(session: AsyncSession, ids: list[int], on: dt.date) -> list[int]:
    """Lock this chunk's accounts (PostgreSQL: skipping those another run holds) and drop any billed meanwhile."""
    if session.get_bind().dialect.name == "postgresql":
        locked = select(Account.id).where(member_of(session, Account.id, ids)).with_for_update(skip_locked=True)
        ids = list(await session.scalars(locked))
    if not ids:
        return []
    done = set(
        await session.scalars(
            select(Bill.account_id).where(
                member_of(session, Bill.account_id, ids), (Bill.period_end == on) | Bill.final
            )
        )
    )
    return [i for i in ids if i not in done]


# ---- loading a chunk ------------------------------------------------------------------------------------------


@dataclass
class Chunk:
    accounts: dict[int, Any] = field(default_factory=dict)
    premises: dict[int, Any] = field(default_factory=dict)
    customers: dict[int, Any] = field(default_factory=dict)
    services: dict[int, list[c.ServiceInfo]] = field(default_factory=lambda: defaultdict(list))
    meter_of_premise: dict[int, Any] = field(default_factory=dict)
    reads: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))  # meter id -> reads, oldest first
    read_by_id: dict[int, Any] = field(default_factory=dict)
    last_bill: dict[int, Any] = field(default_factory=dict)
    units_of_parent: dict[int, list[int]] = field(default_factory=dict)  # parent premise -> account ids in order
    changes: dict[int, Any] = field(default_factory=dict)  # new meter id -> its change (the old meter, both reads)
    energy_meter: dict[tuple[int, str], Any] = field(default_factory=dict)  # (premise, "electric"/"gas") -> meter
    # last bill id -> {"electric"/"gas": what its meter's part closed on} (the bill document's "energy")
    energy_closed: dict[int, dict[str, Any]] = field(default_factory=dict)
    balances: dict[int, int] = field(default_factory=dict)


class ReadRow(NamedTuple):
    """A meter read as billing needs it, built once per row (the run handles a dozen reads per account)."""

    id: int
    meter_id: int
    value: int
    read_at: dt.datetime
    on: dt.date
    source: str
    rollover: bool  # only "rollover" of the read's flags matters to billing


def _read_row(
    zone: ZoneInfo, read_id: int, meter_id: int, value: int, read_at: dt.datetime, source: str, flags: str | None
) -> ReadRow:
    # Flags come as JSON text so 100,000s of reads are not decoded.
    return ReadRow(
        read_id,
        meter_id,
        value,
        read_at,
        read_at.astimezone(zone).date(),
        source,
        flags is not None and "rollover" in flags,
    )


READ_COLUMNS = (MeterRead.id, MeterRead.meter_id, MeterRead.value, MeterRead.read_at, SOURCE_TEXT, FLAGS_TEXT)


async def load_chunk(session: AsyncSession, ids: list[int], ctx: RunContext) -> Chunk:
    """Everything a chunk's bills need, in a few queries of plain columns (no ORM objects: it adds nothing here
    but time per row; `fetch_rows` hands PostgreSQL's rows over without SQLAlchemy's result layer)."""
    chunk = Chunk()

    def among(column: Any, values: Iterable[Any]) -> Any:
        return member_of(session, column, list(values))

    chunk.accounts = {
        row.id: row
        for row in await fetch_rows(
            session,
            select(
                Account.id,
                Account.number,
                Account.account_class,
                Account.status,
                Account.premise_id,
                Account.opened_on,
                Account.consecutive_estimates,
                Account.customer_id,
                Account.closed_on,
            ).where(among(Account.id, ids)),
        )
    }
    premise_ids = {a.premise_id for a in chunk.accounts.values()}
    chunk.premises = {
        p.id: p
        for p in await fetch_rows(
            session, select(Premise.id, Premise.parent_id, Premise.cycle).where(among(Premise.id, premise_ids))
        )
    }
    customer_ids = {a.customer_id for a in chunk.accounts.values()}
    chunk.customers = {
        row.id: row
        for row in await fetch_rows(
            session,
            select(
                Customer.id,
                Customer.first_name,
                Customer.email,
                Customer.language,
                Customer.paperless,
                Customer.notify_email,
            ).where(among(Customer.id, customer_ids)),
        )
    }
    for row in await fetch_rows(
        session,
        select(
            Service.account_id,
            cast(Service.kind, String).label("kind"),
            Service.rate_code,
            Service.quantity,
            Service.started_on,
            Service.ended_on,
        )
        .where(among(Service.account_id, ids))
        .order_by(Service.id),
    ):
        chunk.services[row.account_id].append(
            c.ServiceInfo(row.kind, row.rate_code, row.quantity, row.started_on, row.ended_on)
        )
    parents = {p.parent_id for p in chunk.premises.values() if p.parent_id}
    for meter in await fetch_rows(
        session,
        select(Meter.id, Meter.premise_id, Meter.size, Meter.dials, Meter.multiplier, Meter.unit, Meter.serial)
        .where(
            among(Meter.premise_id, premise_ids | parents), Meter.kind == MeterKind.WATER, Meter.removed_on.is_(None)
        )
        .order_by(Meter.id),
    ):
        chunk.meter_of_premise.setdefault(meter.premise_id, meter)
    energy_kinds = {s.kind for services in chunk.services.values() for s in services} & ENERGY
    if energy_kinds:  # electric and gas meters, only when the chunk has such services (water-only runs skip the query)
        for meter in await fetch_rows(
            session,
            select(Meter.id, Meter.premise_id, cast(Meter.kind, String).label("kind"), Meter.dials, Meter.multiplier)
            .where(
                among(Meter.premise_id, premise_ids),
                cast(Meter.kind, String).in_(sorted(energy_kinds)),
                Meter.removed_on.is_(None),
            )
            .order_by(Meter.id),
        ):
            chunk.energy_meter.setdefault((meter.premise_id, meter.kind), meter)
    # Units of a building billed from the master meter: every billable account under the parent, in account order.
    shared_parents = [p for p in parents if p in chunk.meter_of_premise]
    if shared_parents:
        for row in await fetch_rows(
            session,
            select(Premise.parent_id, Account.id.label("account_id"))
            .join(Account, Account.premise_id == Premise.id)
            .where(among(Premise.parent_id, shared_parents), Account.status.in_(BILLABLE))
            .order_by(Account.id),
        ):
            chunk.units_of_parent.setdefault(row.parent_id, []).append(row.account_id)
    latest = (
        select(Bill.account_id, func.max(Bill.period_end).label("end"))
        .where(among(Bill.account_id, ids), Bill.period_end < ctx.on, Bill.cancelled_on.is_(None))
        .group_by(Bill.account_id)
        .subquery()
    )
    for row in await fetch_rows(
        session,
        select(Bill.id, Bill.account_id, Bill.period_end, Bill.curr_read_id)
        .join(latest, and_(latest.c.account_id == Bill.account_id, latest.c.end == Bill.period_end))
        .where(Bill.cancelled_on.is_(None)),  # a cancelled bill's replacement is the one in force
    ):
        chunk.last_bill[row.account_id] = row
    if energy_kinds:  # where each energy meter's last bill closed (the next opens there, an estimate included)
        energy_accounts = [a for a, services in chunk.services.items() if any(s.kind in ENERGY for s in services)]
        last_ids = [chunk.last_bill[a].id for a in energy_accounts if a in chunk.last_bill]
        if last_ids:
            for row in await fetch_rows(session, select(Bill.id, Bill.document).where(among(Bill.id, last_ids))):
                closed = (row.document or {}).get("energy")
                if closed:
                    chunk.energy_closed[row.id] = closed
    meter_ids = [m.id for m in chunk.meter_of_premise.values()] + [m.id for m in chunk.energy_meter.values()]
    if meter_ids:
        await _load_changes(session, chunk, meter_ids, ctx)
        since = ctx.midnight(ctx.on - dt.timedelta(days=HISTORY_DAYS))
        until = ctx.midnight(ctx.on + dt.timedelta(days=1))
        make_read = functools.partial(_read_row, ctx.zone)
        for read in await fetch_rows(
            session,
            select(*READ_COLUMNS)
            .where(among(MeterRead.meter_id, meter_ids), MeterRead.read_at >= since, MeterRead.read_at < until)
            .order_by(MeterRead.meter_id, MeterRead.read_at, MeterRead.id),
            make_read,
        ):
            chunk.reads[read.meter_id].append(read)
            chunk.read_by_id[read.id] = read
        missing = [
            b.curr_read_id
            for b in chunk.last_bill.values()
            if b.curr_read_id and b.curr_read_id not in chunk.read_by_id
        ]
        if missing:
            for read in await fetch_rows(session, select(*READ_COLUMNS).where(among(MeterRead.id, missing)), make_read):
                chunk.read_by_id[read.id] = read
    chunk.balances = await ledger.balances(session, ids)
    return chunk


async def _load_changes(session: AsyncSession, chunk: Chunk, meter_ids: list[int], ctx: RunContext) -> None:
    """The changes that set the chunk's meters, with the removed meter and the two reads (one query): a bill whose
    previous read is the removed meter's bills each meter for its days."""
    old, final, first = aliased(Meter), aliased(MeterRead), aliased(MeterRead)
    for row in await fetch_rows(
        session,
        select(
            MeterSet.new_meter_id,
            MeterSet.old_meter_id,
            old.size,
            old.dials,
            old.multiplier,
            old.unit,
            final.value.label("final_value"),
            final.read_at.label("final_at"),
            first.id.label("first_id"),
            first.value.label("first_value"),
            first.read_at.label("first_at"),
        )
        .join(old, old.id == MeterSet.old_meter_id)
        .join(final, final.id == MeterSet.old_final_read_id)
        .join(first, first.id == MeterSet.new_first_read_id)
        .where(member_of(session, MeterSet.new_meter_id, meter_ids)),
    ):
        chunk.changes[row.new_meter_id] = row


def _change_of(chunk: Chunk, meter_id: int, prev_row: ReadRow, ctx: RunContext) -> c.MeterChange | None:
    change = chunk.changes.get(meter_id)
    if change is None or prev_row.meter_id != change.old_meter_id:
        return None
    return c.MeterChange(
        _meter_info(change.size, change.dials, change.multiplier, change.unit),
        c.Read(change.final_value, change.final_at.astimezone(ctx.zone).date()),
        c.Read(change.first_value, change.first_at.astimezone(ctx.zone).date(), "field", change.first_id),
    )


# ---- one account's input ----------------------------------------------------------------------------------------


def _read(row: ReadRow) -> c.Read:
    return c.Read(row.value, row.on, row.source, row.id, ("rollover",) if row.rollover else ())


def history_of(reads: Iterable[ReadRow], meter: c.MeterInfo, until: dt.datetime | None) -> tuple[c.PastUsage, ...]:
    """Actual periods between consecutive actual reads (estimated reads are skipped over), up to `until`."""
    out = []
    before = None
    no_flags: tuple[str, ...] = ()
    for read in reads:
        if read.source == ESTIMATED or (until is not None and read.read_at > until):
            continue
        if before is not None:
            days = (read.on - before.on).days
            if days > 0:
                try:
                    units, _ = c.register_delta(
                        meter, before.value, read.value, ("rollover",) if read.rollover else no_flags
                    )
                except c.BillHeld:
                    units = None
                if units is not None:
                    out.append(c.PastUsage(read.on, days, c.to_gallons(meter, units)))
        before = read
    return tuple(out)


def bill_input(account_id: int, chunk: Chunk, ctx: RunContext) -> c.BillInput:
    account = chunk.accounts[account_id]
    premise = chunk.premises[account.premise_id]
    services = tuple(chunk.services.get(account_id, ()))
    final = account.status == AccountStatus.FINAL
    period_end = ctx.on
    if final:
        ends = [s.ended_on for s in services if s.ended_on]
        period_end = min(ctx.on, max(ends) if ends else (account.closed_on or ctx.on))
    last = chunk.last_bill.get(account_id)
    starts = [s.started_on for s in services] + ([account.opened_on] if account.opened_on else [])
    started = min(starts) if starts else None
    # A first bill covers about a month (or less after a start): from the day after the last read a month back.
    month_back = period_end - dt.timedelta(days=28)
    if last is not None:
        period_start = last.period_end + dt.timedelta(days=1)
    else:
        period_start = max(started, month_back) if started else month_back
    meter_row = chunk.meter_of_premise.get(account.premise_id)
    share = None
    if meter_row is None and premise.parent_id and premise.parent_id in chunk.meter_of_premise:
        meter_row = chunk.meter_of_premise[premise.parent_id]
        units = chunk.units_of_parent.get(premise.parent_id, [account_id])
        share = (units.index(account_id) if account_id in units else 0, len(units))
    meter = None
    prev = curr = None
    change = None
    history: tuple[c.PastUsage, ...] = ()
    metered = any(s.kind == "water" for s in services)
    if meter_row is not None and metered:
        meter = _meter_info(meter_row.size, meter_row.dials, meter_row.multiplier, meter_row.unit)
        reads = chunk.reads.get(meter_row.id, [])
        prev_row = chunk.read_by_id.get(last.curr_read_id) if last is not None and last.curr_read_id else None
        if prev_row is None:
            before = [x for x in reads if x.on <= period_start]
            prev_row = before[-1] if before else (reads[0] if reads else None)
            if prev_row is not None and last is None:
                read_on = prev_row.on
                period_start = read_on if started and read_on == started else read_on + dt.timedelta(days=1)
                if started and period_start < started:
                    period_start = started
        if prev_row is None:
            raise c.BillHeld("no_reads", needs_read=True)
        window_start = period_end - dt.timedelta(days=ctx.policy.bill_read_window_days)
        curr_row = None
        for x in reversed(reads):  # the latest actual read of this period's window, after the previous one
            if x.read_at <= prev_row.read_at:
                break
            if x.source != ESTIMATED and window_start <= x.on <= period_end:
                curr_row = x
                break
        change = _change_of(chunk, meter_row.id, prev_row, ctx)
        if change is not None and curr_row is None:
            # No read of the new meter since it was set: the bill ends at the change, the new meter's first read.
            curr_row = next((x for x in reads if x.id == change.new_first.id), None)
        curr = _read(curr_row) if curr_row is not None else None
        prev = _read(prev_row)
        history = history_of(reads, meter, prev_row.read_at)
    if any(s.kind in ENERGY for s in services):
        closed = chunk.energy_closed.get(last.id, {}) if last is not None else {}
        services = tuple(
            s._replace(
                reads=energy_reads(
                    chunk, account.premise_id, s.kind, closed.get(s.kind), (period_start, period_end), ctx
                )
            )
            if s.kind in ENERGY
            else s
            for s in services
        )
    return c.BillInput(
        period_start=period_start,
        period_end=period_end,
        services=services,
        residential=account.account_class == AccountClass.RESIDENTIAL,
        meter=meter,
        prev_read=prev,
        curr_read=curr,
        history=history,
        consecutive_estimates=account.consecutive_estimates or 0,
        share=share,
        final=final,
        change=change,
    )


ENERGY = frozenset({"electric", "gas"})


def energy_reads(
    chunk: Chunk,
    premise_id: int,
    kind: str,
    closed: dict[str, Any] | None,
    period: tuple[dt.date, dt.date],
    ctx: RunContext,
) -> c.EnergyReads | None:
    """An electric or gas meter's reads for the bill's period: it opens on the reading the
    account's last bill closed this meter on (`closed`, from that bill's document: an estimate included, so the
    next actual read corrects it, as water's bill opens on its last bill's read), else on the last actual read before
    the period; it closes on the last actual read in the period (None: compute estimates it). None without a meter
    or an opening read: the bill is held (compute says why)."""
    meter = chunk.energy_meter.get((premise_id, kind))
    if meter is None:
        return None
    start, period_end = period
    reads = chunk.reads.get(meter.id, ())
    opening = None
    if closed is not None and closed.get("meter") == meter.id:
        value, on, source = closed["end"]
        opening = c.Read(value, dt.date.fromisoformat(on), source)
    else:
        for read in reads:
            if read.source != ESTIMATED and read.on < start:
                opening = _read(read)
    if opening is None:
        return None
    end = None
    for read in reads:
        if read.source != ESTIMATED and start <= read.on <= period_end and read.on > opening.on:
            end = _read(read)
    info = _meter_info("", meter.dials, meter.multiplier, "gal")
    return c.EnergyReads(
        opening, end, history_of(reads, info, ctx.midnight(start)), meter.dials, meter.multiplier, meter.id
    )


@lru_cache(maxsize=256)
def _meter_info(size: str, dials: int, multiplier: int, unit: str) -> c.MeterInfo:
    return c.MeterInfo(size, dials, multiplier, unit)


# ---- the bill document --------------------------------------------------------------------------------------------


def emailed(customer: Any) -> bool:
    """A bill goes by email to a paperless customer with an address who takes email; every other bill is printed
    (print_batch selects by `EMAILED`, the same rule in SQL). A paperless customer without an email address, or
    who turned email off, got neither an email nor paper."""
    return bool(customer is not None and customer.email and customer.paperless and customer.notify_email)


EMAILED = and_(
    Customer.paperless.is_(True), Customer.email.is_not(None), Customer.email != "", Customer.notify_email.is_(True)
)


def document(data: c.BillInput, bill: c.Bill, delivery: str) -> dict[str, Any]:
    """What the bill page and PDF show, frozen at bill time (numbers only; words are rendered when shown)."""
    index = c.same_period_last_year([h.end for h in data.history], bill.period_end)
    last_year = data.history[index] if index is not None else None
    history = [[h.end.isoformat(), h.gallons, h.days] for h in data.history[-12:]]
    return {
        "v": 1,
        "days": bill.days,
        "lines": [(line.text[0], line.text[1], line.notes) for line in bill.lines],  # tuples are stored as lists
        "usage_notes": bill.usage.notes,
        "notes": bill.notes,
        "history": history,
        "last_year": [last_year.end.isoformat(), last_year.gallons, last_year.days] if last_year else None,
        "meter_size": data.meter.size if data.meter else None,
        "delivery": delivery,
        # each electric or gas meter's part: its use and where it opened and closed (the next bill opens there)
        "energy": {
            e.kind: {
                "meter": e.meter_id,
                "units": e.units,
                "estimated": e.estimated,
                "start": [e.start.value, e.start.on.isoformat(), e.start.source],
                "end": [e.end.value, e.end.on.isoformat(), e.end.source],
            }
            for e in bill.energy
        },
    }


_ENGLISH: dict[tuple[str, str], str] = {}


def english(message: c.Message) -> str:
    """A line's description in English for the stored row, remembered by its message (a run repeats a few
    hundred distinct ones; the repr of the params is a cheap exact key for their plain values)."""
    key, params = message
    cache_key = (key, repr(params))
    text = _ENGLISH.get(cache_key)
    if text is None:
        if len(_ENGLISH) > 20_000:
            _ENGLISH.clear()
        text = _ENGLISH[cache_key] = render_english(key, params)
    return text


def bill_email(
    customer: Any, number: str, bill_id: int, amount_cents: int, due_on: dt.date, ctx: RunContext
) -> tuple[str, str, str, None]:
    language = customer.language or "en"
    subject, template, due, utility = _email_parts(language, due_on, ctx.phone)
    with i18n.use_locale(language):
        text = template % {
            "name": customer.first_name,
            "number": numbers.display(number),
            "amount": i18n.format_money(amount_cents),
            "due": due,
            "url": f"{ctx.public_url.rstrip('/')}/my/bills/{bill_id}",
            "utility": utility,
        }
    return customer.email, subject, text, None


@lru_cache(maxsize=16)
def _email_parts(language: str, due_on: dt.date, phone: str) -> tuple[str, str, str, str]:
    """What every bill-ready email of a run shares in one language (a run sends tens of thousands)."""
    with i18n.use_locale(language):
        return (
            i18n.gettext("Your utility bill is ready"),
            i18n.gettext(
                "Hello %(name)s,\n\nYour bill for account %(number)s is ready: %(amount)s due %(due)s.\n"
                "See it, with your usage and how each charge was worked out, at %(url)s\n\n%(utility)s"
            ),
            i18n.format_date(due_on),
            i18n.gettext("Customer service: %(phone)s, Monday to Friday, 8 a.m. to 5 p.m.") % {"phone": phone},
        )


# ---- one chunk ------------------------------------------------------------------------------------------------


def _insert(session: AsyncSession, table: Any) -> Any:
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)


async def bill_chunk(session: AsyncSession, ids: list[int], ctx: RunContext) -> RunResult:
    result = RunResult()
    ids = await claim(session, ids, ctx.on)
    result.considered = len(ids)
    if not ids:
        return result
    chunk = await load_chunk(session, ids, ctx)
    computed: list[tuple[int, c.BillInput, c.Bill]] = []
    needs_read: list[tuple[int, str | None]] = []  # (account, the energy meter's kind or None for water)
    for account_id in ids:
        try:
            data = bill_input(account_id, chunk, ctx)
            computed.append((account_id, data, c.compute(data, ctx.rates, ctx.policy)))
        except c.BillHeld as held:
            result.held[held.reason.split(":")[0]] += 1
            if held.needs_read:
                needs_read.append((account_id, held.meter_kind))
    now = dt.datetime.now(dt.UTC)
    bill_rows = []
    for account_id, data, bill in computed:
        account = chunk.accounts[account_id]
        customer = chunk.customers.get(account.customer_id)
        delivery = "email" if emailed(customer) else "paper"
        bill_rows.append(
            {
                "account_id": account_id,
                "cycle": ctx.cycle,
                "period_start": bill.period_start,
                "period_end": bill.period_end,
                "bill_date": ctx.on,
                "due_date": ctx.due_on,
                "prev_read_id": data.prev_read.id if data.prev_read else None,
                "curr_read_id": data.curr_read.id if data.curr_read else None,
                "usage": bill.usage.gallons,
                "estimated": bill.estimated,
                "final": bill.final,
                "previous_balance_cents": chunk.balances.get(account_id, 0),
                "total_cents": bill.total_cents,
                "document": document(data, bill, delivery),
                "created_at": now,
            }
        )
    created = await insert_bills(session, bill_rows)
    line_rows: list[tuple[Any, ...]] = []
    charges: list[ledger.NewEntry] = []
    estimated_reads: list[tuple[int, estimates.EstimatedRead]] = []
    energy_reads_made: list[estimates.EstimatedRead] = []
    estimate_counts: dict[int, int] = {}
    mails = []
    read_order_accounts: list[tuple[int, str | None]] = list(needs_read)
    final_bills: dict[int, int] = {}  # account id -> its final bill
    for account_id, data, bill in computed:
        bill_id = created.get(account_id)
        if bill_id is None:
            continue  # billed by someone else meanwhile
        account = chunk.accounts[account_id]
        result.billed += 1
        result.final += bill.final
        result.charged_cents += bill.total_cents
        for sort, line in enumerate(bill.lines):
            line_rows.append(
                (
                    bill_id,
                    line.service_kind,
                    english(line.text)[:200],
                    line.quantity,
                    line.unit,
                    _rate(line.rate_cents),
                    line.amount_cents,
                    sort,
                )
            )
        if bill.total_cents:
            charges.append(
                ledger.NewEntry(
                    account_id,
                    LedgerKind.CHARGE,
                    bill.total_cents,
                    bill_key(account_id, bill.period_end),
                    ctx.on,
                    ledger_words.memo(
                        "final_bill" if bill.final else "bill",
                        start_on=bill.period_start.isoformat(),
                        end_on=bill.period_end.isoformat(),
                    ),
                    bill_id,
                )
            )
        result.estimated += bill.estimated
        for energy in bill.energy:  # an electric or gas estimate is recorded on its meter, as water's is
            if energy.estimated and energy.meter_id is not None and energy.end.source == ESTIMATED:
                energy_reads_made.append(
                    estimates.EstimatedRead(
                        energy.meter_id,
                        energy.end.value,
                        dt.datetime.combine(bill.period_end, dt.time(12), ctx.zone).astimezone(dt.UTC),
                        f"estimated for bill {bill_id}",
                    )
                )
            if energy.needs_read_order:
                read_order_accounts.append((account_id, energy.kind))
        if bill.usage.estimated and bill.usage.estimated_read is not None:
            meter_row = chunk.meter_of_premise.get(chunk.accounts[account_id].premise_id)
            if meter_row is not None and data.share is None:
                estimated_reads.append(
                    (
                        bill_id,
                        estimates.EstimatedRead(
                            meter_row.id,
                            bill.usage.estimated_read.value,
                            dt.datetime.combine(bill.period_end, dt.time(12), ctx.zone).astimezone(dt.UTC),
                            f"estimated for bill {bill_id}",
                        ),
                    )
                )
        new_count = (account.consecutive_estimates or 0) + 1 if bill.estimated else 0
        if new_count != (account.consecutive_estimates or 0):
            estimate_counts[account_id] = new_count
        if bill.usage.needs_read_order:
            read_order_accounts.append((account_id, None))
        if bill.final:
            final_bills[account_id] = bill_id
        customer = chunk.customers.get(account.customer_id)
        if emailed(customer):
            due_total = chunk.balances.get(account_id, 0) + bill.total_cents
            mails.append(bill_email(customer, account.number, bill_id, due_total, ctx.due_on, ctx))
    if line_rows:
        await copy_rows(session, BillLine.__table__, line_rows, LINE_COLUMNS)
    if estimated_reads:
        read_ids = await estimates.record_estimated_reads(session, [read for _, read in estimated_reads], now=now)
        await session.execute(
            update(Bill.__table__).where(Bill.__table__.c.id == _bind("b_bill")).values(curr_read_id=_bind("b_read")),
            [
                {"b_bill": bill_id, "b_read": read_id}
                for (bill_id, _), read_id in zip(estimated_reads, read_ids, strict=True)
            ],
        )
    await estimates.record_estimated_reads(session, energy_reads_made, now=now)
    await estimates.set_consecutive_estimates(session, estimate_counts)
    await ledger.post_many(session, ACTOR, charges)
    await deposits.settle_at_final_bills(session, ACTOR, final_bills, on=ctx.on)
    if final_bills:
        await service_state.close_settled(session, ACTOR, list(final_bills), today=ctx.on)
    result.read_orders = await order_reads(session, read_order_accounts, chunk, ctx)
    result.emailed = await ctx.mailer.queue_many(session, mails)
    return result


async def insert_bills(session: AsyncSession, rows: list[dict[str, Any]]) -> dict[int, int]:
    """Insert the chunk's bills; {account id: bill id} for those inserted (a bill already there is skipped)."""
    if not rows:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        # COPY, several times cheaper than INSERT for these documents. It cannot collide: the chunk's accounts are
        # row-locked (claim) and were seen unbilled under the lock, and only the bill run, which always locks
        # first, writes bills. Should a row collide anyway (a final bill ending on a day already billed), the
        # unique index refuses the copy (IntegrityError, as copy_rows raises it), the savepoint undoes it and the
        # plain path below skips that bill.
        ids = list(
            await session.scalars(
                select(func.nextval(func.pg_get_serial_sequence("bill", "id"))).select_from(
                    func.generate_series(1, len(rows))
                )
            )
        )
        try:
            async with session.begin_nested():
                await copy_rows(
                    session, Bill.__table__, [{"id": bill_id, **row} for bill_id, row in zip(ids, rows, strict=True)]
                )
            return {row["account_id"]: bill_id for bill_id, row in zip(ids, rows, strict=True)}
        except IntegrityError:
            pass
    statement = (
        _insert(session, Bill.__table__)
        .on_conflict_do_nothing(
            index_elements=["account_id", "period_end"], index_where=Bill.__table__.c.cancelled_on.is_(None)
        )
        .returning(Bill.__table__.c.id, Bill.__table__.c.account_id)
    )
    return {account_id: bill_id for bill_id, account_id in (await session.execute(statement, rows)).all()}


LINE_COLUMNS = ["bill_id", "service_kind", "description", "quantity", "unit", "rate", "amount_cents", "sort"]


@lru_cache(maxsize=256)
def _rate(rate_cents: int | None) -> Decimal | None:
    """A line's rate in dollars as stored (per 1,000 gallons for volume lines)."""
    return Decimal(rate_cents) / 100 if rate_cents is not None else None


def _bind(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name)


async def order_reads(
    session: AsyncSession, wanted: list[tuple[int, str | None]], chunk: Chunk, ctx: RunContext
) -> int:
    """A read order for each meter that needs an actual read ((account, "electric"/"gas", or None for the water
    meter)), unless one is already open for that account and meter."""
    if not wanted:
        return 0
    account_ids = sorted({account_id for account_id, _kind in wanted})
    open_orders = {
        (account_id, meter_id)
        for account_id, meter_id in await session.execute(
            select(WorkOrder.account_id, WorkOrder.meter_id).where(
                WorkOrder.account_id.in_(account_ids),
                WorkOrder.kind == WorkOrderKind.READ,
                WorkOrder.status.in_(workorders.OPEN_STATUSES),
            )
        )
    }
    made = 0
    for account_id, kind in dict.fromkeys(wanted):
        account = chunk.accounts[account_id]
        if kind is None:
            meter = chunk.meter_of_premise.get(account.premise_id)
        else:
            meter = chunk.energy_meter.get((account.premise_id, kind))
        meter_id = meter.id if meter else None
        if (account_id, meter_id) in open_orders or (account_id, None) in open_orders:
            continue
        open_orders.add((account_id, meter_id))
        await workorders.create(
            session,
            ACTOR,
            kind=WorkOrderKind.READ,
            premise_id=account.premise_id,
            account_id=account_id,
            meter_id=meter_id,
            due_on=ctx.policy.next_business_day(ctx.on + dt.timedelta(days=1)),
            instructions=render_english("read_order"),
        )
        made += 1
    return made


# ---- the run ------------------------------------------------------------------------------------------------------


async def bill_run(
    maker: async_sessionmaker[AsyncSession],
    cycle: int,
    on: dt.date,
    policy: Policy,
    *,
    mailer: Mailer,
    public_url: str = "http://localhost:8000",
    timezone: str = DEFAULT_TIMEZONE,
    phone: str = DEFAULT_PHONE,
    worker: tuple[int, int] = (0, 1),
    chunk_size: int | None = None,
    max_chunks: int | None = None,
    progress: Callable[[str], None] = lambda _m: None,
) -> RunResult:
    """Bill the cycle for the period ending `on` (also the bill date). `max_chunks` stops early (tests of a run
    that was interrupted); `worker` = (index, count) takes every count-th account (several processes)."""
    started = time.perf_counter()
    async with maker() as session:
        book = await load_rates(session)
        ids = await candidates(session, cycle, on, worker)
    ctx = RunContext(cycle, on, due_date(on, policy), book, policy, public_url, mailer, ZoneInfo(timezone), phone)
    size = chunk_size or policy.bill_run_chunk
    total = RunResult()
    with collect_between_chunks() as collect:
        for number, offset in enumerate(range(0, len(ids), size)):
            if max_chunks is not None and number >= max_chunks:
                break
            async with maker() as session, session.begin():
                total.add(await bill_chunk(session, ids[offset : offset + size], ctx))
            collect()
            progress(
                f"cycle {cycle} worker {worker[0] + 1}/{worker[1]}: {min(offset + size, len(ids)):,} of "
                f"{len(ids):,} accounts, {total.billed:,} billed"
            )
    total.seconds = time.perf_counter() - started
    return total


@contextmanager
def collect_between_chunks() -> Iterator[Callable[[], object]]:
    """A chunk makes millions of short-lived objects that reference counting frees; Python's cyclic collector,
    started by allocation counts, would walk the live ones again and again (a quarter of the run's CPU, measured).
    So it is paused during a chunk and run once after each, with what existed before the run frozen out of it."""
    if not gc.isenabled():
        yield lambda: None
        return
    gc.freeze()
    gc.disable()
    try:
        yield gc.collect
    finally:
        gc.enable()
        gc.unfreeze()


def _worker_main(
    database_url: str,
    cycle: int,
    on: dt.date,
    policy: Policy,
    mailer: Mailer,
    public_url: str,
    timezone: str,
    worker: tuple[int, int],
    chunk_size: int | None,
    phone: str = DEFAULT_PHONE,
) -> RunResult:
    from portal.db import make_engine, make_sessionmaker

    async def go() -> RunResult:
        engine = make_engine(database_url)
        try:
            return await bill_run(
                make_sessionmaker(engine),
                cycle,
                on,
                policy,
                mailer=mailer,
                public_url=public_url,
                timezone=timezone,
                phone=phone,
                worker=worker,
                chunk_size=chunk_size,
                progress=print,
            )
        finally:
            await engine.dispose()

    return asyncio.run(go())


def run_processes(
    database_url: str,
    cycle: int,
    on: dt.date,
    policy: Policy,
    *,
    mailer: Mailer,
    jobs: int,
    public_url: str,
    timezone: str = DEFAULT_TIMEZONE,
    chunk_size: int | None = None,
    phone: str = DEFAULT_PHONE,
) -> RunResult:
    """The run split over `jobs` processes (PostgreSQL only: SQLite has one writer, so it runs in one)."""
    import concurrent.futures
    import multiprocessing

    if jobs <= 1 or database_url.startswith("sqlite"):
        return _worker_main(database_url, cycle, on, policy, mailer, public_url, timezone, (0, 1), chunk_size, phone)
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [
            pool.submit(
                _worker_main,
                database_url,
                cycle,
                on,
                policy,
                mailer,
                public_url,
                timezone,
                (k, jobs),
                chunk_size,
                phone,
            )
            for k in range(jobs)
        ]
        total = RunResult()
        for future in futures:
            total.add(future.result())
    total.seconds = time.perf_counter() - started
    return total
