"""The letter of credit (credit-history letter) a departing customer takes to their next utility: the same facts
the deposit waiver checks when a letter comes to us (`deposits.LetterOfCredit`: months of service, late payments,
disconnections, returned payments), read from our own records, and what our own rule (`deposits.check_letter`)
would make of them. Issuing a letter is audited; the staff side renders it as a PDF in the customer's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import arrears, audit, deposits, extensions
from .actor import Actor
from .models import Account, Bill, WorkOrder, WorkOrderKind, WorkOrderStatus
from .policy import Policy


@dataclass(frozen=True)
class CreditHistory:
    letter: deposits.LetterOfCredit
    check: deposits.LetterCheck  # our own waiver rule applied to the letter
    window_start: dt.date  # the letter speaks of the service since this day
    as_of: dt.date


def late_bills(
    due_dates: Sequence[dt.date], charges: Sequence[tuple[dt.date, int]], credits: Sequence[tuple[dt.date, int]]
) -> int:
    """How many of these bills were not paid on time: by a bill's due date, the credits posted so far did not cover
    every charge due by then. The same test as the deposit's good-record streak (`deposits.on_time_streak`), bill
    by bill."""
    return sum(1 for due in sorted(set(due_dates)) if deposits.on_time_streak([due], charges, credits) == 0)


def service_span(account: Account, first_bill_start: dt.date | None) -> tuple[dt.date, dt.date | None]:
    """Service began when the account opened (or its first billed period, for an account without an opening date)
    and ended when it closed (None: still served)."""
    start = account.opened_on or first_bill_start or account.created_at.date()
    return start, account.closed_on


async def history(
    session: AsyncSession, policy: Policy, account: Account, utility: str, today: dt.date
) -> CreditHistory:
    """The account's payment record in the letter-of-credit window (the policy's months before today)."""
    window_start = deposits.add_months(today, -policy.letter_of_credit_window_months)
    first_bill = await session.scalar(select(func.min(Bill.period_start)).where(Bill.account_id == account.id))
    service_from, service_to = service_span(account, first_bill)
    due_dates = list(
        await session.scalars(
            select(Bill.due_date).where(
                Bill.account_id == account.id, Bill.due_date >= window_start, Bill.due_date < today
            )
        )
    )
    rows = (await arrears.settled_entries(session, [account.id], today))[account.id]
    late = late_bills(
        due_dates, [(due, c) for due, _i, c in rows if c > 0], [(day, -c) for day, _i, c in rows if c < 0]
    )
    window_start_at = dt.datetime.combine(window_start, dt.time(0), dt.UTC)
    disconnects = await session.scalar(
        select(func.count()).where(
            WorkOrder.account_id == account.id,
            WorkOrder.kind == WorkOrderKind.DISCONNECT,
            WorkOrder.status == WorkOrderStatus.COMPLETED,
            WorkOrder.completed_at >= window_start_at,
        )
    )
    returned = await extensions.returned_payment_dates(session, account.id, window_start - dt.timedelta(days=1))
    letter = deposits.LetterOfCredit(
        utility=utility,
        service_from=service_from,
        service_to=service_to,
        late_payments=late,
        disconnects=int(disconnects or 0),
        returned_payments=len(returned),
    )
    return CreditHistory(letter, deposits.check_letter(policy, letter, today), window_start, today)


async def record_issued(session: AsyncSession, actor: Actor, account: Account, found: CreditHistory) -> None:
    """The audit row of an issued letter: what it said, so the letter can be re-made and checked later."""
    letter = found.letter
    await audit.record(
        session,
        actor,
        "account.credit_letter",
        "account",
        account.id,
        account_id=account.id,
        after={
            "as_of": found.as_of.isoformat(),
            "window_start": found.window_start.isoformat(),
            "service_from": letter.service_from.isoformat(),
            "service_to": letter.service_to.isoformat() if letter.service_to else None,
            "late_payments": letter.late_payments,
            "disconnects": letter.disconnects,
            "returned_payments": letter.returned_payments,
            "qualifies": found.check.accepted,
        },
    )
