"""Kiosk mode: a CSR hands the counter tablet to a visitor for the walk-in practice. From the moment it starts, the
session (the encrypted cookie, so the visitor cannot edit it) carries a flag, and every request is checked on the
server: only the practice pages, the way out (which asks the CSR to prove who they are again), the language switch
and static files answer; anything else, typed or linked, redirects to the practice page. Hiding the menu alone
would leave every staff URL one keystroke away.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar.connection import ASGIConnection
from litestar.response.redirect import ASGIRedirectResponse
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import audit
from portal.accounts.actor import Actor

from .identity import renew_session_id
from .urls import reverse

SESSION_KEY = "kiosk"
HOME = "staff.walkin"

# Route names a kiosk session may reach: the practice itself, the re-authentication that ends kiosk mode, and the
# language switch (its `next` lands here again when it names anything else).
ALLOWED_ROUTES = frozenset(
    {
        "staff.walkin",
        "staff.walkin.pay",
        "staff.walkin.paperless",
        "staff.walkin.reset",
        "staff.walkin.qr",
        "kiosk.exit",
        "kiosk.exit.passkey.options",
        "kiosk.exit.passkey",
        "kiosk.exit.code",
        "kiosk.exit.code.verify",
        "language",
    }
)
# Files with no person's data that every page needs (styles, scripts, icons, the worker, the manifest).
ALLOWED_PREFIXES = ("/static/",)
ALLOWED_PATHS = frozenset({"/sw.js", "/manifest.webmanifest", "/healthz", "/offline"})


def allowed(route_name: str | None, path: str) -> bool:
    """May a session in kiosk mode reach this route (by its name) or path?"""
    if route_name is not None and route_name in ALLOWED_ROUTES:
        return True
    return path in ALLOWED_PATHS or path.startswith(ALLOWED_PREFIXES)


def active(session: object) -> dict[str, Any] | None:
    """The kiosk record of this session ({"by": user id, "since": ISO time}), or None when not in kiosk mode."""
    if not isinstance(session, dict):
        return None
    value = session.get(SESSION_KEY)
    return value if isinstance(value, dict) and isinstance(value.get("by"), int) else None


def begin(session: dict[str, Any], user_id: int, now: dt.datetime) -> None:
    session[SESSION_KEY] = {"by": user_id, "since": now.isoformat()}


def end(session: dict[str, Any]) -> None:
    session.pop(SESSION_KEY, None)


async def start(connection: ASGIConnection, db: AsyncSession, actor: Actor, now: dt.datetime) -> None:
    """Kiosk mode on, audited, under a new session id (a copy of the cookie from before it began is revoked)."""
    user_id = connection.user.id
    await renew_session_id(connection, db)
    begin(connection.session, user_id, now)
    await audit.record(db, actor, "kiosk.start", "user", user_id)


async def finish(connection: ASGIConnection, db: AsyncSession, actor: Actor, method: str) -> None:
    """Kiosk mode off after the CSR proved who they are again (`method`: passkey or code), audited."""
    record = active(connection.session) or {}
    end(connection.session)
    await renew_session_id(connection, db)
    await audit.record(
        db, actor, "kiosk.end", "user", connection.user.id, after={"method": method, "since": record.get("since")}
    )


def in_kiosk(request: Any) -> bool:
    """For templates: is this page shown in kiosk mode (no menu, no sign-out)?"""
    scope = getattr(request, "scope", None) or {}
    return scope.get("user") is not None and active(scope.get("session")) is not None


class KioskMiddleware:
    """Redirects every route a kiosk session may not reach to the practice page (303, so a POST becomes a GET and
    does nothing). Runs after the identity middleware: a session that lost its sign-in is no kiosk."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("user") is None or active(scope.get("session")) is None:
            await self.app(scope, receive, send)
            return
        handler = scope.get("route_handler")
        if allowed(getattr(handler, "name", None), scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        await ASGIRedirectResponse(reverse(scope["app"], HOME), status_code=303)(scope, receive, send)
