"""First-visit weight on a phone (empty cache): everything the browser downloads for a page, compressed, stays
under 30 KB, including what the service worker fetches to precache the offline shell; and nothing is fetched from
another origin. And the email-code sign-in works with JavaScript turned off."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Request, expect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import MailMessage
from tests.browser.conftest import PHONE, WEIGHT_SUMMARY, LiveServer, Sent
from tests.browser.flows import sign_in_by_request
from tests.field_world import make_field_order
from tests.http.helpers import latest_code
from tests.personas import Resident

pytestmark = pytest.mark.browser

BUDGET = 30 * 1024


@dataclass
class Visit:
    path: str
    page_bytes: dict[str, int] = field(default_factory=dict)  # URL -> bytes on the wire (CDP encodedDataLength)
    requests: list[Request] = field(default_factory=list)  # the page's and the service worker's
    sent: list[Sent] = field(default_factory=list)  # what the server sent during the visit

    @property
    def page_total(self) -> int:
        return sum(self.page_bytes.values())

    @property
    def server_total(self) -> int:
        return sum(s.total for s in self.sent)

    def report(self) -> str:
        lines = [
            f"{self.path}: page requests {self.page_total:,} B (CDP), whole visit with service worker "
            f"precache {self.server_total:,} B (server), budget {BUDGET:,} B"
        ]
        lines += [f"    {size:>6,} B  {url}" for url, size in self.page_bytes.items()]
        lines += [f"    server {s.total:>6,} B  {s.method} {s.path} ({s.status})" for s in self.sent]
        return "\n".join(lines)


async def _fresh_context(browser: Browser, server: LiveServer) -> BrowserContext:
    return await browser.new_context(base_url=server.url, locale="en-US", service_workers="allow", **PHONE)


async def _visit(context: BrowserContext, server: LiveServer, path: str) -> Visit:
    visit = Visit(path)
    context.on(
        "request", lambda request: visit.requests.append(request)
    )  # includes the service worker's requests (see conftest)
    page: Page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on(
        "Network.loadingFinished", lambda e: visit.page_bytes.__setitem__(urls[e["requestId"]], e["encodedDataLength"])
    )
    await cdp.send("Network.enable")
    start = len(server.sent)
    response = await page.goto(path)
    assert response is not None and response.status == 200, path
    # The first visit installs the service worker, which precaches the offline shell before it becomes active.
    assert await page.evaluate("navigator.serviceWorker.ready.then(registration => !!registration.active)")
    await page.wait_for_load_state("networkidle")
    await asyncio.sleep(0.2)  # let the server thread record the last response
    visit.sent = server.sent[start:]
    return visit


def _check(visit: Visit, server: LiveServer) -> None:
    print("\n" + visit.report())
    WEIGHT_SUMMARY.append(
        f"{visit.path:<8} {visit.page_total:>7,} B page requests ({len(visit.page_bytes)}), "
        f"{visit.server_total:>7,} B with the service worker's precache ({len(visit.sent)} responses); budget {BUDGET:,} B"
    )
    others = [r.url for r in visit.requests if not r.url.startswith(server.url + "/") and not r.url.startswith("data:")]
    assert others == [], f"requests to another origin on {visit.path}: {others}"
    assert any(r.service_worker for r in visit.requests), "the service worker's precache requests were not seen"
    assert any(s.path == "/sw.js" for s in visit.sent), "the service worker was not installed on the first visit"
    assert visit.page_bytes, "no page request was measured"
    assert visit.page_total <= BUDGET, visit.report()
    assert visit.server_total <= BUDGET, visit.report()


async def test_public_pages_weigh_under_30_kb_on_first_load(browser: Browser, live_server: LiveServer) -> None:
    for path in ("/", "/signin"):
        context = await _fresh_context(browser, live_server)
        try:
            visit = await _visit(context, live_server, path)
        finally:
            await context.close()
        _check(visit, live_server)
        assert any(re.search(r"/static/css/app\.[0-9a-f]{10}\.css$", url) for url in visit.page_bytes)


async def test_resident_home_weighs_under_30_kb_on_first_load(
    browser: Browser, live_server: LiveServer, session: AsyncSession, resident: Resident
) -> None:
    context = await _fresh_context(browser, live_server)
    try:
        await sign_in_by_request(context, session, resident.user.email)  # cookies only: the browser cache stays empty
        visit = await _visit(context, live_server, "/my")
        assert await context.pages[0].get_by_role("heading", level=1).text_content() == "Hello, María Lopez"
    finally:
        await context.close()
    _check(visit, live_server)


async def test_field_list_weighs_under_30_kb_in_at_most_6_requests_on_first_load(
    browser: Browser, live_server: LiveServer, session: AsyncSession, technician
) -> None:
    await make_field_order(session, technician)
    await session.commit()
    context = await _fresh_context(browser, live_server)
    try:
        await sign_in_by_request(context, session, technician.email)
        visit = await _visit(context, live_server, "/field")
    finally:
        await context.close()
    _check(visit, live_server)
    # The field modules arrive as one bundle: the page, its stylesheet, two modules, the icon and the first sync.
    assert len(visit.page_bytes) <= 6, visit.report()


async def test_email_code_sign_in_works_without_javascript(
    browser: Browser, live_server: LiveServer, session: AsyncSession, resident: Resident
) -> None:
    context = await browser.new_context(base_url=live_server.url, locale="en-US", java_script_enabled=False, **PHONE)
    try:
        page = await context.new_page()
        await page.goto("/signin")
        await expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()  # needs JavaScript
        await page.get_by_label("Email address").fill(resident.user.email)
        await page.get_by_role("button", name="Email me a code").click()
        await expect(page).to_have_url(re.compile(r"/signin/code$"))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
        await expect(page.get_by_label("Email address")).to_have_value(resident.user.email)

        await session.commit()
        mails = await session.scalar(
            select(func.count()).select_from(MailMessage).where(MailMessage.to_addr == resident.user.email)
        )
        assert mails == 1
        await page.get_by_label("6-digit code").fill(await latest_code(session, resident.user.email))
        await page.get_by_role("button", name="Continue").click()
        await expect(page).to_have_url(re.compile(r"/settings#passkeys$"))
        await expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
        # <noscript> is parsed into elements only when scripting is off (with it on, its content is one text node).
        await expect(page.locator("#passkeys noscript > p")).to_have_text(
            "Adding a passkey needs JavaScript turned on."
        )
        await expect(page.get_by_role("button", name="Add a passkey")).to_be_hidden()
        await page.goto("/my")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Hello, María Lopez")
    finally:
        await context.close()
