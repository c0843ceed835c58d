"""Route guards: who may reach a route at all. Ownership of a particular account or order is checked by the
services (portal.accounts.access), which see the data.

Guards are coroutines: Litestar runs a plain function guard in a worker thread, a thread hop on every request for
a check that only reads the scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from portal.accounts.models import STAFF_ROLES, Role

Guard = Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]


def _check_signed_in(connection: ASGIConnection) -> None:
    if connection.scope.get("user") is None:
        raise NotAuthorizedException("Please sign in.")


async def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    _check_signed_in(connection)


def roles(*allowed: Role) -> Guard:
    allowed_set = frozenset(allowed)

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        _check_signed_in(connection)
        if connection.user.role not in allowed_set:
            raise PermissionDeniedException("This page is not part of your role.")

    guard.__name__ = f"roles_{'_'.join(sorted(allowed_set))}"
    return guard


customer = roles(Role.CUSTOMER)
field = roles(Role.FIELD)
staff = roles(*STAFF_ROLES)
supervisor = roles(Role.SUPERVISOR, Role.ADMIN)
admin = roles(Role.ADMIN)
