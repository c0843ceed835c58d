"""Typed names for what handlers receive by injection (Litestar 2.25 wants them explicit)."""

from __future__ import annotations

from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from portal.settings import Settings

DbSession = NamedDependency[AsyncSession]
AppSettings = NamedDependency[Settings]

__all__ = ["AppSettings", "DbSession", "FromPath", "FromQuery"]
