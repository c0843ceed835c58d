"""The clock that handlers read, so that a test can stand at a given moment by replacing `now`."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today_in(timezone: str) -> dt.date:
    """The business date in the utility's time zone (a late-evening request in Central time is still today there)."""
    return now().astimezone(ZoneInfo(timezone)).date()
