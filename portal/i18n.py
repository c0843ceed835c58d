"""English and Spanish: the request's locale lives in a context variable that gettext, templates and
formatting read, so a rule's message is in the resident's language wherever it is produced."""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import cast

from babel import Locale, dates, numbers
from babel.support import LazyProxy, NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED = ("en", "es")
DEFAULT = "en"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
# Formatting locales: US conventions for both languages ($1,234.56; 11/24/2026 reads naturally to both).
_FORMAT_LOCALE = {
    "en": Locale.parse("en_US"),
    "es": Locale.parse("es_US"),
}  # parsed once: Babel parses strings each call

_current: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default=DEFAULT)


@cache
def translations(locale: str) -> NullTranslations:
    if locale == DEFAULT:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def current() -> str:
    return _current.get()


def set_locale(locale: str) -> contextvars.Token[str]:
    return _current.set(locale if locale in SUPPORTED else DEFAULT)


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = set_locale(locale)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str, **variables: object) -> str:
    text = translations(current()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


def lazy_gettext(message: str, **variables: object) -> str:
    """For messages defined at import time (form labels, choices): translated when shown."""
    # Typed as the str it stands in for: WTForms and the templates take a label wherever they take a str.
    return cast(str, LazyProxy(gettext, message, enable_cache=False, **variables))


_ = gettext


def negotiate(accept_language: str | None) -> str:
    if not accept_language:
        return DEFAULT
    preferred = []
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().replace("-", "_")
        if tag and tag != "*":
            preferred.append(tag)
    found = Locale.negotiate(preferred, list(SUPPORTED), sep="_") if preferred else None
    if found is None:
        for tag in preferred:
            if tag.split("_")[0].lower() in SUPPORTED:
                return tag.split("_")[0].lower()
        return DEFAULT
    return str(found.language)


def format_money(cents: int | None, *, signed: bool = False) -> str:
    if cents is None:
        return ""
    text = numbers.format_currency(abs(cents) / 100, "USD", locale=_FORMAT_LOCALE[current()])
    if cents < 0:
        return f"−{text}" if signed else f"-{text}"
    return f"+{text}" if signed and cents > 0 else text


def format_date(value: dt.date | dt.datetime | str | None, style: str = "medium", tz: str = "America/Chicago") -> str:
    """A date in the reader's one date style ("Nov 26, 2026", "26 nov 2026"); a stored ISO string too, so no raw
    "2027-09-16" reaches a page. Other styles only for a different kind (a heading's "full", a chart's month).
    A moment (a datetime, naive ones being UTC as stored) is dated on the utility's clock `tz`: a report sent at
    8 p.m. in Chicago is dated that day, not the next day in UTC."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value) if len(value) > 10 else dt.date.fromisoformat(value)
        except ValueError:  # free text piped through `date` (a note) shows as written, never a 500
            return str(value)
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        value = moment.astimezone(dates.get_timezone(tz)).date()
    return dates.format_date(value, style, locale=_FORMAT_LOCALE[current()])


def format_datetime(value: dt.datetime | str | None, tz: str = "America/Chicago") -> str:
    """A moment on the utility's clock in the one date-time style, the date as format_date shows it and the time as
    format_time does: "Nov 24, 2026, 5:01 AM" / "24 nov 2026, 5:01 a.m.". Naive values are UTC, as stored."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    locale = _FORMAT_LOCALE[current()]
    local = value.astimezone(dates.get_timezone(tz))
    day = dates.format_date(local.date(), "medium", locale=locale)
    time = dates.format_time(local, "short", tzinfo=local.tzinfo, locale=locale)
    return str(locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", time)


def format_time(value: dt.datetime | None, tz: str = "America/Chicago", style: str = "short") -> str:
    """A time of day in the reader's format, to sit beside format_datetime's ("12:22 AM", never "00:22" next to it)."""
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=dt.UTC)
    return dates.format_time(value, style, tzinfo=dates.get_timezone(tz), locale=_FORMAT_LOCALE[current()])


def format_number(value: float | int | Decimal) -> str:
    return numbers.format_decimal(value, locale=_FORMAT_LOCALE[current()])
