"""The general-ledger view of the customer ledger, for finance (docs/policies.md#general-ledger-accounts).

Every customer ledger entry is one side of a journal entry on Customer receivables (a charge debits it, a credit
credits it); the other side goes to the account its kind names in OFFSET_BY_KIND, and a bill's charge is split over
the revenue accounts of its lines' services (REVENUE_BY_SERVICE). A reversal takes the accounts of the entry it
reverses. So each entry's journal lines sum to zero, and every day's debits equal its credits by construction.
The mapping is data (this constant), documented in docs/policies.md; the finance reports read it from here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from .models import BillLine, LedgerEntry, LedgerKind, ServiceKind

RECEIVABLES = "1200"
CASH = "1010"
TRANSFER_CLEARING = "1290"
DEPOSITS_HELD = "2200"
UNALLOCATED_REVENUE = "4090"
BAD_DEBT = "6100"

GL_ACCOUNTS: dict[str, str] = {
    CASH: "Cash in bank",
    RECEIVABLES: "Customer receivables",
    TRANSFER_CLEARING: "Balance transfer clearing",
    DEPOSITS_HELD: "Customer deposits",
    "4010": "Water sales",
    "4020": "Sewer charges",
    "4030": "Solid waste charges",
    "4040": "Stormwater fees",
    "4050": "Electric sales",
    "4060": "Gas sales",
    "4070": "Private fire protection charges",
    UNALLOCATED_REVENUE: "Billed revenue not allocated to a service",
    "4500": "Late fees",
    "4510": "Service fees",
    "4900": "Billing adjustments",
    BAD_DEBT: "Bad debt written off",
}

REVENUE_BY_SERVICE: dict[ServiceKind, str] = {
    ServiceKind.WATER: "4010",
    ServiceKind.SEWER: "4020",
    ServiceKind.SOLID_WASTE: "4030",
    ServiceKind.STORMWATER: "4040",
    ServiceKind.ELECTRIC: "4050",
    ServiceKind.GAS: "4060",
    ServiceKind.FIRE_LINE: "4070",
}

# The account on the other side of Customer receivables, by ledger kind (a charge: the revenue by service instead).
OFFSET_BY_KIND: dict[LedgerKind, str] = {
    LedgerKind.CHARGE: UNALLOCATED_REVENUE,
    LedgerKind.PAYMENT: CASH,
    LedgerKind.REFUND: CASH,
    LedgerKind.DEPOSIT_REFUNDED: CASH,
    LedgerKind.ADJUSTMENT: "4900",
    LedgerKind.LATE_FEE: "4500",
    LedgerKind.FEE: "4510",
    LedgerKind.DEPOSIT_BILLED: DEPOSITS_HELD,
    LedgerKind.DEPOSIT_PAID: DEPOSITS_HELD,
    LedgerKind.DEPOSIT_APPLIED: DEPOSITS_HELD,
    LedgerKind.TRANSFER: TRANSFER_CLEARING,
    LedgerKind.WRITE_OFF: BAD_DEBT,
    LedgerKind.REVERSAL: UNALLOCATED_REVENUE,  # only when the reversed entry cannot be found
}


def revenue_accounts() -> list[str]:
    return sorted(code for code in GL_ACCOUNTS if code.startswith("4"))


@dataclass(frozen=True)
class Entry:
    """One customer ledger entry as the journal needs it: for a charge (or its reversal), the bill's amounts by
    service."""

    day: dt.date
    kind: LedgerKind  # for a reversal: the kind of the entry it reverses
    amount_cents: int
    services: tuple[tuple[ServiceKind, int], ...] = ()
    reversal: bool = False  # it takes back the entry it reverses: the bill's amounts are negated


@dataclass(frozen=True)
class JournalLine:
    day: dt.date
    account: str
    debit_cents: int
    credit_cents: int


def split(entry: Entry) -> list[tuple[str, int]]:
    """The entry's journal lines as (GL account, signed cents: debit positive), summing to zero."""
    lines = [(RECEIVABLES, entry.amount_cents)]
    if entry.kind == LedgerKind.CHARGE and entry.services:
        billed = sum(cents for _s, cents in entry.services)
        sign = -1 if entry.reversal else 1
        for service, cents in entry.services:
            lines.append((REVENUE_BY_SERVICE.get(service, UNALLOCATED_REVENUE), -sign * cents))
        rest = entry.amount_cents - sign * billed
        if rest:
            lines.append((UNALLOCATED_REVENUE, -rest))
    else:
        lines.append((OFFSET_BY_KIND.get(entry.kind, UNALLOCATED_REVENUE), -entry.amount_cents))
    return lines


