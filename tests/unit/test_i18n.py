"""English and Spanish: every message translated, the .mo compiled, formatting by locale."""

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from portal import i18n

ROOT = Path(__file__).resolve().parents[2]


def _translate_module():
    spec = importlib.util.spec_from_file_location("translate", ROOT / "scripts" / "translate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_message_has_a_spanish_translation_and_the_mo_is_compiled() -> None:
    problems = _translate_module().check()
    assert problems == [], "\n".join(problems) + "\nRun: python scripts/translate.py (then add the Spanish)"


def test_gettext_follows_the_current_locale() -> None:
    with i18n.use_locale("es"):
        assert i18n.gettext("Sign in") == "Iniciar sesión"
        assert i18n.gettext("Hello, %(name)s", name="Ana") == "Hola, Ana"
        assert i18n.ngettext("%(num)d order", "%(num)d orders", 3) == "3 órdenes"
    assert i18n.gettext("Sign in") == "Sign in"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR", "en"),
        ("", "en"),
        ("es", "es"),
        ("*", "en"),
    ],
)
def test_the_browser_language_picks_english_or_spanish(header: str, expected: str) -> None:
    assert i18n.negotiate(header) == expected


def test_money_is_formatted_from_integer_cents() -> None:
    assert i18n.format_money(123456) == "$1,234.56"
    assert i18n.format_money(-500) == "-$5.00"
    assert i18n.format_money(0) == "$0.00"
    with i18n.use_locale("es"):
        assert "1,234.56" in i18n.format_money(123456)


def test_dates_read_naturally_in_each_language() -> None:
    day = dt.date(2026, 11, 24)
    assert i18n.format_date(day) == "Nov 24, 2026"
    with i18n.use_locale("es"):
        assert "nov" in i18n.format_date(day).lower()


def test_a_moment_is_dated_on_the_utilitys_clock_not_in_utc() -> None:
    """A problem reported at 8 p.m. in Chicago (02:00 UTC the next day) read "sent Dec 6" on the home page."""
    evening = dt.datetime(2026, 12, 6, 2, 0, tzinfo=dt.UTC)
    assert i18n.format_date(evening, tz="America/Chicago") == "Dec 5, 2026"
    assert i18n.format_date(evening.replace(tzinfo=None), tz="America/Chicago") == "Dec 5, 2026"  # stored naive UTC
    assert i18n.format_date("2026-12-06T02:00:00+00:00", tz="America/Chicago") == "Dec 5, 2026"  # a phone's stamp
    assert i18n.format_date(evening, tz="UTC") == "Dec 6, 2026"


def test_a_date_filter_on_free_text_shows_the_text() -> None:
    # staff/account.html pipes a contact's note through `date`; a note is not a date and must not raise
    assert i18n.format_date("left a message") == "left a message"
    assert i18n.format_date("2026-11-24") == "Nov 24, 2026"
