"""What an account owes that is past due, and since when: late fees, extensions, cut-off lists, payments that clear
arrears and the aged-receivables report all ask the same question, answered here once.

Credits (payments, adjustments, reversals of charges) pay the oldest charges first. A bill's charges fall due on the
bill's due date; any other charge (a fee) is due the day it is posted.

An open bankruptcy case holds the balance at its filing date (docs/policies.md, Cases): that amount is taken off the
oldest charges before any credit, so it is never past due (no cut-off, no late fee, no collection for it) while the
charges after the petition fall due and are paid as usual. The ledger balance still counts it. The amount applied
follows what happened since the petition (`held_applied`): a rebill lowering a pre-petition bill lowers it and
payments after the petition pay it down, so it never covers post-petition charges nor makes a credit.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Date,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from portal.db import is_postgresql, member_of, member_of_param

from .models import Bill, Case, LedgerEntry, LedgerKind

HELD = 2  # in arrears_many's statement, the rows of a bankruptcy's held balance (1: a charge, 0: a credit)
# and, after the filing date, the net of the entries on pre-petition bills (a rebill, an adjustment of such a bill)
# and the sum of every other credit (payments): what caps the held amount (`held_applied`)
PRE_PETITION, POST_PETITION = 3, 4


@dataclass(frozen=True)
class Arrears:
    balance_cents: int
    past_due_cents: int
    oldest_past_due_on: dt.date | None  # the due date of the oldest charge still unpaid after its due date
    unpaid: tuple[tuple[dt.date, int], ...]  # (due date, cents still unpaid), oldest first
    held_cents: int = 0  # the balance a bankruptcy petition holds: in the balance, never unpaid or past due

    def days_past_due(self, on: dt.date) -> int:
        return (on - self.oldest_past_due_on).days if self.oldest_past_due_on else 0

    def aged(self, on: dt.date, buckets: Iterable[int] = (30, 60, 90)) -> dict[str, int]:
        """Past-due cents by age: "current" (not yet due), "1-30", "31-60", "61-90", "90+" for the default buckets."""
        edges = list(buckets)
        names = ["current"] + [f"{lo + 1}-{hi}" for lo, hi in zip([0, *edges], edges, strict=False)] + [f"{edges[-1]}+"]
        totals = dict.fromkeys(names, 0)
        for due_on, cents in self.unpaid:
            age = (on - due_on).days
            if age <= 0:
                totals["current"] += cents
                continue
            for index, edge in enumerate(edges):
                if age <= edge:
                    totals[names[index + 1]] += cents
                    break
            else:
                totals[names[-1]] += cents
        return totals


def allocate(
    charges: Iterable[tuple[dt.date, int] | tuple[dt.date, int, bool]],
    credits_cents: int,
    on: dt.date,
    held_cents: int = 0,
) -> Arrears:
    """charges: (due date, positive cents) or (due date, cents, counted); credits_cents: the sum of all credits as a
    positive number. A charge with counted=False (a late fee, when working out the next late fee) takes its share of
    the credits like any other but is left out of what is unpaid and past due. held_cents (a bankruptcy's balance at
    its petition) covers the oldest charges first, like a credit, but stays in the balance."""
    held_cents = max(0, held_cents)
    remaining = credits_cents + held_cents
    unpaid: list[tuple[dt.date, int]] = []
    total_charges = 0
    for item in sorted(charges):
        due_on, cents = item[0], item[1]
        total_charges += cents
        paid = min(cents, remaining)
        remaining -= paid
        if cents - paid > 0 and (len(item) < 3 or item[2]):
            unpaid.append((due_on, cents - paid))
    past = [(d, c) for d, c in unpaid if d < on]
    return Arrears(
        balance_cents=total_charges - credits_cents,
        past_due_cents=sum(c for _, c in past),
        oldest_past_due_on=past[0][0] if past else None,
        unpaid=tuple(unpaid),
        held_cents=held_cents,
    )


@functools.cache
def _arrears_query(not_counted: tuple[LedgerKind, ...], postgresql: bool) -> CompoundSelect[Any]:
    """The statement, built once per set of kinds not counted (every resident page and the cut-off list run it;
    building it cost more CPU than running it). The accounts go in as one array on PostgreSQL: the cut-off list and
    the aged receivables ask for every account that owes, and as an IN list a city's 11,000 would pass the 32,767
    parameters a statement may carry (three times each)."""

    def among(column: Any) -> Any:
        return member_of_param(column, "account_ids", postgresql=postgresql)

    on: BindParameter[dt.date] = bindparam("on")
    # One statement: charges grouped by the day they fall due (and whether they count), credits summed apart.
    is_charge = case((LedgerEntry.amount_cents > 0, 1), else_=0)
    due_on = case((LedgerEntry.amount_cents > 0, func.coalesce(Bill.due_date, LedgerEntry.effective_on)), else_=None)
    groups: list[Any] = [LedgerEntry.account_id, is_charge, due_on]
    if not_counted:
        groups.append(case((LedgerEntry.kind.in_(list(not_counted)), 0), else_=1))
    entries = (
        select(*groups, func.sum(LedgerEntry.amount_cents))
        .outerjoin(Bill, Bill.id == LedgerEntry.bill_id)
        .where(
            among(LedgerEntry.account_id),
            LedgerEntry.amount_cents != 0,
            LedgerEntry.effective_on <= on,
        )
        .group_by(*groups)
    )
    # In the same statement: the balance each open bankruptcy filed by `on` holds, marked apart (HELD).
    held_groups: list[Any] = [Case.account_id, literal_column(str(HELD)), cast(null(), Date)]
    if not_counted:
        held_groups.append(literal_column("1"))
    held_rows = (
        select(*held_groups, func.sum(Case.held_cents))
        .where(
            among(Case.account_id),
            Case.kind == "bankruptcy",
            Case.status == "open",
            Case.filed_on <= on,
            Case.held_cents > 0,
        )
        .group_by(Case.account_id)
    )
    # ... and the entries after the filing date, split by whether they are on a bill for service before the petition
    petition = and_(
        Case.account_id == LedgerEntry.account_id,
        Case.kind == "bankruptcy",
        Case.status == "open",
        Case.filed_on <= on,
        Case.held_cents > 0,
    )
    # pre-petition: on a bill for service up to the filing date (a rebill, an adjustment of such a bill), or the
    # collection agency's write-off and its recall (of what was owed at the petition)
    pre = or_(
        and_(Bill.period_end.is_not(None), Bill.period_end <= Case.filed_on),
        LedgerEntry.kind.in_([LedgerKind.WRITE_OFF, LedgerKind.WRITE_OFF_RECOVERY]),
    )
    side = case((pre, literal_column(str(PRE_PETITION))), else_=literal_column(str(POST_PETITION)))
    since_groups: list[Any] = [LedgerEntry.account_id, side, cast(null(), Date)]
    if not_counted:
        since_groups.append(literal_column("1"))
    since_rows = (
        select(*since_groups, func.sum(LedgerEntry.amount_cents))
        .select_from(LedgerEntry)
        .join(Case, petition)
        .outerjoin(Bill, Bill.id == LedgerEntry.bill_id)
        .where(
            among(LedgerEntry.account_id),
            or_(pre, LedgerEntry.amount_cents < 0),  # of the rest, the credits: post-petition charges are not held
            LedgerEntry.effective_on > Case.filed_on,
            LedgerEntry.effective_on <= on,
        )
        .group_by(LedgerEntry.account_id, side)
    )
    return union_all(entries, held_rows, since_rows)


def held_applied(held_cents: int, pre_petition_cents: int, credits_since_cents: int) -> int:
    """The part of a bankruptcy's held amount still owed (docs/policies.md, Cases): held_cents, the balance at the
    petition; pre_petition_cents, the net since the filing date of the entries on bills for service up to it (a rebill
    lowering such a bill is negative) and of the agency's write-off and recall; credits_since_cents (zero or
    negative), every other credit since the filing date (payments, a trustee's, adjustments). Credits after the
    petition pay the held debt first; a charge after it (post-petition service, a fee) is never held, so it is owed
    and falls due as usual. Never more than was held, never below zero."""
    still_owed = held_cents + pre_petition_cents + min(0, credits_since_cents)
    return max(0, min(held_cents, still_owed))


SQLITE_ACCOUNTS_PER_STATEMENT = 10_000


async def arrears_many(
    session: AsyncSession, account_ids: list[int], on: dt.date, *, not_counted: Collection[LedgerKind] = ()
) -> dict[int, Arrears]:
    """Arrears as of the end of `on` for many accounts in one query (entries effective after `on` are ignored).
    Charges of the `not_counted` kinds are paid off in turn but never counted as unpaid (a late fee is never
    charged on a late fee)."""
    if not account_ids:
        return {}
    postgresql = is_postgresql(session)
    statement = _arrears_query(tuple(sorted(not_counted)), postgresql)
    # SQLite binds at most 32,766 values a statement, and the list goes in three times.
    per_statement = len(account_ids) if postgresql else SQLITE_ACCOUNTS_PER_STATEMENT
    rows: list[Any] = []
    for start in range(0, len(account_ids), per_statement):
        chunk = list(account_ids[start : start + per_statement])
        rows.extend(await session.execute(statement, {"account_ids": chunk, "on": on}))
    charges: dict[int, list[tuple[dt.date, int, bool]]] = defaultdict(list)
    credits: dict[int, int] = defaultdict(int)
    held: dict[int, int] = defaultdict(int)
    since: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        account_id, charge, due, cents = row[0], row[1], row[2], row[-1]
        if charge == HELD:
            held[account_id] += int(cents)
        elif charge in (PRE_PETITION, POST_PETITION):
            since[account_id, charge] += int(cents)
        elif charge:
            charges[account_id].append((due, int(cents), bool(row[3]) if not_counted else True))
        else:
            credits[account_id] -= int(cents)
    applied = {a: held_applied(h, since[a, PRE_PETITION], since[a, POST_PETITION]) for a, h in held.items()}
    return {a: allocate(charges.get(a, []), credits.get(a, 0), on, applied.get(a, 0)) for a in account_ids}


async def maybe_past_due(session: AsyncSession, on: dt.date) -> list[int]:
    """The accounts that may have money past due at the end of `on`: those whose balance is more than their charges
    not yet due by then. A superset, and a far smaller one than every account that owes (each owes its latest bill
    for three weeks): `arrears_many` then works out the exact figures for these only. Credits pay the oldest charges
    first (`allocate`), so what is unpaid is never more than the balance, and what is past due never more than the
    balance less the charges not yet due; a bankruptcy's held balance only lowers it further."""
    due_on = func.coalesce(Bill.due_date, LedgerEntry.effective_on)
    not_yet_due = case((and_(LedgerEntry.amount_cents > 0, due_on >= on), LedgerEntry.amount_cents), else_=0)
    return list(
        await session.scalars(
            select(LedgerEntry.account_id)
            .outerjoin(Bill, Bill.id == LedgerEntry.bill_id)
            .where(LedgerEntry.effective_on <= on)
            .group_by(LedgerEntry.account_id)
            .having(func.sum(LedgerEntry.amount_cents) > func.sum(not_yet_due))
        )
    )


async def arrears(session: AsyncSession, account_id: int, on: dt.date) -> Arrears:
    return (await arrears_many(session, [account_id], on))[account_id]


async def settled_entries(
    session: AsyncSession, account_ids: Sequence[int], on: dt.date
) -> dict[int, list[tuple[dt.date, int, int]]]:
    """Each account's entries effective by `on` as (day, entry id, cents): a charge on the day it falls due, a credit
    on the day it was posted. Every entry that was reversed is left out together with its reversal: a returned
    payment never paid anything, a reversed charge was never owed."""
    reversal = aliased(LedgerEntry)
    rows = await session.execute(
        select(
            LedgerEntry.account_id,
            func.coalesce(Bill.due_date, LedgerEntry.effective_on),
            LedgerEntry.id,
            LedgerEntry.amount_cents,
            LedgerEntry.effective_on,
        )
        .outerjoin(Bill, Bill.id == LedgerEntry.bill_id)
        .outerjoin(reversal, reversal.reverses_id == LedgerEntry.id)
        .where(
            member_of(session, LedgerEntry.account_id, list(account_ids)),  # every open deposit's: an array
            LedgerEntry.effective_on <= on,
            LedgerEntry.reverses_id.is_(None),
            reversal.id.is_(None),
        )
    )
    found: dict[int, list[tuple[dt.date, int, int]]] = {a: [] for a in account_ids}
    for account_id, due_on, entry_id, cents, effective_on in rows:
        found[account_id].append((due_on if cents > 0 else effective_on, entry_id, int(cents)))
    return found
