"""Cancel and rebill: a billed period computed again by the bill run's own engine (load_chunk -> bill_input ->
compute), the original's charge reversed and the new bill charged, both kept and shown with the reason.

The rules are plain functions at the top (which bills a read touches, when a supervisor must approve, the
replacement's due date); `recompute` answers what a bill would be, with changes not yet written (`Overrides`) for a
preview; `replace` writes one replacement. Requests, approval and the read changes are in `corrections.py`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple, cast
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import audit, estimates, ledger, ledger_words
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict
from portal.accounts.messages import Mailer
from portal.accounts.models import Bill, BillLine, LedgerEntry, LedgerKind, MeterRead, ReadSource
from portal.accounts.policy import Policy
from portal.settings import DEFAULT_TIMEZONE

from . import compute as c
from . import run

# ---- rules ----------------------------------------------------------------------------------------------------


class BillRow(NamedTuple):
    """What the rules need of a bill in force."""

    id: int
    period_start: dt.date
    period_end: dt.date
    prev_read_id: int | None
    curr_read_id: int | None


def bills_touched_by_read(bills: Sequence[BillRow], read_id: int) -> list[int]:
    """A corrected read changes every bill that opens or closes on it (the bill it ends and the one it starts)."""
    return [b.id for b in sorted(bills, key=lambda b: b.period_end) if read_id in (b.prev_read_id, b.curr_read_id)]


def bills_touched_by_new_read(bills: Sequence[BillRow], read_on: dt.date) -> list[int]:
    """A read entered for a billed day changes the bill whose period holds that day, and the bill after it when that
    one opened on the first bill's closing read (it will open on the new read instead). Nothing when no bill holds it:
    the next bill run uses the read."""
    ordered = sorted(bills, key=lambda b: b.period_end)
    for index, bill in enumerate(ordered):
        if bill.period_start <= read_on <= bill.period_end:
            touched = [bill.id]
            following = ordered[index + 1] if index + 1 < len(ordered) else None
            if following is not None and bill.curr_read_id is not None and following.prev_read_id == bill.curr_read_id:
                touched.append(following.id)
            return touched
    return []


def needs_approval(policy: Policy, difference_cents: int) -> bool:
    """A rebill that moves the balance by more than the threshold (either way) waits for a supervisor."""
    return abs(difference_cents) > policy.rebill_supervisor_threshold_cents


def replacement_due_date(
    original_due: dt.date, old_cents: int, new_cents: int, today: dt.date, policy: Policy
) -> dt.date:
    """A corrected bill asking no more keeps the original's due date (a credit changes nothing about when the rest is
    due); one asking more gets the usual time to pay from today, never less than the original's."""
    if new_cents <= old_cents:
        return original_due
    return max(original_due, run.due_date(today, policy))


# ---- recomputing ------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Overrides:
    """Changes not yet written, for a preview: read values by read id, new reads (id -1 until written), and the read
    a bill opens on when the bill before it is being rebilled in the same preview."""

    values: dict[int, int] = dataclasses.field(default_factory=dict)
    new_reads: tuple[tuple[int, int, dt.datetime, str], ...] = ()  # (meter id, value, read at, source)
    opening_read: c.Read | None = None


class Recomputed(NamedTuple):
    data: c.BillInput
    bill: c.Bill


class _NoMail:
    """A rebill sends no bill-ready email from inside the engine (the bill page and history show it)."""

    def queue(self, session: AsyncSession, to: str, subject: str, text: str, html: str | None = None) -> Any:
        return None

    async def queue_many(self, session: AsyncSession, messages: Sequence[tuple[str, str, str, str | None]]) -> int:
        return 0

    def queue_letter(
        self, session: AsyncSession, address: str, subject: str, text: str, account_id: int | None = None
    ) -> Any:
        return None


def context(book: Any, bill: Bill, policy: Policy, timezone: str = DEFAULT_TIMEZONE) -> run.RunContext:
    return run.RunContext(
        bill.cycle, bill.period_end, bill.due_date, book, policy, "", cast(Mailer, _NoMail()), ZoneInfo(timezone)
    )


async def recompute(
    session: AsyncSession,
    bill: Bill,
    policy: Policy,
    *,
    overrides: Overrides | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    book: Any = None,
) -> Recomputed:
    """The bill for `bill`'s account and period as the engine computes it now from the records (plus `overrides`).
    Raises compute.BillHeld when it cannot be billed (a read that makes the use negative, no rate)."""
    ctx = context(book or await run.load_rates(session), bill, policy, timezone)
    chunk = await run.load_chunk(session, [bill.account_id], ctx)
    if overrides is not None:
        _apply_overrides(chunk, overrides, ctx)
    last = chunk.last_bill.get(bill.account_id)
    if last is not None and last.period_end >= bill.period_start:
        chunk.last_bill.pop(bill.account_id)  # never open on a bill of the same period (the one being replaced)
    data = run.bill_input(bill.account_id, chunk, ctx)
    if overrides is not None and overrides.opening_read is not None and data.prev_read is not None:
        data = dataclasses.replace(data, prev_read=overrides.opening_read)
    # The same period as the original, final or not as it was; the estimate limit was applied when it was made.
    data = dataclasses.replace(
        data, period_start=bill.period_start, period_end=bill.period_end, final=bill.final, consecutive_estimates=0
    )
    return Recomputed(data, c.compute(data, ctx.rates, policy))


def with_read_id(redone: Recomputed, read_id: int) -> Recomputed:
    """A preview's result with the new read (id -1) given its id once written."""

    def fix(read: c.Read | None) -> c.Read | None:
        return read._replace(id=read_id) if read is not None and read.id == -1 else read

    data = dataclasses.replace(redone.data, prev_read=fix(redone.data.prev_read), curr_read=fix(redone.data.curr_read))
    return Recomputed(data, redone.bill)


