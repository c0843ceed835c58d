"""Route guards: who may reach a route at all. Ownership of a particular account or order is checked by the
services (portal.accounts.access), which see the data."""

from __future__ import annotations

from collections.abc import Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from portal.accounts.models import STAFF_ROLES, Role

Guard = Callable[[ASGIConnection, BaseRouteHandler], None]


def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if connection.scope.get("user") is None:
        raise NotAuthorizedException("Please sign in.")


def roles(*allowed: Role) -> Guard:
    allowed_set = frozenset(allowed)

    def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        signed_in(connection, handler)
        if connection.user.role not in allowed_set:
            raise PermissionDeniedException("This page is not part of your role.")

    guard.__name__ = f"roles_{'_'.join(sorted(allowed_set))}"
    return guard


customer = roles(Role.CUSTOMER)
field = roles(Role.FIELD)
staff = roles(*STAFF_ROLES)
supervisor = roles(Role.SUPERVISOR, Role.ADMIN)
admin = roles(Role.ADMIN)
