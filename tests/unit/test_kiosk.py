"""Which routes and paths a session in kiosk mode may reach (portal/web/kiosk.py)."""

import datetime as dt

import pytest

from portal.web import kiosk


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("staff.walkin", "/staff/walkin"),
        ("staff.walkin.pay", "/staff/walkin/pay"),
        ("staff.walkin.reset", "/staff/walkin/reset"),
        ("staff.walkin.qr", "/staff/walkin/qr"),
        ("kiosk.exit", "/kiosk/exit"),
        ("kiosk.exit.passkey", "/kiosk/exit/passkey"),
        ("kiosk.exit.code.verify", "/kiosk/exit/code/verify"),
        ("language", "/lang/es"),
        (None, "/static/css/app.0123abcd.css"),
        (None, "/sw.js"),
    ],
)
def test_the_practice_its_way_out_and_assets_are_allowed(name, path) -> None:
    assert kiosk.allowed(name, path)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("staff.home", "/staff"),
        ("staff.accounts", "/staff/accounts"),
        ("staff.account", "/staff/accounts/100000409"),
        ("staff.walkin.kiosk", "/staff/walkin/kiosk"),  # starting again is no way out, but nothing to do either
        ("settings", "/settings"),
        ("settings.signout_everywhere", "/settings/signout-everywhere"),
        ("signout", "/signout"),
        ("customer.home", "/my"),
        ("demo.signin", "/demo/signin/csr"),
        (None, "/staff/accounts"),  # a path that looks like nothing known is refused, not guessed at
        (None, "/staticfiles/x"),
    ],
)
def test_everything_else_is_refused(name, path) -> None:
    assert not kiosk.allowed(name, path)


def test_the_flag_names_the_csr_who_started_it() -> None:
    session: dict = {"uid": 7}
    assert kiosk.active(session) is None
    kiosk.begin(session, 7, dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC))
    assert kiosk.active(session) == {"by": 7, "since": "2026-12-04T09:00:00+00:00"}
    assert kiosk.active({"kiosk": {"by": "7"}}) is None and kiosk.active("not a session") is None
    kiosk.end(session)
    assert kiosk.active(session) is None
