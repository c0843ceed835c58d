"""Parsing what staff screens receive in queries and forms: a day, a forecast high, a technician, and which form
field a refusal belongs to."""

from __future__ import annotations

import datetime as dt

from portal.accounts.errors import DomainError
from portal.i18n import gettext as _
from portal.web import params


def parse_day(raw: str | None, today: dt.date) -> dt.date:
    """A day given as YYYY-MM-DD; none given is today."""
    if not raw:
        return today
    try:
        return params.parse_date(raw)
    except params.BadValue:
        raise DomainError(_("Give the day as YYYY-MM-DD."), field="day") from None


def parse_forecast(raw: object) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(str(raw))
    except ValueError:
        raise DomainError(_("Give the forecast high as a whole number of degrees."), field="forecast_high") from None


def parse_technician(raw: str) -> int | None:
    """A technician chosen from the list; empty is nobody (unassigned, or any technician in the filter)."""
    if not raw.strip():
        return None
    try:
        return params.parse_id(raw)
    except params.BadValue:
        raise DomainError(_("Choose a technician from the list."), field="technician") from None


def refusal_field(form: object, exc: DomainError, fallback: str) -> str:
    """The form field a refusal belongs to: the one it names when the form has it, else `fallback`."""
    return exc.field if exc.field and hasattr(form, exc.field) else fallback