def journal(entries: Iterable[Entry]) -> list[JournalLine]:
    """Debits and credits by day and GL account (days, then accounts, in order)."""
    totals: dict[tuple[dt.date, str], list[int]] = defaultdict(lambda: [0, 0])
    for entry in entries:
        for account, cents in split(entry):
            if cents > 0:
                totals[(entry.day, account)][0] += cents
            elif cents < 0:
                totals[(entry.day, account)][1] -= cents
    return [JournalLine(day, account, debit, credit) for (day, account), (debit, credit) in sorted(totals.items())]


def unbalanced_days(lines: Iterable[JournalLine]) -> dict[dt.date, int]:
    """Days whose debits differ from their credits (debits minus credits): empty when the journal balances."""
    net: dict[dt.date, int] = defaultdict(int)
    for line in lines:
        net[line.day] += line.debit_cents - line.credit_cents
    return {day: cents for day, cents in net.items() if cents}


def revenue(lines: Iterable[JournalLine]) -> dict[str, int]:
    """Net revenue (credits less debits) by revenue account."""
    found = {code: 0 for code in revenue_accounts()}
    for line in lines:
        if line.account in found:
            found[line.account] += line.credit_cents - line.debit_cents
    return found


# ---- loading --------------------------------------------------------------------------------------------------


async def entries_between(session: AsyncSession, start: dt.date, end: dt.date) -> list[Entry]:
    """The customer ledger entries effective from start to end (inclusive), each with its bill's amounts by service
    when it is a bill's charge (or the reversal of one)."""
    original = aliased(LedgerEntry)
    rows = list(
        await session.execute(
            select(
                LedgerEntry.effective_on,
                LedgerEntry.kind,
                LedgerEntry.amount_cents,
                LedgerEntry.bill_id,
                original.kind,
                original.bill_id,
            )
            .outerjoin(original, original.id == LedgerEntry.reverses_id)
            .where(LedgerEntry.effective_on >= start, LedgerEntry.effective_on <= end)
        )
    )
    bill_ids = {
        (reversed_bill if kind == LedgerKind.REVERSAL else bill_id)
        for _d, kind, _a, bill_id, _ok, reversed_bill in rows
        if (reversed_bill if kind == LedgerKind.REVERSAL else bill_id) is not None
    }
    services: dict[int, list[tuple[ServiceKind, int]]] = defaultdict(list)
    ids = sorted(i for i in bill_ids if i is not None)
    for offset in range(0, len(ids), 5000):
        for line_bill, service, cents in await session.execute(
            select(BillLine.bill_id, BillLine.service_kind, func.sum(BillLine.amount_cents))
            .where(BillLine.bill_id.in_(ids[offset : offset + 5000]))
            .group_by(BillLine.bill_id, BillLine.service_kind)
            .order_by(BillLine.bill_id, BillLine.service_kind)
        ):
            services[line_bill].append((ServiceKind(service), int(cents)))
    found = []
    by_service: Mapping[int, list[tuple[ServiceKind, int]]] = services
    for day, kind, amount, bill_id, original_kind, original_bill in rows:
        reversal = kind == LedgerKind.REVERSAL and original_kind is not None
        if reversal:
            kind, bill_id = original_kind, original_bill
        lines = tuple(by_service.get(bill_id, ())) if kind == LedgerKind.CHARGE and bill_id is not None else ()
        found.append(Entry(day, LedgerKind(kind), int(amount), lines, reversal))
    return found
