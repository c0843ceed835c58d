"""axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on every kind of page, at a phone viewport, in the states people
see them: signed out, with form errors, signed in as a resident, a technician and a customer-service rep, in
Spanish, and the 404 page. Each test first checks it is on the page it means to check (its heading)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from portal import i18n
from portal.accounts import ledger, numbers
from portal.accounts.actor import Actor
from portal.accounts.models import LedgerKind, Premise, User, WorkOrderKind
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer
from tests.browser.flows import add_virtual_authenticator, sign_in_by_request
from tests.personas import Resident

pytestmark = pytest.mark.browser

JOB = Actor.job("browser-test")


async def _heading(page: Page, text: str | re.Pattern[str]) -> None:
    await expect(page.get_by_role("heading", level=1)).to_have_text(text)


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/", "Your water, sewer and trash service, on your phone"),
        ("/signin", "Sign in"),
        ("/signup", "Create a login"),
    ],
)
async def test_public_pages(page: Page, live_server: LiveServer, path: str, heading: str) -> None:
    await page.goto(path)
    await _heading(page, heading)
    await assert_accessible(page)


async def test_signin_after_a_passkey_attempt_fails(page: Page, live_server: LiveServer) -> None:
    """The passkey section (shown by passkey.js) with its error: this phone has no passkey for the portal."""
    await add_virtual_authenticator(page)  # an authenticator with no credential: the browser refuses at once
    await page.goto("/signin")
    await page.wait_for_load_state("networkidle")  # passkey.js loads after the first paint (portal/web/assets.py)
    await page.get_by_role("button", name="Sign in with a passkey").click()
    error = page.locator("[data-passkey-signin-section]").get_by_role("alert")
    await expect(error).to_be_visible()
    await expect(error).not_to_be_empty()
    await expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_enabled()
    await assert_accessible(page)


async def test_signup_with_errors(page: Page, live_server: LiveServer) -> None:
    await page.goto("/signup")
    await page.get_by_role("button", name="Continue").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    await expect(summary).to_be_visible()
    await expect(summary.get_by_role("link")).to_have_count(4)  # one link per empty field
    await expect(summary).to_be_focused()
    await expect(page.get_by_label("Account number")).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page)


async def test_code_page_and_a_wrong_code(page: Page, session: AsyncSession, resident: Resident) -> None:
    await page.goto("/signin")
    await page.get_by_label("Email address").fill(resident.user.email)
    await page.get_by_role("button", name="Email me a code").click()
    await expect(page).to_have_url(re.compile(r"/signin/code$"))
    await _heading(page, "Check your email")
    await expect(page.get_by_label("Email address")).to_have_value(resident.user.email)
    await assert_accessible(page)

    await page.get_by_label("6-digit code").fill("12345")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("alert")).to_contain_text("The code is 6 digits.")
    await assert_accessible(page)


async def test_not_found_page(page: Page, live_server: LiveServer) -> None:
    response = await page.goto("/no-such-page")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()
    await assert_accessible(page)


async def test_spanish_signin(page: Page, live_server: LiveServer) -> None:
    await page.goto("/lang/es?next=/signin")
    await expect(page).to_have_url(re.compile(r"/signin$"))
    assert await page.get_attribute("html", "lang") == "es"
    with i18n.use_locale("es"):  # whatever the Spanish catalogue says today
        spanish = i18n.gettext("Sign in")
    assert spanish != "Sign in"
    await _heading(page, spanish)
    await expect(page.get_by_role("link", name="English")).to_have_attribute("lang", "en")
    await assert_accessible(page)


@pytest.fixture
async def resident_with_activity(session: AsyncSession, resident: Resident) -> Resident:
    """The resident's account with a bill charge and a part payment: a balance due and rows in the ledger table."""
    today = dt.date.today()
    account_id = resident.account.id
    await ledger.post(
        session,
        JOB,
        account_id=account_id,
        kind=LedgerKind.CHARGE,
        amount_cents=8642,
        source_key="bill-1",
        effective_on=today - dt.timedelta(days=20),
        memo="Water and sewer, October",
    )
    await ledger.post(
        session,
        JOB,
        account_id=account_id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-4000,
        source_key="pay-1",
        effective_on=today - dt.timedelta(days=5),
        memo="Payment, thank you",
    )
    await session.commit()
    return resident


async def test_resident_home(page: Page, session: AsyncSession, resident_with_activity: Resident) -> None:
    await sign_in_by_request(page.context, session, resident_with_activity.user.email)
    await page.goto("/my")
    await _heading(page, "Hello, María Lopez")
    await expect(page.locator("main")).to_contain_text("$46.42")
    await assert_accessible(page)


