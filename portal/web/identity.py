"""Who is signed in: the session cookie names a user id and session version; this middleware loads the user
once per request (request.user is None for visitors)."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.accounts.actor import Actor
from portal.accounts.models import STAFF_ROLES, Origin, Role, User

SESSION_USER = "uid"
SESSION_VERSION = "sv"


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
        session = connection.scope.get("session") or {}
        user_id = session.get(SESSION_USER) if isinstance(session, dict) else None
        if not user_id:
            return AuthenticationResult(user=None, auth=None)
        maker: async_sessionmaker[AsyncSession] = connection.app.state.sessionmaker
        async with maker() as db:
            user = await db.get(User, user_id)
        if user is None or not user.active or user.session_version != session.get(SESSION_VERSION):
            session.clear()
            return AuthenticationResult(user=None, auth=None)
        return AuthenticationResult(user=CurrentUser.of(user), auth=None)


def sign_in(connection: ASGIConnection, user: User) -> None:
    """Start a fresh session for this user (nothing from the visitor's session carries over but the language)."""
    keep = {k: v for k, v in connection.session.items() if k in {"lang"}}
    connection.clear_session()
    connection.set_session({**keep, SESSION_USER: user.id, SESSION_VERSION: user.session_version})


def sign_out(connection: ASGIConnection) -> None:
    connection.clear_session()


def actor_of(request: ASGIConnection) -> Actor:
    user = request.scope.get("user")
    ip = request.client.host if request.client else None
    if user is None:
        return Actor(user_id=None, label="visitor", origin=Origin.WEB, ip=ip)
    return Actor(user_id=user.id, label=user.email, origin=Origin.WEB, role=user.role, ip=ip)


def client_ip(request: ASGIConnection) -> str:
    return request.client.host if request.client else "unknown"


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: never //evil.example or https://evil.example."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
