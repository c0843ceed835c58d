"""Read models over the shared account: what an account page shows, computed from the ledger."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, func, select
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


@functools.cache
def _summary_query() -> Select[Any]:
    """Built once; `account_id` is bound at each run. The customer, the premise, the last bill and the balance (the
    sum of the ledger) in one statement where it was four."""
    account_id: BindParameter[int] = bindparam("account_id")
    last_bill = (
        select(Bill.id)
        .where(Bill.account_id == account_id, Bill.cancelled_on.is_(None))  # a cancelled bill's replacement is current
        .order_by(Bill.period_end.desc())
        .limit(1)
    ).scalar_subquery()
    balance = (
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(LedgerEntry.account_id == account_id)
    ).scalar_subquery()
    return (
        select(Customer, Premise, Bill, balance)
        .select_from(Account)
        .join(Customer, Customer.id == Account.customer_id)
        .join(Premise, Premise.id == Account.premise_id)
        .outerjoin(Bill, Bill.id == last_bill)
        .where(Account.id == account_id)
    )


async def summarize(session: AsyncSession, account: Account) -> AccountSummary:
    customer, premise, last_bill, balance = (await session.execute(_summary_query(), {"account_id": account.id})).one()
    return AccountSummary(account, customer, premise, int(balance or 0), last_bill)


async def ledger_with_running_balance(
    session: AsyncSession, account_id: int, limit: int = 50, *, total: int | None = None
) -> list[LedgerLine]:
    """Newest first, each line with the balance after it (the total is the sum of all entries, not a stored field;
    a caller that has just read it passes it as `total`)."""
    if total is None:
        total = await ledger.balance(session, account_id)
    lines = []
    running = total
    for entry in await ledger.entries(session, account_id, limit=limit):
        lines.append(LedgerLine(entry, running))
        running -= entry.amount_cents
    return lines
