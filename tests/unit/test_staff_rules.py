"""Adjustment rules, approval and the cash drawer balance (portal/staff/rules.py)."""

import datetime as dt

import pytest

from portal.accounts.policy import Policy
from portal.staff import rules
from portal.staff.rules import AdjustmentDenied, VolumePrices

POLICY = Policy()
TODAY = dt.date(2026, 11, 26)
# 0-3 kgal at $3.10, 3-10 at $4.25, above 10 at $5.90; sewer $4.80/kgal on the billed basis.
PRICES = VolumePrices(
    water_tiers=((3000, 310), (10000, 425), (None, 590)), sewer_cents_per_kgal=480, sewer_billed_gallons=12000
)


def test_water_cost_walks_the_tiers() -> None:
    assert rules.water_cost(PRICES.water_tiers, 2000) == 620
    assert rules.water_cost(PRICES.water_tiers, 12000) == 930 + 2975 + 1180


def test_leak_bills_the_average_plus_half_the_excess_and_sewer_on_the_average() -> None:
    result = rules.leak(
        POLICY, today=TODAY, usage_gallons=20000, average_gallons=6000, prices=PRICES, proof_of_repair=True
    )
    # water: cost(20,000) - cost(13,000) = (930 + 2975 + 5900) - (930 + 2975 + 1770) = 4130
    # sewer: cost(12,000) - cost(6,000) = 5760 - 2880 = 2880
    assert result.amount_cents == -(4130 + 2880)
    assert "13,000" in result.explanation and "$41.30" in result.explanation


def test_leak_needs_proof_of_repair() -> None:
    with pytest.raises(AdjustmentDenied, match="proof of repair"):
        rules.leak(POLICY, today=TODAY, usage_gallons=20000, average_gallons=6000, prices=PRICES, proof_of_repair=False)


def test_leak_is_once_in_12_months() -> None:
    kwargs = dict(today=TODAY, usage_gallons=20000, average_gallons=6000, prices=PRICES, proof_of_repair=True)
    with pytest.raises(AdjustmentDenied, match="last 12 months"):
        rules.leak(POLICY, earlier_leak_adjustments=[dt.date(2026, 2, 1)], **kwargs)
    assert rules.leak(POLICY, earlier_leak_adjustments=[dt.date(2025, 11, 20)], **kwargs).amount_cents < 0


def test_leak_needs_usage_above_the_average() -> None:
    with pytest.raises(AdjustmentDenied, match="not above the average"):
        rules.leak(POLICY, today=TODAY, usage_gallons=5000, average_gallons=6000, prices=PRICES, proof_of_repair=True)


def test_pool_fill_credits_sewer_above_the_average_once_a_year() -> None:
    result = rules.pool_fill(POLICY, today=TODAY, usage_gallons=30000, average_gallons=6000, prices=PRICES)
    assert result.amount_cents == -(5760 - 2880)
    with pytest.raises(AdjustmentDenied, match="this year"):
        rules.pool_fill(
            POLICY,
            today=TODAY,
            usage_gallons=30000,
            average_gallons=6000,
            prices=PRICES,
            earlier_pool_adjustments=[dt.date(2026, 1, 3)],
        )
    again_next_year = rules.pool_fill(
        POLICY,
        today=dt.date(2027, 1, 2),
        usage_gallons=30000,
        average_gallons=6000,
        prices=PRICES,
        earlier_pool_adjustments=[dt.date(2026, 1, 3)],
    )
    assert again_next_year.amount_cents < 0


def test_vacation_garbage_needs_three_months_and_is_never_retroactive() -> None:
    with pytest.raises(AdjustmentDenied, match="at least 3 months"):
        rules.vacation_garbage(
            POLICY, requested_on=TODAY, vacant_from=TODAY, vacant_until=dt.date(2027, 2, 25), monthly_cents=2150
        )
    ahead = rules.vacation_garbage(
        POLICY,
        requested_on=TODAY,
        vacant_from=dt.date(2026, 12, 1),
        vacant_until=dt.date(2027, 4, 1),
        monthly_cents=2150,
    )
    assert ahead.amount_cents == -4 * 2150
    # Vacant since September, asked today: only the months from today count.
    late = rules.vacation_garbage(
        POLICY,
        requested_on=TODAY,
        vacant_from=dt.date(2026, 9, 1),
        vacant_until=dt.date(2027, 1, 26),
        monthly_cents=2150,
    )
    assert late.amount_cents == -2 * 2150


