"""Browser fixtures: the real app served by uvicorn on http://localhost:PORT against this test's database, and
Debian's Chromium driven through Playwright's async API (a phone-sized context by default).

Every test under tests/browser is marked `browser`; without /usr/bin/chromium they are skipped with the reason
(scripts/test installs it when run as root)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from litestar import Litestar

from portal.app import create_app
from portal.settings import Settings

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SECRET_KEY = "browser-test-secret-key-0123456789abcdef0123456789"
# A phone: iPhone 12-15 sized viewport, touch, 3x pixels.
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 3}
# The counter's tablet, where staff screens are used.
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
HERE = Path(__file__).parent
SW_EVENTS = "PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder `browser`, and skip them (saying why) when Chromium is not installed."""
    missing = not os.access(CHROMIUM, os.X_OK)
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} is missing: apt-get install -y chromium"))


# Figures the page-weight tests measured, shown at the end of the run (pytest captures their print()).
WEIGHT_SUMMARY: list[str] = []


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if WEIGHT_SUMMARY:
        terminalreporter.write_sep("-", "page weight on a first visit (compressed bytes on the wire)")
        for line in WEIGHT_SUMMARY:
            terminalreporter.write_line(line)


@dataclass(frozen=True)
class Sent:
    """One response as the server put it on the wire: the status line and headers, then the (compressed) body."""

    method: str
    path: str
    status: int
    header_bytes: int
    body_bytes: int

    @property
    def total(self) -> int:
        return self.header_bytes + self.body_bytes


@dataclass
class LiveServer:
    """The app on http://localhost:PORT (WebAuthn accepts `localhost`, not 127.0.0.1, over plain http)."""

    url: str
    port: int
    settings: Settings
    app: Litestar
    sent: list[Sent] = field(default_factory=list)  # every response, in order (appended from the server thread)

    def __str__(self) -> str:
        return self.url


class _CountBytes:
    """Outermost ASGI wrapper: records what each response put on the wire, after the app's gzip compression."""

    def __init__(self, app: Litestar, sent: list[Sent]) -> None:
        self.app = app
        self.sent = sent

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = {"status": 0, "headers": 0, "body": 0}

        async def counting_send(message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                # "HTTP/1.1 200 OK\r\n", each "name: value\r\n", the blank line (uvicorn adds date/server too)
                seen["headers"] = 17 + sum(len(k) + len(v) + 4 for k, v in message.get("headers", [])) + 2
            elif message["type"] == "http.response.body":
                seen["body"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            self.sent.append(Sent(scope["method"], scope["path"], seen["status"], seen["headers"], seen["body"]))


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@contextlib.contextmanager
def serve(database_url: str, **settings_overrides: Any) -> Iterator[LiveServer]:
    """Run the app with uvicorn in a thread with its own event loop; stop it and dispose of its engine after.
    settings_overrides: extra Settings fields (e.g. the Stripe stand-in's keys and URLs)."""
    sock = _free_socket()
    port = sock.getsockname()[1]
    # Photos in a directory of this server's own, never the checkout's var/ (the demo's).
    settings_overrides.setdefault("photo_store", f"file:{tempfile.mkdtemp(prefix='portal-photos-')}")
    settings = Settings(
        database_url=database_url,
        secret_key=SECRET_KEY,
        public_url=f"http://localhost:{port}",
        demo=False,
        utility_name="City of Riverton Utilities",
        **settings_overrides,
    )
    app = create_app(settings)
    sent: list[Sent] = []
    config = uvicorn.Config(
        _CountBytes(app, sent), lifespan="on", log_level="warning", access_log=False, timeout_graceful_shutdown=3
    )
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        async def main() -> None:
            try:
                await server.serve(sockets=[sock])
            finally:
                await app.state.engine.dispose()

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported to the test below
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if failure or not thread.is_alive():
            raise RuntimeError(f"the live server did not start: {failure!r}")
        if time.monotonic() > deadline:
            raise RuntimeError("the live server did not start within 15 s")
        time.sleep(0.01)
    try:
        yield LiveServer(url=settings.public_url, port=port, settings=settings, app=app, sent=sent)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        if thread.is_alive():
            raise RuntimeError("the live server did not stop within 15 s")
        if failure:
            raise RuntimeError(f"the live server failed: {failure!r}")


@pytest.fixture
def live_server(database_url: str) -> Iterator[LiveServer]:
    """The real app against this test's database (the SQLite copy or the truncated PostgreSQL test database)."""
    with serve(database_url) as server:
        yield server


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    # Report the service worker's own requests too (context "request" events, request.service_worker): the page
    # weight test counts them and checks their origin. The driver reads this when it starts.
    saved = os.environ.get(SW_EVENTS)
    os.environ[SW_EVENTS] = "1"
    try:
        manager = async_playwright()
        playwright = await manager.__aenter__()
    finally:
        if saved is None:
            os.environ.pop(SW_EVENTS, None)
        else:
            os.environ[SW_EVENTS] = saved
    try:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield browser
        await browser.close()
    finally:
        await manager.__aexit__(None, None, None)


@pytest.fixture
async def phone_context(browser, live_server: LiveServer) -> AsyncIterator[object]:
    """A fresh phone-sized context (no cookies, no cache) pointed at the live server; closed before it stops."""
    context = await browser.new_context(base_url=live_server.url, locale="en-US", **PHONE)
    context.set_default_timeout(10_000)
    yield context
    await context.close()


@pytest.fixture
async def page(phone_context) -> AsyncIterator[object]:
    yield await phone_context.new_page()


@pytest.fixture
async def tablet_page(browser, live_server: LiveServer) -> AsyncIterator[object]:
    """A page in a fresh 1024x768 tablet context (the counter's), closed before the server stops."""
    context = await browser.new_context(base_url=live_server.url, locale="en-US", **TABLET)
    context.set_default_timeout(10_000)
    yield await context.new_page()
    await context.close()
