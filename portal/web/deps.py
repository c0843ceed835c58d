"""What handlers receive by injection, with typed names (Litestar 2.25 wants them explicit).

Every handler on every side gets these from the app's dependencies instead of computing them by hand:
`settings`, `today` (the business date in the utility's time zone), `policy` (the policy numbers in force) and
`actor` (who is acting, for the audit trail); `db_session` comes from the SQLAlchemy plugin.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request
from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.actor import Actor
from portal.accounts.policy import Policy, current_policy
from portal.settings import Settings

from . import clock
from .identity import actor_of

DbSession = NamedDependency[AsyncSession]
AppSettings = NamedDependency[Settings]
Today = NamedDependency[dt.date]
CurrentPolicy = NamedDependency[Policy]
CurrentActor = NamedDependency[Actor]


def _today(settings: AppSettings) -> dt.date:
    return clock.today_in(settings.timezone)


def _policy() -> Policy:
    return current_policy()


def _actor(request: Request[Any, Any, Any]) -> Actor:
    return actor_of(request)


def app_dependencies(settings: Settings) -> dict[str, Provide]:
    """The app-wide dependencies (create_app registers them)."""
    return {
        "settings": Provide(lambda: settings, sync_to_thread=False),
        "today": Provide(_today, sync_to_thread=False),
        "policy": Provide(_policy, sync_to_thread=False),
        "actor": Provide(_actor, sync_to_thread=False),
    }


_resolve_concurrently = KwargsModel.resolve_dependencies


async def _resolve_in_turn(
    self: KwargsModel, connection: ASGIConnection[Any, Any, Any, Any], kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    """A handler's dependencies one after the other when all are plain functions, as every one of this app's is.
    Litestar runs a level's several dependencies as tasks of an anyio task group, so that slow async ones overlap;
    for functions that return at once the task group is all the cost (about 0.15 ms a request, 5% of a field sync
    action: docs/benchmarks.md, "Field sync"). Any async dependency keeps Litestar's own way."""
    batches = self.dependency_batches
    if not all(dependency.provide.has_sync_callable for batch in batches for dependency in batch):
        return await _resolve_concurrently(self, connection, kwargs)
    cleanup_group = DependencyCleanupGroup()
    for batch in batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def resolve_dependencies_in_turn() -> None:
    """Install `_resolve_in_turn` (create_app calls it; Litestar is pinned in requirements/lock.txt, and
    tests/unit/test_deps.py checks the method it replaces is still there)."""
    KwargsModel.resolve_dependencies = _resolve_in_turn  # type: ignore[method-assign]


__all__ = [
    "AppSettings",
    "CurrentActor",
    "CurrentPolicy",
    "DbSession",
    "FromPath",
    "FromQuery",
    "Today",
    "app_dependencies",
    "resolve_dependencies_in_turn",
]
