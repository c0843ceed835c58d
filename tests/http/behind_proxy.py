"""An app as it runs behind a load balancer: every request arrives from the balancer's address, and the client's
address comes in X-Forwarded-For (tests name the client with `as_client(ip)`)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from litestar.testing import AsyncTestClient

from portal.app import create_app
from portal.settings import Settings

BALANCER = "10.0.0.2"


class BehindProxy:
    """The ASGI app with the TCP peer replaced by the balancer's address (the test client's peer is "testclient")."""

    def __init__(self, app: Any, peer: str = BALANCER) -> None:
        self.app, self.peer = app, peer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope["client"] = (self.peer, 50000)
        await self.app(scope, receive, send)


@asynccontextmanager
async def balanced_client(settings: Settings, trusted: str = "10.0.0.0/24"):
    app = create_app(replace(settings, trusted_proxies=trusted))
    async with AsyncTestClient(app=BehindProxy(app), base_url="http://portal.test") as client:
        yield client


def as_client(ip: str) -> dict[str, str]:
    return {"x-forwarded-for": f"{ip}, {BALANCER}"}
