"""A CSR at the counter's tablet (1024x768) finds a caller's account the way callers speak: by the address with its
unit and the usual abbreviations (one match opens the account), and from a number read with one digit wrong (the
check digit catches it and the page offers the intended account)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import numbers
from portal.accounts.models import Premise, User
from tests import factories
from tests.browser.flows import sign_in_with_code

pytestmark = pytest.mark.browser


def one_digit_wrong(number: str) -> str:
    """The number as a caller might read it: the first digit of its body changed, so the check digit fails."""
    first = str((int(number[0]) + 1) % 10)
    return numbers.display(first + number[1:])


async def test_a_csr_finds_callers_by_address_and_by_a_mistyped_number(
    tablet_page: Page, session: AsyncSession, csr: User
) -> None:
    tran = await factories.make_account(session, first_name="Thomas", last_name="Tran", address="100 Oak St")
    neighbour = await factories.make_account(session, first_name="Ana", last_name="Diaz", address="100 Oak St")
    for account, unit in ((tran, "Apt 103"), (neighbour, "Apt 104")):
        premise = await session.get(Premise, account.premise_id)
        assert premise is not None
        premise.unit = unit
    await session.commit()
    page = tablet_page
    await sign_in_with_code(page, session, csr.email)

    # "100 Oak Street Apartment 103": two accounts share the street address, the unit picks one, which opens.
    await page.goto("/staff")
    await page.get_by_label("Find an account").fill("100 Oak Street Apt 103")
    await page.get_by_role("button", name="Search").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Thomas Tran")
    assert page.url.rstrip("/").endswith(f"/staff/accounts/{tran.number}")

    # The street address alone lists both.
    await page.goto("/staff")
    await page.get_by_label("Find an account").fill("100 oak st")
    await page.get_by_role("button", name="Search").click()
    results = page.get_by_role("region", name="2 results")
    await expect(results).to_contain_text("Thomas Tran")
    await expect(results).to_contain_text("Ana Diaz")

    # A number read with one digit wrong: no generic "no match", but the intended account to open.
    typed = one_digit_wrong(tran.number)
    assert not numbers.is_valid(typed)
    await page.goto("/staff")
    await page.get_by_label("Find an account").fill(typed)
    await page.get_by_role("button", name="Search").click()
    await expect(page.get_by_role("status")).to_contain_text("One digit looks wrong")
    await page.get_by_role("link", name=numbers.display(tran.number)).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Thomas Tran")
