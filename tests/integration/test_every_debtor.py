"""Lists of every account that owes go into one statement whole: the cut-off list and the aged receivables ask for a
city's every debtor, more than the 32,767 values a PostgreSQL statement may bind (and SQLite's 32,766) as IN lists.
Ids without entries stand in for a large city's accounts; the statements must answer, not fail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import arrears, ledger
from portal.accounts.actor import Actor
from portal.accounts.models import LedgerKind
from portal.staff import cutoff
from tests import factories

MANY = 33_000  # three times over (the arrears statement names the list thrice) or once, past either bound
DAY = dt.date(2026, 12, 7)


async def test_arrears_of_more_accounts_than_a_statement_binds(session: AsyncSession) -> None:
    ids = list(range(1, MANY + 1))
    found = await arrears.arrears_many(session, ids, DAY)
    assert len(found) == MANY and all(a.balance_cents == 0 and a.past_due_cents == 0 for a in found.values())


@pytest.mark.postgres_only  # on SQLite (the demo's city) these stay IN lists
async def test_the_cutoff_lists_facts_and_notices_for_more_accounts_than_a_statement_binds(
    session: AsyncSession,
) -> None:
    ids = list(range(1, MANY + 1))
    rows = await session.execute(cutoff._accounts_query(True), {"ids": ids, "day": DAY})
    assert list(rows) == []
    assert await cutoff.notices_reached(session, ids) == {}


async def test_accounts_read_in_chunks_keep_each_ones_own_figures(session: AsyncSession, monkeypatch) -> None:
    """SQLite reads a long list a chunk at a time (its bound can be 32,766 values); each account keeps its own money."""
    monkeypatch.setattr(arrears, "SQLITE_ACCOUNTS_PER_STATEMENT", 2)
    accounts = [await factories.make_account(session) for _ in range(5)]
    for n, account in enumerate(accounts):
        await factories.make_past_due_bill(session, account, cents=1000 * (n + 1), due_on=DAY - dt.timedelta(days=n))
    found = await arrears.arrears_many(session, [a.id for a in accounts], DAY)
    assert [found[a.id].past_due_cents for a in accounts] == [0, 2000, 3000, 4000, 5000]  # the first falls due on DAY
    assert [found[a.id].balance_cents for a in accounts] == [1000, 2000, 3000, 4000, 5000]


async def test_the_cut_off_lists_candidates_hold_every_account_past_due_and_skip_those_only_billed(
    session: AsyncSession,
) -> None:
    """`arrears.maybe_past_due` narrows the cut-off list's work to the accounts that may owe past due money: every one
    that does is among them; one that owes only a bill not yet due, or paid, is not."""
    made = {name: await factories.make_account(session) for name in ("late", "current", "paid", "partly", "old_paid")}
    await factories.make_past_due_bill(session, made["late"], cents=5000, due_on=DAY - dt.timedelta(days=30))
    await factories.make_past_due_bill(session, made["current"], cents=4000, due_on=DAY + dt.timedelta(days=10))
    await factories.make_past_due_bill(session, made["paid"], cents=3000, due_on=DAY - dt.timedelta(days=30))
    await _pay(session, made["paid"], 3000)
    # an older bill part paid, a newer one not yet due: past due by what is left of the older
    await factories.make_past_due_bill(session, made["partly"], cents=3000, due_on=DAY - dt.timedelta(days=30))
    await factories.make_past_due_bill(session, made["partly"], cents=2500, due_on=DAY + dt.timedelta(days=5))
    await _pay(session, made["partly"], 2000)
    # an older bill paid, a newer one due after the day: not past due although it owes
    await factories.make_past_due_bill(session, made["old_paid"], cents=3000, due_on=DAY - dt.timedelta(days=30))
    await factories.make_past_due_bill(session, made["old_paid"], cents=2500, due_on=DAY + dt.timedelta(days=5))
    await _pay(session, made["old_paid"], 3000)
    ids = {account.id: name for name, account in made.items()}
    candidates = {ids[a] for a in await arrears.maybe_past_due(session, DAY) if a in ids}
    figures = await arrears.arrears_many(session, list(ids), DAY)
    past_due = {ids[a] for a, owed in figures.items() if owed.past_due_cents > 0}
    assert past_due == {"late", "partly"} and candidates == past_due


async def _pay(session: AsyncSession, account: Any, cents: int) -> None:
    await ledger.post(
        session,
        Actor.job("test"),
        account_id=account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-cents,
        source_key=f"test-payment:{account.id}:{cents}",
        effective_on=DAY - dt.timedelta(days=20),
    )
