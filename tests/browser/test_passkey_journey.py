"""Passkeys in a real Chromium on a phone-sized screen, with a virtual platform authenticator standing in for the
phone's fingerprint or face unlock: add a passkey in settings, sign out, sign in with it without typing anything."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import numbers
from portal.accounts.models import Passkey, User
from tests import factories
from tests.browser.conftest import LiveServer
from tests.browser.flows import add_virtual_authenticator, sign_in_with_code
from tests.personas import Resident

pytestmark = pytest.mark.browser


async def _passkeys_of(session: AsyncSession, user: User) -> list[Passkey]:
    await session.commit()  # a new snapshot: see what the server committed
    session.expunge_all()
    return list(await session.scalars(select(Passkey).where(Passkey.user_id == user.id)))


async def _credentials(cdp, authenticator_id: str) -> list[dict]:
    return (await cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id}))["credentials"]


def _is_registration(response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/settings/passkeys")


async def _add_passkey(page: Page, nickname: str) -> None:
    await expect(page).to_have_url(re.compile(r"/settings#passkeys$"))  # first code sign-in nudges to add one
    await expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    await page.get_by_label("Name for this passkey").fill(nickname)
    async with page.expect_response(_is_registration) as registration:
        await page.get_by_role("button", name="Add a passkey").click()
    answer = await registration.value
    assert answer.ok
    await expect(page.get_by_role("status")).to_contain_text("Passkey added.")  # the page reloaded by itself
    await expect(page.locator("#passkeys li", has_text=nickname)).to_contain_text("Added")


async def _sign_out(page: Page) -> None:
    await page.get_by_role("button", name="Sign out", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    await expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)


async def _sign_in_with_passkey(page: Page) -> None:
    await page.goto("/signin")
    email = page.get_by_label("Email address")
    await expect(email).to_have_value("")
    await page.get_by_role("button", name="Sign in with a passkey").click()


async def test_a_resident_adds_a_passkey_on_a_phone_and_signs_in_with_it_without_typing_an_email(
    page: Page, session: AsyncSession, resident: Resident
) -> None:
    assert page.viewport_size == {"width": 390, "height": 844}
    assert await page.evaluate("matchMedia('(pointer: coarse)').matches")  # a touch screen
    cdp, authenticator = await add_virtual_authenticator(page)

    await sign_in_with_code(page, session, resident.user.email)
    await _add_passkey(page, "María's phone")

    [stored] = await _passkeys_of(session, resident.user)
    assert stored.nickname == "María's phone"
    assert stored.last_used_at is None
    [credential] = await _credentials(cdp, authenticator)
    assert credential["isResidentCredential"] is True
    assert credential["rpId"] == "localhost"
    assert base64.b64decode(credential["credentialId"]) == stored.credential_id
    assert base64.b64decode(credential["userHandle"]) == resident.user.webauthn_handle  # random, not the email
    registered_count = stored.sign_count

    await _sign_out(page)
    await page.goto("/my")
    await expect(page).to_have_url(re.compile(r"/signin"))  # signed out for real: /my asks to sign in

    await _sign_in_with_passkey(page)
    await expect(page).to_have_url(re.compile(r"/my$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Hello, María Lopez")
    await expect(page.locator("main")).to_contain_text(numbers.display(resident.account.number))

    [used] = await _passkeys_of(session, resident.user)
    [credential] = await _credentials(cdp, authenticator)
    assert used.id == stored.id
    assert used.sign_count == credential["signCount"] > registered_count
    assert used.last_used_at is not None
    last_used = used.last_used_at if used.last_used_at.tzinfo else used.last_used_at.replace(tzinfo=dt.UTC)
    assert dt.datetime.now(dt.UTC) - last_used < dt.timedelta(minutes=1)

    await page.goto("/settings")
    row = page.locator("#passkeys li", has_text="María's phone")
    await expect(row).to_contain_text("last used")


async def test_a_technician_signing_in_with_a_passkey_lands_on_today_s_orders(
    page: Page, session: AsyncSession, technician: User
) -> None:
    account = await factories.make_account(session, last_name="Kim", address="417 Birch Ln")
    await factories.make_order(session, account, assignee=technician)
    await session.commit()
    await add_virtual_authenticator(page)

    await sign_in_with_code(page, session, technician.email)
    await _add_passkey(page, "Work phone")
    await _sign_out(page)

    await _sign_in_with_passkey(page)
    await expect(page).to_have_url(re.compile(r"/field$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Today's orders")
    await expect(page.get_by_role("link", name=re.compile("417 Birch Ln"))).to_be_visible()
    [used] = await _passkeys_of(session, technician)
    assert used.nickname == "Work phone" and used.last_used_at is not None


async def test_a_removed_passkey_no_longer_signs_in(page: Page, session: AsyncSession, resident: Resident) -> None:
    await add_virtual_authenticator(page)
    await sign_in_with_code(page, session, resident.user.email)
    await _add_passkey(page, "Old phone")

    page.on("dialog", lambda dialog: dialog.accept())  # "Remove this passkey?"
    await page.locator("#passkeys li", has_text="Old phone").get_by_role("button", name="Remove").click()
    await expect(page.get_by_role("status")).to_contain_text("Passkey removed.")
    assert await _passkeys_of(session, resident.user) == []
    await _sign_out(page)

    await _sign_in_with_passkey(page)  # the phone still offers it, the portal no longer knows it
    error = page.locator("[data-passkey-signin-section] [data-passkey-error]")
    await expect(error).to_have_text("That passkey did not work here. Try again, or sign in with an email code.")
    await expect(page).to_have_url(re.compile(r"/signin$"))
    await expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)


async def test_adding_a_passkey_shows_it_on_the_settings_page_at_once(
    page: Page, session: AsyncSession, resident: Resident
) -> None:
    await add_virtual_authenticator(page)
    await sign_in_with_code(page, session, resident.user.email)
    await expect(page).to_have_url(re.compile(r"/settings#passkeys$"))
    await page.get_by_label("Name for this passkey").fill("Kitchen tablet")
    await page.get_by_role("button", name="Add a passkey").click()
    await expect(page.locator("#passkeys li", has_text="Kitchen tablet")).to_be_visible(timeout=2000)
    await expect(page.get_by_role("status")).to_contain_text("Passkey added.", timeout=1000)


async def test_removing_a_passkey_asks_once(page: Page, session: AsyncSession, resident: Resident) -> None:
    session.add(Passkey(user_id=resident.user.id, credential_id=b"cred-1", public_key=b"key", nickname="Old phone"))
    await session.commit()
    await sign_in_with_code(page, session, resident.user.email)
    await expect(page).to_have_url(re.compile(r"/my$"))  # someone with a passkey is not sent to settings
    await page.goto("/settings")
    questions: list[str] = []

    async def answer(dialog) -> None:
        questions.append(dialog.message)
        await dialog.accept()

    page.on("dialog", answer)
    await page.locator("#passkeys li", has_text="Old phone").get_by_role("button", name="Remove").click()
    await expect(page.get_by_role("status")).to_contain_text("Passkey removed.")
    assert await _passkeys_of(session, resident.user) == []
    assert questions == ["Remove this passkey?"]


async def test_a_passkey_sign_in_that_finds_no_passkey_says_what_to_do(page: Page, live_server: LiveServer) -> None:
    await add_virtual_authenticator(page)  # this phone holds no passkey for the portal
    await page.goto("/signin")
    await page.wait_for_load_state("networkidle")  # passkey.js loads after the first paint (portal/web/assets.py)
    await page.get_by_role("button", name="Sign in with a passkey").click()
    error = page.locator("[data-passkey-signin-section]").get_by_role("alert")
    await expect(error).to_be_visible()
    await expect(error).not_to_contain_text("w3.org", timeout=1000)


async def test_the_passkey_button_cannot_be_tapped_before_passkey_js_listens(
    page: Page, live_server: LiveServer
) -> None:
    """The head script shows the section at first paint; passkey.js comes later. A tap in between did nothing, and
    the resident was left waiting (a CI run caught it), so the button is served disabled and passkey.js enables it."""
    await add_virtual_authenticator(page)
    await page.route("**/js/passkey.*.js", lambda route: route.abort())  # passkey.js never arrives
    await page.goto("/signin")
    await page.wait_for_load_state("networkidle")
    button = page.get_by_role("button", name="Sign in with a passkey")
    await expect(button).to_be_visible()
    await expect(button).to_be_disabled()

    await page.unroute("**/js/passkey.*.js")
    await page.reload()
    await expect(button).to_be_enabled()
