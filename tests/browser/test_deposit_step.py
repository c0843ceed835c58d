"""The deposit step on a phone with JavaScript off: the letter of credit's fields stay hidden while "I will pay the
deposit" is chosen and show once the letter is chosen (CSS alone), and a letter sent back with errors shows them."""

from __future__ import annotations

from playwright.async_api import expect

from portal.accounts.models import AccountStatus
from tests import factories
from tests.browser.conftest import PHONE
from tests.browser.flows import sign_in_by_request
from tests.http.test_resident import earliest

LETTER_FIELDS = (
    "Previous utility",
    "Service there started on",
    "Service there ended on",
    "Late payments the letter shows",
    "Disconnections for non-payment the letter shows",
    "Returned payments the letter shows",
)


async def test_the_letter_fields_show_only_when_the_letter_is_chosen_without_javascript(
    browser, live_server, session, resident
) -> None:
    target = await factories.make_account(session, status=AccountStatus.CLOSED, address="12 Travis St", meter_size="1")
    await session.commit()
    context = await browser.new_context(base_url=live_server.url, locale="en-US", java_script_enabled=False, **PHONE)
    try:
        await sign_in_by_request(context, session, resident.user.email)
        page = await context.new_page()
        await page.goto("/my/start")
        token = next(c["value"] for c in await context.cookies() if c["name"] == "csrftoken")
        for step, form in (
            ("address", {"premise_id": str(target.premise_id)}),
            ("date", {"start_on": earliest().isoformat()}),
            ("contact", {"phone": "254-555-0199", "email": "maria@example.com"}),
        ):
            answer = await context.request.post(
                f"/my/start/{step}", form={**form, "_csrf_token": token}, max_redirects=0
            )
            assert answer.status == 303, await answer.text()
        await page.goto("/my/start/deposit")
        await expect(page.get_by_label("I will pay the deposit")).to_be_checked()
        for label in LETTER_FIELDS:
            await expect(page.get_by_label(label, exact=True)).to_be_hidden()

        await page.get_by_text("I have a letter of credit from my previous utility").click()
        for label in LETTER_FIELDS:
            await expect(page.get_by_label(label, exact=True)).to_be_visible()
        await page.get_by_text("I will pay the deposit").click()
        await expect(page.get_by_label(LETTER_FIELDS[0], exact=True)).to_be_hidden()

        # Chosen and sent half filled: the page comes back with the letter chosen and its fields (and errors) shown.
        await page.get_by_text("I have a letter of credit from my previous utility").click()
        await page.get_by_label(LETTER_FIELDS[0], exact=True).fill("Temple Water")
        await page.get_by_role("button", name="Continue").click()
        await expect(page.locator(".error-summary")).to_contain_text("Enter the date your service there started.")
        await expect(page.get_by_label(LETTER_FIELDS[1])).to_be_visible()
        await expect(page.get_by_label(LETTER_FIELDS[0], exact=True)).to_have_value("Temple Water")
    finally:
        await context.close()
