"""The cut-off rule (docs/design.md, section 4): thresholds, notice and courtesy contact timing, exclusions, and
days."""

import datetime as dt

from portal.accounts.policy import Policy, us_holidays
from portal.staff import rules
from portal.staff.rules import CutoffFacts

POLICY = Policy(holidays=us_holidays(range(2026, 2028)))
DAY = dt.date(2026, 12, 8)  # a Tuesday
START = dt.datetime(2026, 12, 8, 13, 30, tzinfo=dt.UTC)


def facts(**changes) -> CutoffFacts:
    base = dict(
        account_id=1,
        past_due_cents=12_000,
        oldest_past_due_on=DAY - dt.timedelta(days=45),
        active=True,
        last_notice_at=START - dt.timedelta(days=12),
        last_courtesy_at=START - dt.timedelta(hours=30),
        medical_alert_until=None,
        extension_hold=False,
        arrangement_active=False,
        payment_pending=False,
    )
    return CutoffFacts(**{**base, **changes})


def test_an_account_meeting_every_condition_is_on_the_list() -> None:
    decision = rules.cutoff_decision(POLICY, facts(), DAY, START)
    assert decision.eligible and decision.reasons == ()


def test_too_recent_or_too_small_arrears_stay_off_with_the_reason() -> None:
    young = rules.cutoff_decision(POLICY, facts(oldest_past_due_on=DAY - dt.timedelta(days=29)), DAY, START)
    assert not young.eligible and "29 days" in young.reasons[0]
    small = rules.cutoff_decision(POLICY, facts(past_due_cents=4_999), DAY, START)
    assert not small.eligible and "$50.00" in small.reasons[0]


def test_the_minimum_is_never_below_the_reconnect_fee() -> None:
    policy = Policy(cutoff_minimum_past_due_cents=2_000, reconnect_fee_cents=5_000)
    assert rules.cutoff_minimum_cents(policy) == 5_000


def test_the_notice_must_be_10_days_old_and_the_courtesy_call_24_hours() -> None:
    late_notice = rules.cutoff_decision(POLICY, facts(last_notice_at=START - dt.timedelta(days=9)), DAY, START)
    assert late_notice.needs_notice and not late_notice.eligible
    old_notice = rules.cutoff_decision(
        POLICY, facts(last_notice_at=DAY - dt.timedelta(days=60) and START - dt.timedelta(days=60)), DAY, START
    )
    assert old_notice.needs_notice  # sent before these arrears began
    fresh_call = rules.cutoff_decision(POLICY, facts(last_courtesy_at=START - dt.timedelta(hours=23)), DAY, START)
    assert fresh_call.needs_courtesy_call and not fresh_call.eligible
    no_call = rules.cutoff_decision(POLICY, facts(last_courtesy_at=None), DAY, START)
    assert no_call.reasons == ("No courtesy contact at least 24 hours before.",)


def test_each_exclusion_keeps_the_account_off_and_says_why() -> None:
    cases = {
        "medical_alert_until": (DAY + dt.timedelta(days=3), "Medical certification"),
        "extension_hold": (True, "extension"),
        "arrangement_active": (True, "arrangement"),
        "payment_pending": (True, "payment is pending"),
        "disputed_cents": (12_000, "is disputed"),
        "active": (False, "not active"),
    }
    for field, (value, words) in cases.items():
        decision = rules.cutoff_decision(POLICY, facts(**{field: value}), DAY, START)
        assert not decision.eligible and any(words in reason for reason in decision.reasons), field
    expired = rules.cutoff_decision(POLICY, facts(medical_alert_until=DAY - dt.timedelta(days=1)), DAY, START)
    assert expired.eligible


def test_a_dispute_leaves_the_past_due_beyond_it_to_cut_off_for() -> None:
    # $300 past due with $100 disputed: $200 is over the minimum, still on the list
    assert rules.cutoff_decision(POLICY, facts(past_due_cents=30_000, disputed_cents=10_000), DAY, START).eligible
    everything = rules.cutoff_decision(POLICY, facts(past_due_cents=30_000, disputed_cents=30_000), DAY, START)
    assert not everything.eligible and {"dispute", "too_small"} <= set(everything.codes)
    assert "$300.00 is disputed." in everything.reasons


def test_a_bankruptcy_keeps_off_only_while_nothing_after_the_petition_is_past_due() -> None:
    # past_due_cents comes from arrears, which leaves the held balance out
    held = rules.cutoff_decision(POLICY, facts(past_due_cents=0, held_cents=40_000), DAY, START)
    assert not held.eligible and "bankruptcy" in held.codes
    assert "Bankruptcy: $400.00 owed at the petition is held." in held.reasons
    after = rules.cutoff_decision(POLICY, facts(past_due_cents=12_000, held_cents=40_000), DAY, START)
    assert after.eligible


