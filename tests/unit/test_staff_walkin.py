"""The walk-in practice account: pure state that resets itself."""

import datetime as dt

import pytest

from portal.staff import walkin

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


def test_a_practice_payment_lowers_the_practice_balance_only_up_to_it() -> None:
    state = walkin.fresh_state(NOW)
    due = walkin.sandbox(state, TODAY).balance_cents
    assert due > 0
    paid = walkin.pay(state, 1_000, NOW, TODAY)
    assert walkin.sandbox(paid, TODAY).balance_cents == due - 1_000
    with pytest.raises(ValueError):
        walkin.pay(paid, due, NOW, TODAY)  # more than is left


def test_the_practice_account_starts_over_after_15_idle_minutes_or_when_garbled() -> None:
    paid = walkin.pay(walkin.fresh_state(NOW), 500, NOW, TODAY)
    assert walkin.current_state(paid, NOW + dt.timedelta(minutes=14))["payments"]
    assert walkin.current_state(paid, NOW + dt.timedelta(minutes=16))["payments"] == []
    assert walkin.current_state({"touched": "yesterday"}, NOW)["payments"] == []
    assert walkin.current_state(None, NOW)["paperless"] is False


def test_the_demo_bills_are_twelve_months_newest_first() -> None:
    bills = walkin.demo_bills(TODAY)
    assert len(bills) == 12 and bills[0].period_end > bills[-1].period_end
    assert all(b.total_cents > 5_000 for b in bills)


def test_the_qr_code_is_inline_svg_without_styles_or_scripts() -> None:
    svg = walkin.signup_qr_svg("https://portal.example/signup", "Sign up")
    assert svg.startswith("<svg") and "viewBox" in svg and "<script" not in svg and "style=" not in svg
