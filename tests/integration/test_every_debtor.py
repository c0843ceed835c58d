"""Lists of every account that owes go into one statement whole: the cut-off list and the aged receivables ask for a
city's every debtor, more than the 32,767 values a PostgreSQL statement may bind (and SQLite's 32,766) as IN lists.
Ids without entries stand in for a large city's accounts; the statements must answer, not fail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import arrears
from portal.db import is_postgresql
from portal.staff import cutoff
from tests import factories

MANY = 33_000  # three times over (the arrears statement names the list thrice) or once, past either bound
DAY = dt.date(2026, 12, 7)


async def test_arrears_of_more_accounts_than_a_statement_binds(session: AsyncSession) -> None:
    ids = list(range(1, MANY + 1))
    found = await arrears.arrears_many(session, ids, DAY)
    assert len(found) == MANY and all(a.balance_cents == 0 and a.past_due_cents == 0 for a in found.values())


async def test_the_cutoff_lists_facts_and_notices_for_more_accounts_than_a_statement_binds(
    session: AsyncSession,
) -> None:
    if not is_postgresql(session):
        return  # SQLite's list is the demo's: the cut-off list reads it as an IN list, under SQLite's bound there
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