def test_no_disconnections_on_fridays_weekends_holidays_their_eves_or_in_extreme_weather() -> None:
    assert rules.disconnect_day_refusal(POLICY, DAY) is None
    assert "Fridays" in rules.disconnect_day_refusal(POLICY, dt.date(2026, 12, 11))
    assert "weekends" in rules.disconnect_day_refusal(POLICY, dt.date(2026, 12, 12))
    assert "holidays" in rules.disconnect_day_refusal(POLICY, dt.date(2026, 11, 26))  # Thanksgiving
    assert "day before a holiday" in rules.disconnect_day_refusal(POLICY, dt.date(2026, 11, 25))
    assert "32" in rules.disconnect_day_refusal(POLICY, DAY, forecast_high_f=32)
    assert rules.disconnect_day_refusal(POLICY, DAY, forecast_high_f=33) is None
    assert "95" in rules.disconnect_day_refusal(POLICY, DAY, forecast_high_f=95)


# ---- medical certification: 30 days, renewable twice for the same arrears ----------------------------------------


def _medical(**kwargs) -> str | None:
    values = {
        "today": dt.date(2026, 11, 20),
        "certified_on": dt.date(2026, 11, 18),
        "arrears_since": dt.date(2026, 10, 1),
        "earlier_for_these_arrears": 0,
    }
    return rules.medical_certification_refusal(Policy(), **{**values, **kwargs})


def test_a_certificate_holds_for_thirty_days_from_its_date() -> None:
    assert rules.medical_certificate_until(Policy(), dt.date(2026, 11, 18)) == dt.date(2026, 12, 18)


def test_the_first_certificate_and_two_renewals_are_allowed_for_the_same_arrears() -> None:
    assert [_medical(earlier_for_these_arrears=n) for n in (0, 1, 2)] == [None, None, None]
    refusal = _medical(earlier_for_these_arrears=3)
    assert refusal and "renewed 2 times" in refusal and "Oct 1, 2026" in refusal


def test_without_arrears_nothing_is_counted() -> None:
    assert _medical(arrears_since=None, earlier_for_these_arrears=7) is None


def test_a_future_or_expired_certificate_is_refused() -> None:
    assert "future" in _medical(certified_on=dt.date(2026, 11, 21))
    assert "expired" in _medical(certified_on=dt.date(2026, 10, 1))


def test_the_renewals_are_a_setting() -> None:
    assert rules.medical_certificates_allowed(Policy(medical_certificate_renewals=0)) == 1


def test_a_notice_allows_a_cutoff_ten_days_later_on_a_business_day() -> None:
    policy = Policy(holidays=us_holidays([2026]))
    assert rules.notice_cutoff_on(policy, dt.date(2026, 11, 2)) == dt.date(2026, 11, 12)  # a Thursday
    assert rules.notice_cutoff_on(policy, dt.date(2026, 11, 4)) == dt.date(2026, 11, 16)  # Saturday -> Monday
    assert rules.notice_cutoff_on(policy, dt.date(2026, 11, 16)) == dt.date(
        2026, 11, 30
    )  # Thanksgiving and the day after


def test_the_next_disconnect_day_skips_fridays_weekends_and_holiday_eves() -> None:
    from portal.staff.rules import next_disconnect_day

    policy = POLICY
    assert next_disconnect_day(policy, dt.date(2026, 12, 4)) == dt.date(2026, 12, 7)  # Friday -> Monday
    assert next_disconnect_day(policy, dt.date(2026, 12, 8)) == dt.date(2026, 12, 8)  # a Tuesday stays
    assert next_disconnect_day(policy, dt.date(2026, 12, 24)) == dt.date(2026, 12, 28)  # holiday, Friday, weekend


def test_the_previous_disconnect_day_skips_back_over_fridays_weekends_and_holiday_eves() -> None:
    from portal.staff.rules import previous_disconnect_day

    assert previous_disconnect_day(POLICY, dt.date(2026, 12, 5)) == dt.date(2026, 12, 3)  # Saturday -> Thursday
    assert previous_disconnect_day(POLICY, dt.date(2026, 12, 9)) == dt.date(2026, 12, 8)  # Wednesday -> Tuesday
    assert previous_disconnect_day(POLICY, dt.date(2026, 12, 28)) == dt.date(2026, 12, 23)  # back over Christmas
