"""Read models over the shared account: what an account page shows, computed from the ledger."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from . import ledger
from .models import Account, Bill, Customer, LedgerEntry, Premise


@dataclass(frozen=True)
class AccountSummary:
    account: Account
    customer: Customer
    premise: Premise
    balance_cents: int
    last_bill: Bill | None


@dataclass(frozen=True)
class LedgerLine:
    entry: LedgerEntry
    running_balance_cents: int


async def summarize(session: AsyncSession, account: Account) -> AccountSummary:
    customer = await session.get(Customer, account.customer_id)
    premise = await session.get(Premise, account.premise_id)
    assert customer is not None and premise is not None
    last_bill = await session.scalar(
        select(Bill)
        .where(Bill.account_id == account.id, Bill.cancelled_on.is_(None))  # a cancelled bill's replacement is current
        .order_by(Bill.period_end.desc())
        .limit(1)
    )
    return AccountSummary(account, customer, premise, await ledger.balance(session, account.id), last_bill)


async def ledger_with_running_balance(session: AsyncSession, account_id: int, limit: int = 50) -> list[LedgerLine]:
    """Newest first, each line with the balance after it (the total is the sum of all entries, not a stored field)."""
    total = await ledger.balance(session, account_id)
    lines = []
    running = total
    for entry in await ledger.entries(session, account_id, limit=limit):
        lines.append(LedgerLine(entry, running))
        running -= entry.amount_cents
    return lines