def test_billing_error_goes_back_to_the_error_or_12_months_whichever_is_shorter() -> None:
    bills = [dt.date(2025, m, 5) for m in range(1, 13)] + [dt.date(2026, m, 5) for m in range(1, 12)]
    recent = rules.billing_error(
        POLICY, today=TODAY, error_from=dt.date(2026, 8, 1), per_bill_cents=1000, bill_dates=bills, overcharged=True
    )
    assert recent.amount_cents == -4 * 1000  # Aug, Sep, Oct, Nov
    old = rules.billing_error(
        POLICY, today=TODAY, error_from=dt.date(2024, 1, 1), per_bill_cents=1000, bill_dates=bills, overcharged=True
    )
    assert old.amount_cents == -12 * 1000  # Dec 2025 .. Nov 2026: twelve months back from today
    under = rules.billing_error(
        POLICY, today=TODAY, error_from=dt.date(2026, 8, 1), per_bill_cents=1000, bill_dates=bills, overcharged=False
    )
    assert under.amount_cents == 4000


def test_a_fee_is_waived_once_and_only_a_fee() -> None:
    assert rules.fee_waiver(fee_cents=500, fee_kind="late_fee", already_waived=False).amount_cents == -500
    with pytest.raises(AdjustmentDenied, match="already waived"):
        rules.fee_waiver(fee_cents=500, fee_kind="late_fee", already_waived=True)
    with pytest.raises(AdjustmentDenied, match="Only a fee"):
        rules.fee_waiver(fee_cents=9000, fee_kind="charge", already_waived=False)


def test_over_the_threshold_needs_a_supervisor_who_did_not_ask() -> None:
    assert not rules.needs_approval(POLICY, -25_000)
    assert rules.needs_approval(POLICY, -25_001)
    assert rules.may_decide(approver_id=2, approver_is_supervisor=False, requester_id=1)
    assert rules.may_decide(approver_id=1, approver_is_supervisor=True, requester_id=1)
    assert rules.may_decide(approver_id=2, approver_is_supervisor=True, requester_id=1) is None


def test_the_drawer_balances_to_the_cent_by_tender() -> None:
    receipts = [("cash", 4_512), ("cash", 10_001), ("check", 7_550), ("card", 12_345), ("cash", 1)]
    balanced = rules.balance_drawer(
        POLICY, opening_float_cents=10_000, receipts=receipts, counted={"cash": 24_514, "check": 7_550, "card": 12_345}
    )
    assert balanced.expected == {"cash": 24_514, "check": 7_550, "card": 12_345}
    assert balanced.over_short_cents == 0 and not balanced.needs_reason and not balanced.flagged
    one_cent = rules.balance_drawer(
        POLICY, opening_float_cents=10_000, receipts=receipts, counted={"cash": 24_513, "check": 7_550, "card": 12_345}
    )
    assert one_cent.over_short == {"cash": -1, "check": 0, "card": 0} and one_cent.needs_reason and not one_cent.flagged


def test_a_shortage_over_25_dollars_is_flagged_but_exactly_25_is_not() -> None:
    at_limit = rules.balance_drawer(POLICY, opening_float_cents=0, receipts=[("cash", 5_000)], counted={"cash": 2_500})
    assert at_limit.over_short_cents == -2_500 and not at_limit.flagged
    over = rules.balance_drawer(POLICY, opening_float_cents=0, receipts=[("cash", 5_000)], counted={"cash": 2_499})
    assert over.flagged
    overage = rules.balance_drawer(POLICY, opening_float_cents=0, receipts=[("cash", 5_000)], counted={"cash": 9_000})
    assert overage.over_short_cents == 4_000 and not overage.flagged and overage.needs_reason


def test_whole_months_count_calendar_months() -> None:
    assert rules.whole_months(dt.date(2026, 1, 15), dt.date(2026, 4, 15)) == 3
    assert rules.whole_months(dt.date(2026, 1, 15), dt.date(2026, 4, 14)) == 2
    assert rules.whole_months(dt.date(2026, 1, 31), dt.date(2026, 2, 28)) == 1


def test_each_bills_hint_averages_the_12_bills_before_it_and_its_ratio() -> None:
    import datetime as dt
    from decimal import Decimal

    from portal.staff.adjustments import averages_before, usage_ratio

    assert averages_before([]) == []
    newest = dt.date(2026, 11, 30)
    # newest first, as the picker lists them: the high bill, then 13 older ones (the oldest left out of its window)
    bills = [(newest, 8200)] + [(newest - dt.timedelta(days=30 * n), 3900) for n in range(1, 13)]
    bills.append((dt.date(2025, 6, 30), 100_000))
    averages = averages_before(bills)
    assert averages[0] == 3900  # the 12 before it, not itself, as the leak rule's average_usage
    assert averages[-1] is None  # nothing before the oldest
    assert averages[-2] == 100_000
    assert averages_before(list(reversed(bills)))[::-1] == averages  # any order in, the same figure per bill
    assert usage_ratio(8200, 3900) == Decimal("2.1")
    assert usage_ratio(3900, 3900) == Decimal("1.0")
    assert usage_ratio(195, 3900) == Decimal("0.1")  # 0.05 rounds up: one decimal, half up
    assert usage_ratio(500, 0) is None and usage_ratio(500, None) is None
