"""Receipt numbers stay gap-free when cashiers take them at once and some payments roll back."""

import asyncio

import pytest

from portal.db import make_sessionmaker
from portal.staff import cashier


class _Abandoned(Exception):
    pass


@pytest.mark.postgres_only
async def test_concurrent_cashiers_get_distinct_numbers_and_a_rollback_leaves_no_gap(engine) -> None:
    maker = make_sessionmaker(engine)
    committed: list[int] = []

    async def take(abandon: bool) -> None:
        try:
            async with maker() as session, session.begin():
                number = await cashier.next_number(session)
                await asyncio.sleep(0.01)
                if abandon:
                    raise _Abandoned
                committed.append(number)
        except _Abandoned:
            pass

    await asyncio.gather(*(take(abandon=i % 3 == 0) for i in range(12)))
    assert sorted(committed) == list(range(1, len(committed) + 1))
    assert len(committed) == 8