def _apply_overrides(chunk: run.Chunk, overrides: Overrides, ctx: run.RunContext) -> None:
    for meter_id, reads in list(chunk.reads.items()):
        changed = [r._replace(value=overrides.values[r.id]) if r.id in overrides.values else r for r in reads]
        for new_meter, value, read_at, source in overrides.new_reads:
            if new_meter == meter_id:
                on = read_at.astimezone(ctx.zone).date()
                changed.append(run.ReadRow(-1, meter_id, value, read_at, on, source, False))
        changed.sort(key=lambda r: (r.read_at, r.id if r.id > 0 else 2**62))
        chunk.reads[meter_id] = changed
        for read in changed:
            chunk.read_by_id[read.id] = read
    for read_id, value in overrides.values.items():
        if read_id in chunk.read_by_id:
            chunk.read_by_id[read_id] = chunk.read_by_id[read_id]._replace(value=value)


# ---- writing a replacement --------------------------------------------------------------------------------------


async def replace(
    session: AsyncSession,
    actor: Actor,
    original: Bill,
    policy: Policy,
    today: dt.date,
    *,
    kind: str,
    reason: str,
    correction_id: int,
    timezone: str = DEFAULT_TIMEZONE,
    book: Any = None,
    redone: Recomputed | None = None,
) -> Bill:
    """Cancel `original` and bill its period again from the records as they are now: the original's charge reversed,
    the replacement charged, both keyed by the original bill (a replay posts nothing twice)."""
    if original.cancelled_on is not None:
        raise Conflict("This bill was already cancelled and rebilled.", code="already_rebilled")
    if redone is None:  # else computed already, from exactly the records now written (corrections.request)
        redone = await recompute(session, original, policy, timezone=timezone, book=book)
    data, computed = redone
    original.cancelled_on = today
    await session.flush()
    memo_values = {"start_on": original.period_start.isoformat(), "end_on": original.period_end.isoformat()}
    charges = await session.scalars(
        select(LedgerEntry).where(LedgerEntry.bill_id == original.id, LedgerEntry.kind == LedgerKind.CHARGE)
    )
    for charge in list(charges):
        await ledger.reverse(
            session,
            actor,
            charge.id,
            reason=ledger_words.memo("rebill_cancelled", **memo_values),
            effective_on=today,
            source_key=f"rebill:{original.id}:reversal:{charge.id}",
        )
    curr_read_id = await _closing_read(session, original, data, computed)
    delivery = str(original.document.get("delivery") or "paper")
    document = run.document(data, computed, delivery)
    document["rebill"] = {
        "replaces": original.id,
        "kind": kind,
        "reason": reason,
        "was_cents": original.total_cents,
        "correction": correction_id,
    }
    replacement = Bill(
        account_id=original.account_id,
        cycle=original.cycle,
        period_start=original.period_start,
        period_end=original.period_end,
        bill_date=today,
        due_date=replacement_due_date(original.due_date, original.total_cents, computed.total_cents, today, policy),
        prev_read_id=data.prev_read.id if data.prev_read else None,
        curr_read_id=curr_read_id,
        usage=computed.usage.gallons,
        estimated=computed.estimated,
        final=original.final,
        previous_balance_cents=await ledger.balance(session, original.account_id),
        total_cents=computed.total_cents,
        document=document,
        replaces_id=original.id,
    )
    session.add(replacement)
    await session.flush()
    for sort, line in enumerate(computed.lines):
        session.add(
            BillLine(
                bill_id=replacement.id,
                service_kind=line.service_kind,
                description=run.english(line.text)[:200],
                quantity=line.quantity,
                unit=line.unit,
                rate=Decimal(line.rate_cents) / 100 if line.rate_cents is not None else None,
                amount_cents=line.amount_cents,
                sort=sort,
            )
        )
    if computed.total_cents:
        await ledger.post(
            session,
            actor,
            account_id=original.account_id,
            kind=LedgerKind.CHARGE,
            amount_cents=computed.total_cents,
            source_key=f"rebill:{original.id}",
            effective_on=today,
            memo=ledger_words.memo("rebill", **memo_values),
            bill_id=replacement.id,
        )
    await audit.record(
        session,
        actor,
        "bill.rebill",
        "bill",
        replacement.id,
        account_id=original.account_id,
        before={"bill_id": original.id, "total_cents": original.total_cents, "usage": original.usage},
        after={
            "bill_id": replacement.id,
            "total_cents": replacement.total_cents,
            "usage": replacement.usage,
            "reason": reason,
        },
    )
    return replacement


async def _closing_read(session: AsyncSession, original: Bill, data: c.BillInput, computed: c.Bill) -> int | None:
    """The read the replacement closes on: the actual read the engine chose; an estimate the same as the original's
    is kept; a different estimate is recorded as the bill run records one."""
    if data.curr_read is not None:
        return data.curr_read.id
    estimated = computed.usage.estimated_read
    if estimated is None:
        return None
    if original.curr_read_id is not None:
        old = await session.get(MeterRead, original.curr_read_id)
        if old is not None and old.source == ReadSource.ESTIMATED and old.value == estimated.value:
            return old.id
        meter_id = old.meter_id if old is not None else None
    else:
        meter_id = None
    if meter_id is None:
        return None
    read_at = dt.datetime.combine(original.period_end, dt.time(12), dt.UTC)
    ids = await estimates.record_estimated_reads(
        session,
        [
            estimates.EstimatedRead(
                meter_id, estimated.value, read_at, f"estimated for the bill replacing {original.id}"
            )
        ],
        now=dt.datetime.now(dt.UTC),
    )
    return ids[0]
