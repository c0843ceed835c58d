"""A CSR's day in the browser: find an account, leave a note, waive a late fee, take a cash payment at the counter,
close the drawer to the cent, read the day's collections and a report, then show a visitor the walk-in demo and
its sign-up QR code. axe checks each new kind of console page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import ledger, numbers
from portal.accounts.actor import Actor
from portal.accounts.models import LedgerKind, User
from tests.browser.axe import assert_accessible
from tests.browser.flows import sign_in_with_code
from tests.personas import Resident

pytestmark = pytest.mark.browser


async def test_a_csr_serves_a_customer_at_the_counter(
    page: Page, session: AsyncSession, csr: User, resident: Resident
) -> None:
    number = numbers.display(resident.account.number)
    job = Actor.job("browser-test")
    await ledger.post(
        session,
        job,
        account_id=resident.account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=8_000,
        source_key="bill:browser",
        effective_on=dt.date.today() - dt.timedelta(days=40),
        memo="October bill",
    )
    await ledger.post(
        session,
        job,
        account_id=resident.account.id,
        kind=LedgerKind.LATE_FEE,
        amount_cents=800,
        source_key="latefee:browser",
        effective_on=dt.date.today() - dt.timedelta(days=10),
        memo="Late fee",
    )
    await session.commit()
    await sign_in_with_code(page, session, csr.email)

    # Find the account by name (the only match, so it opens), leave a note.
    await page.goto("/staff")
    await page.get_by_label("Find an account").fill("Lopez")
    await page.get_by_role("button", name="Search").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("María Lopez")
    await page.locator("#action-note > summary").click()  # the note form opens from its button
    await page.get_by_label("Add a note").fill("Came in about the late fee; first one in years.")
    await page.get_by_role("button", name="Save note").click()
    await expect(page.get_by_role("status").filter(has_text="Note added.")).to_be_visible()
    await expect(page.locator("#notes")).to_contain_text("first one in years")

    # Waive the late fee: calculate first, then record it.
    await page.get_by_role("link", name="Adjustment").click()
    await page.get_by_role("link", name="Fee waiver").click()
    await page.get_by_label("Why (the customer sees this)").fill("First late fee in five years")
    await page.get_by_role("button", name="Calculate").click()
    await expect(page.locator("#preview")).to_contain_text("-$8.00")
    await assert_accessible(page)
    await page.get_by_role("button", name="Record adjustment").click()
    await expect(page.get_by_role("status").filter(has_text="Adjustment posted")).to_be_visible()
    await expect(page.locator("#adjustments")).to_contain_text("First late fee in five years")

    # The counter: open a drawer, take the $80.00 in cash, close to the cent.
    await page.goto("/staff/drawer")
    await page.get_by_label("Opening float ($)").fill("100.00")
    await page.get_by_role("button", name="Open drawer").click()
    await page.get_by_label("Account number").fill(number)
    await page.get_by_label("Cash", exact=True).check()
    await page.get_by_label("Amount ($)").fill("80.00")
    await expect(page.locator("#account-card")).to_contain_text("María Lopez")  # whose account, before posting
    await assert_accessible(page)
    await page.get_by_role("button", name="Post payment").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Receipt 1")
    await expect(page.locator(".facts")).to_contain_text("$80.00")
    await page.get_by_role("link", name="Cash drawer").first.click()
    await page.get_by_label("Cash counted, float included ($)").fill("180.00")
    await page.get_by_label("Checks counted ($)").fill("0")
    await page.get_by_label("Card slips counted ($)").fill("0")
    await page.get_by_role("button", name="Close drawer").click()
    await expect(page.get_by_role("table")).to_contain_text("$180.00")
    await expect(page.locator("tfoot")).to_contain_text("$0.00")
    assert await ledger.balance(session, resident.account.id) == 0

    await page.goto("/staff/collections")
    await expect(page.get_by_role("table", name=re.compile("At the counter"))).to_contain_text("$80.00")
    await assert_accessible(page)
    await page.goto("/staff/reports/aged")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Aged receivables")
    await assert_accessible(page)

    # A visitor at the counter: the practice account, then the QR code for their own phone.
    await page.goto("/staff/walkin")
    await expect(page.get_by_text("Practice account.")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("button", name="Pay (practice)").click()
    await expect(page.get_by_role("status").filter(has_text="Practice payment made")).to_be_visible()
    await page.get_by_role("link", name=re.compile("QR code")).click()
    await expect(page.locator("figure.qr svg")).to_be_visible()
    await expect(page.locator("figure.qr")).to_contain_text("/signup")
    await assert_accessible(page)


async def test_the_cutoff_list_dispatch_and_approvals_are_accessible(
    page: Page, session: AsyncSession, supervisor: User, technician: User, resident: Resident
) -> None:
    from tests import factories
    from tests.browser.flows import sign_in_by_request

    await factories.make_order(session, resident.account, assignee=technician)
    await ledger.post(
        session,
        Actor.job("browser-test"),
        account_id=resident.account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=9_000,
        source_key="bill:cutoff-browser",
        effective_on=dt.date.today() - dt.timedelta(days=60),
    )
    await session.commit()
    await sign_in_by_request(page.context, session, supervisor.email)
    for path, heading in (
        ("/staff/cutoff", re.compile("Cut-off list")),
        ("/staff/dispatch", "Dispatch"),
        ("/staff/approvals", "Adjustments waiting for approval"),
        ("/staff/lockbox", "Lockbox import"),
        ("/staff/reports", "Reports"),
    ):
        await page.goto(path)
        await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        await assert_accessible(page)


async def test_a_csr_starts_service_and_the_new_console_pages_are_accessible(
    page: Page, session: AsyncSession, csr: User, resident: Resident
) -> None:
    """Start service for a walk-in (a refused form first, then the account), and axe on the transfer, refund,
    extension-queue and account pages."""
    from portal.accounts.models import Meter, Premise
    from tests.browser.flows import sign_in_by_request

    premise = Premise(address="742 Evergreen Ter", city="Riverton", state="TX", zip="76501", route="R02", cycle=1)
    session.add(premise)
    await session.flush()
    session.add(Meter(serial="WT88800001", size="5/8", premise_id=premise.id, installed_on=dt.date(2020, 1, 1)))
    await ledger.post(
        session,
        Actor.job("browser-test"),
        account_id=resident.account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-4_000,
        source_key="over:browser",
        effective_on=dt.date.today() - dt.timedelta(days=2),
    )
    await session.commit()
    await sign_in_by_request(page.context, session, csr.email)

    await page.goto("/staff/start")
    await page.get_by_label("Street address").fill("742 evergreen")
    await page.get_by_role("button", name="Find the address").click()
    await assert_accessible(page)
    await page.get_by_role("link", name=re.compile("742 Evergreen Ter")).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Start service at 742 Evergreen Ter")
    await page.get_by_role("button", name="Start service").click()  # nobody named: the errors, linked to the fields
    await expect(page.get_by_role("alert")).to_contain_text("Enter the customer's first name.")
    await assert_accessible(page)
    await page.get_by_label("First name").fill("Rosa")
    await page.get_by_label("Last name", exact=True).fill("Delgado")
    await page.get_by_label("Phone number").fill("254-555-0199")
    await page.get_by_role("button", name="Start service").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Rosa Delgado")
    await expect(page.locator("#orders")).to_contain_text("Start service")
    await assert_accessible(page)

    number = resident.account.number
    for path, heading in (
        (f"/staff/accounts/{number}/move?q=evergreen", "Where is the customer moving to?"),
        (f"/staff/accounts/{number}/move/{premise.id}", "Transfer service for María Lopez"),
        (f"/staff/accounts/{number}/refund", "Refund the credit balance"),
        ("/staff/extensions", "Extension requests waiting for a decision"),
        (f"/staff/accounts/{number}", re.compile("María Lopez")),
    ):
        await page.goto(path)
        await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        await assert_accessible(page)
