"""Late fees: 10% of the past-due amount, at least $5, once per bill, never on a late fee (docs/design.md, section 4).

`late_fee_run` looks at bills that fell past due in the last few weeks (their due date, already moved off weekends
and holidays at bill time, is before the run date), takes each account's latest such bill, and charges one fee keyed
`late:<bill id>`: running it twice, or on two machines at once, charges nothing more. No fee while the account has an
active payment extension; no fee when nothing is past due.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.accounts import arrears, ledger, ledger_words
from portal.accounts.actor import Actor
from portal.accounts.models import Bill, ExtensionStatus, LedgerEntry, LedgerKind, PaymentExtension
from portal.accounts.policy import Policy

ACTOR = Actor.job("late-fees")
CHUNK = 2000


def late_fee_cents(past_due_cents: int, policy: Policy) -> int:
    """The fee on a past-due amount (late fees already excluded from it); 0 when nothing is past due."""
    if past_due_cents <= 0:
        return 0
    percent = (Decimal(past_due_cents) * policy.late_fee_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(policy.late_fee_minimum_cents, int(percent))


def fee_key(bill_id: int) -> str:
    return f"late:{bill_id}"


@dataclass
class LateFeeResult:
    considered: int = 0
    charged: int = 0
    charged_cents: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def summary(self) -> str:
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items())) or "none"
        return (
            f"{self.charged:,} late fees, {self.charged_cents / 100:,.2f} charged, of {self.considered:,} bills "
            f"past due; skipped: {skipped}; {self.seconds:.1f} s"
        )


async def past_due_bills(session: AsyncSession, on: dt.date, policy: Policy) -> dict[int, int]:
    """{account id: bill id} for each account's latest bill that fell due in the look-back window before `on`."""
    since = on - dt.timedelta(days=policy.late_fee_lookback_days)
    latest = (
        select(Bill.account_id, func.max(Bill.due_date).label("due"))
        .where(Bill.due_date < on, Bill.due_date >= since, Bill.cancelled_on.is_(None))
        .group_by(Bill.account_id)
        .subquery()
    )
    rows = await session.execute(
        select(Bill.account_id, func.max(Bill.id))
        .join(latest, (latest.c.account_id == Bill.account_id) & (latest.c.due == Bill.due_date))
        .where(Bill.cancelled_on.is_(None))  # a cancelled bill's replacement stands for it
        .group_by(Bill.account_id)
        .order_by(Bill.account_id)
    )
    return {account_id: bill_id for account_id, bill_id in rows}


async def fee_chunk(session: AsyncSession, bills: dict[int, int], on: dt.date, policy: Policy) -> LateFeeResult:
    result = LateFeeResult(considered=len(bills))
    keys = {fee_key(b): a for a, b in bills.items()} | {f"latefee:{b}": a for a, b in bills.items()}
    # A corrected bill replacing one already charged a late fee is not charged again for the same lateness.
    wanted = dict(bills)
    while wanted:
        replaced = (
            await session.execute(
                select(Bill.account_id, Bill.replaces_id).where(
                    Bill.id.in_(list(wanted.values())), Bill.replaces_id.is_not(None)
                )
            )
        ).all()
        wanted = {account_id: original for account_id, original in replaced if original is not None}
        keys |= {fee_key(original): account_id for account_id, original in wanted.items()}
    charged_already = {
        keys[k]
        for k in await session.scalars(select(LedgerEntry.source_key).where(LedgerEntry.source_key.in_(list(keys))))
    }
    extended = set(
        await session.scalars(
            select(PaymentExtension.account_id).where(
                PaymentExtension.account_id.in_(list(bills)), PaymentExtension.status == ExtensionStatus.ACTIVE
            )
        )
    )
    owed = await arrears.arrears_many(session, list(bills), on, not_counted=(LedgerKind.LATE_FEE,))
    entries = []
    for account_id, bill_id in bills.items():
        if account_id in charged_already:
            result.skipped["already_charged"] += 1
            continue
        if account_id in extended:
            result.skipped["payment_extension"] += 1
            continue
        fee = late_fee_cents(owed[account_id].past_due_cents, policy)
        if fee == 0:
            result.skipped["nothing_past_due"] += 1
            continue
        entries.append(
            ledger.NewEntry(
                account_id,
                LedgerKind.LATE_FEE,
                fee,
                fee_key(bill_id),
                on,
                ledger_words.memo(
                    "late_fee",
                    percent=policy.late_fee_percent,
                    dollars=f"{owed[account_id].past_due_cents / 100:.2f}",
                ),
            )
        )
    created = await ledger.post_many(session, ACTOR, entries)
    for entry in entries:
        if entry.source_key in created:
            result.charged += 1
            result.charged_cents += entry.amount_cents
        else:
            result.skipped["already_charged"] += 1
    return result


async def late_fee_run(
    maker: async_sessionmaker[AsyncSession],
    on: dt.date,
    policy: Policy,
    progress: Callable[[str], object] = lambda _m: None,
) -> LateFeeResult:
    started = time.perf_counter()
    async with maker() as session:
        bills = await past_due_bills(session, on, policy)
    total = LateFeeResult()
    items = list(bills.items())
    for offset in range(0, len(items), CHUNK):
        async with maker() as session, session.begin():
            part = await fee_chunk(session, dict(items[offset : offset + CHUNK]), on, policy)
        total.considered += part.considered
        total.charged += part.charged
        total.charged_cents += part.charged_cents
        total.skipped.update(part.skipped)
        progress(f"late fees: {min(offset + CHUNK, len(items)):,} of {len(items):,} bills, {total.charged:,} charged")
    total.seconds = time.perf_counter() - started
    return total
