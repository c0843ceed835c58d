"""What handlers receive by injection, with typed names (Litestar 2.25 wants them explicit).

Every handler on every side gets these from the app's dependencies instead of computing them by hand:
`settings`, `today` (the business date in the utility's time zone), `policy` (the policy numbers in force) and
`actor` (who is acting, for the audit trail); `db_session` comes from the SQLAlchemy plugin.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request
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


__all__ = [
    "AppSettings",
    "CurrentActor",
    "CurrentPolicy",
    "DbSession",
    "FromPath",
    "FromQuery",
    "Today",
    "app_dependencies",
]
