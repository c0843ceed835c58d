"""What a person does in the browser, reused by the browser tests: sign in with an emailed code, add a virtual
authenticator (a phone's built-in passkey provider) to a page."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from tests.http.helpers import latest_code


async def sign_in_with_code(page: Page, session: AsyncSession, email: str) -> None:
    """Type the email on /signin, read the code from the mail the portal stored, type it on /signin/code."""
    await page.goto("/signin")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_role("button", name="Email me a code").click()
    await expect(page).to_have_url(re.compile(r"/signin/code$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    code = await latest_code(session, email)
    await page.get_by_label("6-digit code").fill(code)
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


async def sign_in_by_request(context, session: AsyncSession, email: str) -> None:
    """The same code flow through the context's request API: it shares the cookies but loads nothing into the
    browser's cache (for first-load measurements)."""
    await context.request.get("/signin")
    token = next(c["value"] for c in await context.cookies() if c["name"] == "csrftoken")
    answer = await context.request.post("/signin/code", form={"email": email, "_csrf_token": token}, max_redirects=0)
    assert answer.status in (302, 303), await answer.text()
    code = await latest_code(session, email)
    answer = await context.request.post(
        "/signin/code/verify", form={"email": email, "code": code, "_csrf_token": token}, max_redirects=0
    )
    assert answer.status in (302, 303), await answer.text()


async def add_virtual_authenticator(page: Page):
    """A platform authenticator that keeps discoverable credentials and verifies the user (fingerprint/face)."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable", {"enableUI": False})
    added = await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


async def count_sync_phases(context) -> None:
    """Every page of the context records the field app's sync phases (its `field-sync` events), so a test can wait
    for the sync a field page starts as it opens: acting during it races it (the sync holds the lock, or carries the
    action and answers before the phone's own notice is seen)."""
    await context.add_init_script(
        "window.syncPhases = []; addEventListener('field-sync', (e) => window.syncPhases.push(e.detail.phase));"
    )


async def first_sync_over(page: Page) -> None:
    """Waits for the opening sync of the page (needs count_sync_phases on its context)."""
    await page.wait_for_function("() => (window.syncPhases || []).some((p) => p === 'done' || p === 'failed')")
