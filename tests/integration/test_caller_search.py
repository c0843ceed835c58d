"""The console's search as callers speak: addresses with units and abbreviations, names in either order or with a
slip, and account numbers with a wrong digit. Runs the real queries on both databases."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import numbers
from portal.accounts.models import Account, Premise
from portal.staff.search import search
from tests import factories


async def _at(session: AsyncSession, first: str, last: str, address: str, unit: str | None = None) -> Account:
    account = await factories.make_account(session, first_name=first, last_name=last, address=address)
    premise = await session.get(Premise, account.premise_id)
    premise.unit = unit
    await session.flush()
    return account


async def _city(session: AsyncSession) -> dict[str, Account]:
    city = {
        "anderson": await _at(session, "Robert", "Anderson", "4100 Quail Run St", "Apt 103"),
        "neighbour": await _at(session, "Teresa", "Vance", "4100 Quail Run St", "Apt 104"),
        "farther": await _at(session, "Omar", "Haddad", "41000 Quail Run St"),
        "johnson": await _at(session, "Mary", "Johnson", "22 Juniper Ave"),
        "north": await _at(session, "Kim", "Ostrander", "7 N Wren Rd"),
    }
    await session.commit()
    return city


def _numbers(results) -> set[str]:
    return {account.number for account, _customer, _premise in results.rows}


async def test_an_address_with_its_unit_is_found_however_the_caller_says_it(session: AsyncSession) -> None:
    city = await _city(session)
    for typed in (
        "4100 Quail Run St Apt 103",
        "4100 Quail Run Street #103",
        "Quail Run St 103",
        "4100 quail run unit 103",
    ):
        results = await search(session, typed)
        assert _numbers(results) == {city["anderson"].number}, typed
        assert results.only is not None and results.only.number == city["anderson"].number


async def test_a_street_address_finds_every_unit_there_and_not_a_longer_house_number(session: AsyncSession) -> None:
    city = await _city(session)
    found = _numbers(await search(session, "4100 Quail Run Street"))
    assert found == {city["anderson"].number, city["neighbour"].number}
    assert _numbers(await search(session, "7 North Wren Road")) == {city["north"].number}


async def test_a_name_is_found_with_its_words_in_either_order(session: AsyncSession) -> None:
    city = await _city(session)
    for typed in ("Anderson Robert", "robert anderson", "Anderson, Robert"):
        results = await search(session, typed)
        assert _numbers(results) == {city["anderson"].number}, typed
        assert not results.close


async def test_a_name_said_without_its_accent_is_the_name_not_a_close_spelling(session: AsyncSession) -> None:
    """ "maria lopez" said "No exact match. Close spellings:" above María Lopez: callers rarely say an accent."""
    maria = await _at(session, "María", "López", "9 Pecan St")
    await _city(session)
    for typed in ("maria lopez", "Lopez Maria", "maría"):
        results = await search(session, typed)
        assert _numbers(results) == {maria.number} and not results.close, typed
        assert results.only is not None and results.only.number == maria.number


async def test_a_misspelt_name_offers_the_close_spellings_and_does_not_open_one(session: AsyncSession) -> None:
    city = await _city(session)
    results = await search(session, "Mary Jonson")
    assert results.close and _numbers(results) == {city["johnson"].number}
    assert results.only is None  # a guess is shown, never opened on its own
    assert _numbers(await search(session, "Andersen")) == {city["anderson"].number}
    assert _numbers(await search(session, "Jonson")) == {city["johnson"].number}  # no three first letters in common
    assert _numbers(await search(session, "Zbigniew")) == set()


async def test_a_number_with_one_wrong_digit_or_a_swap_suggests_the_account_meant(session: AsyncSession) -> None:
    city = await _city(session)
    number = city["johnson"].number
    wrong_digit = number[:5] + str((int(number[5]) + 3) % 10) + number[6:]
    swapped = next(
        number[:i] + number[i + 1] + number[i] + number[i + 2 :] for i in range(8) if number[i] != number[i + 1]
    )
    for typed in (wrong_digit, numbers.display(swapped)):
        assert not numbers.is_valid(typed)
        results = await search(session, typed)
        assert results.plan.kind == "bad_number" and results.rows == []
        assert number in {account.number for account, _c, _p in results.near}, typed
