"""The walk-in demo: on a counter tablet a CSR shows a visitor what self-service looks like, on a practice account
that lives only in the CSR's session (never in the database, so it cannot touch a real account) and resets itself
after a few idle minutes or with one button. A QR code sends the visitor's own phone to the real sign-up.

Everything here is pure except the QR drawing; the controller keeps the small state dict in the session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import segno

from portal.web.charts import BarChart, ChartPoint, bar_chart

SESSION_KEY = "walkin"
IDLE_RESET = dt.timedelta(minutes=15)
MAX_PAYMENTS = 10
DEMO_NUMBER = "DEMO-0000-1"
# Gallons per day by month: a small household, more in summer.
_DAILY = {1: 150, 2: 150, 3: 160, 4: 175, 5: 200, 6: 240, 7: 275, 8: 265, 9: 220, 10: 180, 11: 160, 12: 150}


@dataclass(frozen=True)
class DemoBill:
    period_end: dt.date
    usage_gallons: int
    total_cents: int
    due_on: dt.date


@dataclass(frozen=True)
class Sandbox:
    number: str
    name: str
    address: str
    bills: tuple[DemoBill, ...]  # newest first
    payments: tuple[tuple[str, int], ...]  # (ISO time, cents)
    paperless: bool
    resets_at: dt.datetime

    @property
    def balance_cents(self) -> int:
        return max(0, self.bills[0].total_cents - sum(cents for _when, cents in self.payments))


def _month_end(day: dt.date, back: int) -> dt.date:
    month = day.month - 1 - back
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, 1) + dt.timedelta(days=27)


def demo_bills(today: dt.date) -> tuple[DemoBill, ...]:
    """Twelve believable monthly bills ending last month (base charges plus tiers, as a resident would see)."""
    bills = []
    for back in range(1, 13):
        end = _month_end(today, back)
        usage = _DAILY[end.month] * 30
        water = round(min(usage, 3000) * 310 / 1000) + round(max(0, min(usage, 10000) - 3000) * 425 / 1000)
        total = 1250 + water + 1400 + round(min(usage, 5000) * 480 / 1000) + 2150 + 600
        bills.append(DemoBill(end, usage, total, end + dt.timedelta(days=23)))
    return tuple(bills)


def fresh_state(now: dt.datetime) -> dict[str, Any]:
    return {"started": now.isoformat(), "touched": now.isoformat(), "payments": [], "paperless": False}


def current_state(raw: object, now: dt.datetime) -> dict[str, Any]:
    """The session's sandbox, or a fresh one when there is none, it is malformed, or it sat idle too long."""
    if not isinstance(raw, dict):
        return fresh_state(now)
    try:
        touched = dt.datetime.fromisoformat(str(raw["touched"]))
        payments = [(str(when), int(cents)) for when, cents in raw.get("payments", [])][:MAX_PAYMENTS]
    except (KeyError, TypeError, ValueError):
        return fresh_state(now)
    if now - touched > IDLE_RESET:
        return fresh_state(now)
    return {
        "started": raw.get("started", touched.isoformat()),
        "touched": touched.isoformat(),
        "payments": payments,
        "paperless": bool(raw.get("paperless")),
    }


def sandbox(state: dict[str, Any], today: dt.date) -> Sandbox:
    touched = dt.datetime.fromisoformat(state["touched"])
    return Sandbox(
        number=DEMO_NUMBER,
        name="Alex Example",
        address="100 Practice Ln, Riverton",
        bills=demo_bills(today),
        payments=tuple((when, cents) for when, cents in state["payments"]),
        paperless=bool(state["paperless"]),
        resets_at=touched + IDLE_RESET,
    )


def pay(state: dict[str, Any], cents: int, now: dt.datetime, today: dt.date) -> dict[str, Any]:
    """A pretend payment: at most the pretend balance, never below a cent."""
    due = sandbox(state, today).balance_cents
    if cents <= 0 or cents > due or len(state["payments"]) >= MAX_PAYMENTS:
        raise ValueError("amount")
    return {**state, "touched": now.isoformat(), "payments": [*state["payments"], (now.isoformat(), cents)]}


def toggle_paperless(state: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    return {**state, "touched": now.isoformat(), "paperless": not state["paperless"]}


def usage_chart(box: Sandbox, title: str, unit: str, month: Callable[[dt.date, str], str]) -> BarChart:
    """Twelve months of use, oldest first; `month(day, pattern)` names a month in the reader's language."""
    points = [
        ChartPoint(month(b.period_end, "MMM"), month(b.period_end, "MMMM y"), b.usage_gallons, highlight=index == 0)
        for index, b in reversed(list(enumerate(box.bills)))
    ]
    return bar_chart(points, title=title, unit=unit)


def signup_qr_svg(url: str, title: str) -> str:
    """The QR code as inline SVG (drawn with attributes only, so the strict CSP allows it)."""
    return segno.make(url, error="m").svg_inline(
        scale=6, border=4, title=title, dark="#000000", light="#ffffff", omitsize=True
    )