async def test_resident_account_page(page: Page, session: AsyncSession, resident_with_activity: Resident) -> None:
    await sign_in_by_request(page.context, session, resident_with_activity.user.email)
    await page.goto(f"/my/accounts/{resident_with_activity.account.number}")
    await expect(page.get_by_role("heading", name="Recent activity")).to_be_visible()
    rows = page.get_by_role("region", name="Recent activity").locator("tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.filter(has_text="Water and sewer, October")).to_contain_text("$86.42")
    await assert_accessible(page)


async def test_resident_settings(page: Page, session: AsyncSession, resident: Resident) -> None:
    await sign_in_by_request(page.context, session, resident.user.email)
    await page.goto("/settings")
    await _heading(page, "Settings")
    await expect(page.get_by_role("button", name="Add a passkey")).to_be_visible()
    await assert_accessible(page)


async def test_technician_today(page: Page, session: AsyncSession, technician: User) -> None:
    account = await factories.make_account(session, last_name="Kim", address="417 Birch Ln")
    premise = await session.get(Premise, account.premise_id)
    premise.hazards = "Dog in the back yard"
    await factories.make_order(session, account, assignee=technician)
    await session.commit()
    await sign_in_by_request(page.context, session, technician.email)
    await page.goto("/field")
    await _heading(page, "Today's orders")
    await expect(page.get_by_role("link", name=re.compile("417 Birch Ln"))).to_be_visible()
    await expect(page.locator(".warning")).to_contain_text("Dog in the back yard")
    await assert_accessible(page)

    await page.get_by_role("link", name=re.compile("417 Birch Ln")).click()  # the order itself
    await _heading(page, re.compile("417 Birch Ln"))
    await expect(page.get_by_role("region", name="Safety")).to_contain_text("Dog in the back yard")
    await assert_accessible(page)


@pytest.mark.parametrize(("path", "heading"), [("/staff", "Console"), ("/staff/accounts?q=Oak St", "Accounts")])
async def test_staff_pages(
    page: Page,
    session: AsyncSession,
    csr: User,
    resident: Resident,
    other_resident: Resident,
    path: str,
    heading: str,
) -> None:
    await sign_in_by_request(page.context, session, csr.email)
    await page.goto(path)
    await _heading(page, heading)
    if "q=" in path:  # two accounts on Oak St: a list (one match would open the account)
        results = page.get_by_role("region", name="2 results")
        await expect(results.locator("tbody tr")).to_have_count(2)
        await expect(results).to_contain_text("María Lopez")
    await assert_accessible(page)

    if "q=" in path:  # and the account it found
        await page.get_by_role("link", name=numbers.display(resident.account.number)).click()
        await _heading(page, f"María Lopez · {numbers.display(resident.account.number)}")
        await assert_accessible(page)


async def test_the_axe_check_catches_violations(page: Page, live_server: LiveServer) -> None:
    """The harness itself: break the sign-in page on purpose and the check must fail, naming the rules."""
    await page.goto("/signin")
    await page.evaluate("""() => {
        document.querySelector('label[for=email]').remove();
        document.documentElement.removeAttribute('lang');
        const p = document.createElement('p');
        p.textContent = 'Faint text';
        p.style.cssText = 'color:#bbb;background:#fff';
        document.querySelector('main').append(p);
    }""")
    with pytest.raises(AssertionError) as failure:
        await assert_accessible(page)
    message = str(failure.value)
    for rule in ("label", "html-has-lang", "color-contrast"):
        assert f"- {rule} (" in message, message
    assert "#email" in message  # the offending node's target is printed


async def test_technician_coming_up_and_a_held_disconnect(page: Page, session: AsyncSession, technician: User) -> None:
    from tests.field_world import make_field_order

    held = await make_field_order(session, technician, WorkOrderKind.DISCONNECT, medical=True)
    later = await factories.make_account(session, address="88 Elm Ct")
    await factories.make_order(session, later, assignee=technician, due_on=held.due_on + dt.timedelta(days=3))
    await session.commit()
    await sign_in_by_request(page.context, session, technician.email)
    await page.goto("/field")
    await expect(page.get_by_role("heading", name="Coming up")).to_be_visible()
    await expect(page.get_by_role("link", name=re.compile("88 Elm Ct"))).to_be_visible()
    await assert_accessible(page)
    await page.goto(f"/field/orders/{held.id}")
    await expect(page.get_by_role("heading", name="Do not disconnect")).to_be_visible()
    await expect(page.get_by_role("button", name="Record disconnect")).to_have_count(0)
    await assert_accessible(page)


async def test_dispatch_with_route_owners(
    page: Page, session: AsyncSession, csr: User, technician: User, resident: Resident
) -> None:
    await factories.make_order(session, resident.account)
    await session.commit()
    await sign_in_by_request(page.context, session, csr.email)
    await page.goto("/staff/dispatch")
    await _heading(page, "Dispatch")
    await page.get_by_label("Technician for route R01").select_option(label=technician.display_name)
    await page.get_by_role("button", name="Set owner").click()
    await expect(page.get_by_label("Technician for route R01")).to_have_value(str(technician.id))
    await assert_accessible(page)


async def test_the_cases_queue_and_a_case_page(
    page: Page, session: AsyncSession, csr: User, resident: Resident
) -> None:
    """A CSR opens a bankruptcy from the account page at a phone's width, then sees it in the queue and on its page."""
    from sqlalchemy import select

    from portal.accounts.models import Case
    from tests.http.helpers import local_today

    await sign_in_by_request(page.context, session, csr.email)
    await page.goto(f"/staff/accounts/{resident.account.number}")
    await page.locator("#action-case > summary").click()
    await page.get_by_label("Kind").select_option("bankruptcy")
    await page.get_by_label("Reason").last.fill("Chapter 13 petition")
    await page.get_by_label("Chapter", exact=True).select_option("13")
    await page.get_by_label("Court case number").fill("26-40117")
    await page.get_by_label("Filing date").fill(local_today().isoformat())
    await page.get_by_role("button", name="Open the case").click()
    await _heading(page, re.compile(r"Case \d+ · Bankruptcy"))
    await assert_accessible(page)
    assert not await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    await session.commit()
    case_id = await session.scalar(select(Case.id))
    await page.goto("/staff/cases?view=unassigned")
    await _heading(page, "Cases")
    await expect(page.get_by_role("link", name=re.compile(f"Case {case_id}"))).to_be_visible()
    await assert_accessible(page)
    wide = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not wide
