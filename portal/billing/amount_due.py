"""What a bill asks the resident to pay, in one place: the bill page (and its PDF) and the printed bill with its scan
line both read it from here, so paper and screen never disagree.

    amount due = the balance before the bill + this bill's charges + the deposit applied to it (a credit, negative),
                 never below zero: a credit left over is nothing to pay (it shows in the balance before the next bill)
    due now    = the part of it that is the balance before the bill: it was due on an earlier bill, so it is past due
                 as this one is issued; the rest is due on this bill's date
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import Bill, LedgerEntry, LedgerKind

BATCH = 5000  # bill ids per query (a print batch reads a whole cycle)


def amount_due_cents(previous_balance_cents: int, total_cents: int, deposit_applied_cents: int = 0) -> int:
    """The amount due of a bill from its stored numbers and the deposit applied to it (negative or 0)."""
    return max(0, previous_balance_cents + total_cents + deposit_applied_cents)


def due_now_cents(previous_balance_cents: int, total_cents: int, deposit_applied_cents: int = 0) -> int:
    """The part of a bill's amount due carried from before it (past due when the bill is issued); 0 when none is."""
    return max(
        0, min(previous_balance_cents, amount_due_cents(previous_balance_cents, total_cents, deposit_applied_cents))
    )


async def deposits_applied(session: AsyncSession, bill_ids: Sequence[int]) -> dict[int, int]:
    """The deposit applied to each of these bills (the sum of its DEPOSIT_APPLIED ledger entries); bills without one
    are left out."""
    found: dict[int, int] = {}
    ids = list(bill_ids)
    for start in range(0, len(ids), BATCH):
        for bill_id, cents in await session.execute(
            select(LedgerEntry.bill_id, func.sum(LedgerEntry.amount_cents))
            .where(LedgerEntry.bill_id.in_(ids[start : start + BATCH]), LedgerEntry.kind == LedgerKind.DEPOSIT_APPLIED)
            .group_by(LedgerEntry.bill_id)
        ):
            if bill_id is not None:
                found[bill_id] = int(cents or 0)
    return found


async def bill_amount_due(session: AsyncSession, bill: Bill) -> int:
    """One bill's amount due (the "Pay this bill" offer starts from it)."""
    deposit = (await deposits_applied(session, [bill.id])).get(bill.id, 0)
    return amount_due_cents(bill.previous_balance_cents, bill.total_cents, deposit)
