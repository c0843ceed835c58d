"""Who is signed in: the session cookie names a user id and session version; this middleware loads the user
once per request (request.user is None for visitors)."""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import secrets
import time
from dataclasses import dataclass

from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.csrf import generate_csrf_token
from litestar.types import Message, Scope
from litestar.utils.scope.state import ScopeState
from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.accounts.actor import Actor
from portal.accounts.models import STAFF_ROLES, Origin, RevokedSession, Role, User
from portal.db import fetch_prepared

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SESSION_USER = "uid"
SESSION_VERSION = "sv"
SESSION_ID = "sid"  # random per sign-in: what sign-out revokes
SESSION_STARTED = "iat"  # when this session signed in (seconds since the epoch)


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    display_name: str
    role: Role
    customer_id: int | None
    locale: str | None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_field(self) -> bool:
        return self.role == Role.FIELD

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def home_route(self) -> str:
        return home_route(self.role)

    @classmethod
    def of(cls, user: User) -> CurrentUser:
        return cls(user.id, user.email, user.display_name, user.role, user.customer_id, user.locale)


def home_route(role: Role) -> str:
    """The name of the route a person lands on after signing in."""
    if role == Role.FIELD:
        return "field.today"
    if role in STAFF_ROLES:
        return "staff.home"
    return "customer.home"


class IdentityMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        session = connection.scope.get("session")
        user_id = session.get(SESSION_USER) if isinstance(session, dict) else None
        if not isinstance(session, dict) or not user_id:
            return AuthenticationResult(user=None, auth=None)
        session_id, started = session.get(SESSION_ID), session.get(SESSION_STARTED)
        settings = connection.app.state.settings
        if (
            not isinstance(session_id, str)
            or not isinstance(started, int | float)
            or time.time() - started > settings.session_lifetime
        ):
            session.clear()  # a session from before revocation existed, or past its lifetime: sign in again
            return AuthenticationResult(user=None, auth=None)
        maker: async_sessionmaker[AsyncSession] = connection.app.state.sessionmaker
        async with maker() as db:
            rows = await fetch_prepared(db, _identity_query(), begin=False, user_id=user_id, session_id=session_id)
        row = rows[0] if rows else None
        if row is None or row[-1] or not row[6] or row[7] != session.get(SESSION_VERSION):
            session.clear()
            return AuthenticationResult(user=None, auth=None)
        return AuthenticationResult(user=CurrentUser(row[0], row[1], row[2], Role(row[3]), row[4], row[5]), auth=None)


@functools.cache
def _identity_query() -> Select[int, str, str, Role, int | None, str | None, bool, int, bool]:
    """The signed-in user and whether this session was revoked, in one statement built once (every request runs it)."""
    revoked = select(RevokedSession.session_id).where(RevokedSession.session_id == bindparam("session_id")).exists()
    return select(
        User.id,
        User.email,
        User.display_name,
        User.role,
        User.customer_id,
        User.locale,
        User.active,
        User.session_version,
        revoked,
    ).where(User.id == bindparam("user_id"))


async def sign_in(connection: ASGIConnection, db: AsyncSession, user: User) -> None:
    """Start a fresh session for this user (nothing from the visitor's session carries over but the language), with
    a new session id and a new CSRF token: nothing a visitor's browser held before sign-in is good after it. A
    session already signed in on this browser (someone who never signed out) is revoked as a sign-out would."""
    await _revoke(connection, db)
    keep = {k: v for k, v in connection.session.items() if k in {"lang"}}
    connection.clear_session()
    connection.set_session(
        {
            **keep,
            SESSION_USER: user.id,
            SESSION_VERSION: user.session_version,
            SESSION_ID: secrets.token_urlsafe(32),
            SESSION_STARTED: int(time.time()),
        }
    )
    connection.scope.setdefault("state", {})[ROTATE_CSRF] = True


async def sign_out(connection: ASGIConnection, db: AsyncSession) -> None:
    """End this session everywhere it was copied: its id is revoked in the database every instance reads, then
    this browser's cookie is cleared."""
    await _revoke(connection, db)
    connection.clear_session()


async def renew_session_id(connection: ASGIConnection, db: AsyncSession) -> None:
    """Keep this session (same person, same sign-in time, same contents) under a new id, and revoke the old one: a
    copy of the cookie taken before (say, before kiosk mode began) stops working everywhere."""
    await _revoke(connection, db)
    connection.session[SESSION_ID] = secrets.token_urlsafe(32)


async def _revoke(connection: ASGIConnection, db: AsyncSession) -> None:
    session = connection.session if isinstance(connection.scope.get("session"), dict) else {}
    session_id, started = session.get(SESSION_ID), session.get(SESSION_STARTED)
    if isinstance(session_id, str) and isinstance(started, int | float):
        now = dt.datetime.now(dt.UTC)
        lifetime = connection.app.state.settings.session_lifetime
        await db.execute(delete(RevokedSession).where(RevokedSession.expires_at < now))  # no copy of these works anyway
        try:
            async with db.begin_nested():  # two tabs signing out at once: the first row is the one that counts
                db.add(
                    RevokedSession(
                        session_id=session_id,
                        user_id=session.get(SESSION_USER),
                        revoked_at=now,
                        expires_at=dt.datetime.fromtimestamp(started + lifetime, dt.UTC),
                    )
                )
        except IntegrityError:
            pass


ROTATE_CSRF = "rotate_csrf"


class CsrfRotation:
    """A before-send hook: a response that signed someone in carries a fresh CSRF cookie, so a token planted or read
    before sign-in is worthless after it."""

    def __init__(self, config: CSRFConfig) -> None:
        self.config = config

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or not scope.get("state", {}).get(ROTATE_CSRF):
            return
        cookie = Cookie(
            key=self.config.cookie_name,
            value=generate_csrf_token(self.config.secret),
            path=self.config.cookie_path,
            secure=self.config.cookie_secure,
            httponly=self.config.cookie_httponly,
            samesite=self.config.cookie_samesite,
            domain=self.config.cookie_domain,
        )
        MutableScopeHeaders.from_message(message).add("set-cookie", cookie.to_header(header=""))


def token_without_cookie(request: ASGIConnection) -> None:
    """For a GET outside the CSRF middleware (a page that must set no cookie): a signed-in reader's menu still needs
    the sign-out form's token, so take the one their browser already holds, as the middleware does on any GET."""
    config = request.app.csrf_config
    if request.scope.get("user") is not None and config is not None:
        ScopeState.from_scope(request.scope).csrf_token = request.cookies.get(config.cookie_name, "")


def actor_of(request: ASGIConnection) -> Actor:
    user = request.scope.get("user")
    ip = client_ip(request)
    if user is None:
        return Actor(user_id=None, label="visitor", origin=Origin.WEB, ip=ip)
    return Actor(user_id=user.id, label=user.email, origin=Origin.WEB, role=user.role, ip=ip)


@functools.lru_cache(maxsize=8)
def parse_trusted_proxies(setting: str) -> tuple[IPNetwork, ...]:
    """`10.0.0.0/8, 192.168.1.10` -> networks; a bad entry is a startup error, not a silent hole."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in setting.split(",") if part.strip())


def _address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def resolve_client_ip(peer: str | None, forwarded_for: list[str], trusted: tuple[IPNetwork, ...]) -> str:
    """The address rate limits and audit rows count: the direct peer, unless the peer is a trusted proxy; then the
    nearest X-Forwarded-For hop that is not itself a trusted proxy (read right to left: each proxy appends the
    address it saw, anything further left was written by the client and could be forged)."""
    if peer is None:
        return "unknown"
    nearest = _address(peer)
    if nearest is None or not any(nearest in net for net in trusted):
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage from beyond the last proxy we trust: stop at that proxy
        nearest = address
        if not any(address in net for net in trusted):
            break
    return str(nearest)


def client_ip(request: ASGIConnection) -> str:
    """The one place a request's client address is decided (rate limits, audit rows, authorizations)."""
    settings = request.app.state.settings
    forwarded = [
        value.decode("latin-1") for key, value in request.scope.get("headers", []) if key == b"x-forwarded-for"
    ]
    return resolve_client_ip(
        request.client.host if request.client else None, forwarded, parse_trusted_proxies(settings.trusted_proxies)
    )


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: never //evil.example or https://evil.example."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
