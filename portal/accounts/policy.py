"""Every number the business rules use, in one object (docs/policies.md). Rules are pure functions that take
this policy and plain values; nothing else in the code hard-codes a rate, a limit or a day count.

Defaults are drawn from published city policies. A city changes them with environment variables
(`POLICY_<FIELD>=value`, e.g. POLICY_LATE_FEE_PERCENT=5) without touching code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

# The largest single amount of money anyone may enter (a payment, a charge, an adjustment, a refund): a hard bound
# on input that no utility's bill reaches, not a setting. Forms, the lockbox file and the payment rules share it.
MAX_DOLLARS = Decimal("1000000.00")
MAX_CENTS = int(MAX_DOLLARS * 100)


@dataclass(frozen=True)
class Policy:
    # ---- billing -------------------------------------------------------------------------------------------
    days_until_due: int = 21
    late_fee_percent: int = 10
    late_fee_minimum_cents: int = 500
    max_consecutive_estimates: int = 3
    proration_days_per_month: int = 30
    winter_months: tuple[int, ...] = (12, 1, 2)
    residential_sewer_cap_gallons: int = 12_000
    bill_read_window_days: int = 7  # an actual read this close to the period end bills it; older: estimate
    late_fee_lookback_days: int = 30  # a late-fee run considers bills that fell past due this recently
    bill_run_chunk: int = 1000  # accounts per transaction in the bill run

    # ---- read validation -------------------------------------------------------------------------------------
    high_read_factor: float = 2.5
    low_read_factor: float = 0.3
    # What a meter of each size can pass in a day running flat out (gallons): above it a read is high whatever the
    # history says. "size:gallons" pairs, e.g. POLICY_READ_CEILING_GALLONS_PER_DAY="5/8:14400,1:36000".
    read_ceiling_gallons_per_day: str = "5/8:14400,3/4:21600,1:36000,1.5:72000,2:115200,3:230400,4:360000"
    read_history_days: int = 365  # reads this far back make the average daily usage

    # ---- field photos ----------------------------------------------------------------------------------------
    photo_max_bytes: int = 12_000_000
    photo_max_side_px: int = 8_000  # larger is refused (decompression bombs, panoramas)
    photo_min_side_px: int = 64
    photo_stored_side_px: int = 1_600  # what is kept: the phone sends at most this already
    photo_jpeg_quality: int = 85

    # ---- field sync ------------------------------------------------------------------------------------------
    sync_batch_max: int = 50

    # ---- visitors' outage reports (no sign-in) ---------------------------------------------------------------
    # Tries (found or not) from one client address an hour: a household, or an apartment block behind one address,
    # reports a few outages; a script does not get to walk the address list. Phones on one carrier can share an
    # address, so a city raises it in a storm rather than turn neighbours away.
    outage_reports_per_ip_per_hour: int = 20
    # Reports of one address an hour: one home tells us once or twice; its neighbours count against their own.
    outage_reports_per_address_per_hour: int = 3

    # ---- deposits --------------------------------------------------------------------------------------------
    deposit_average_multiple: int = 2
    deposit_new_premise_small_cents: int = 15_000  # meters up to 3/4"
    deposit_new_premise_large_cents: int = 20_000  # meters above 3/4"
    deposit_rounding_cents: int = 500
    deposit_commercial_minimum_cents: int = 17_500
    deposit_refund_after_on_time_payments: int = 12
    letter_of_credit_months_required: int = 12
    letter_of_credit_window_months: int = 18
    letter_of_credit_max_late_payments: int = 2

    # ---- payment extensions and arrangements -----------------------------------------------------------------
    extensions_per_12_months: int = 1
    extension_max_days: int = 14
    extension_no_return_months: int = 6
    arrangement_down_payment_percent: int = 50
    arrangement_max_instalments: int = 4
    arrangements_per_12_months: int = 1
    arrangement_down_payment_days: int = 2  # the down payment is due this many days after the grant

    # ---- start / stop / move service -------------------------------------------------------------------------
    service_request_max_days_ahead: int = 90  # the latest start or stop date a request may ask for
    high_use_alert_factor: float = 2.0  # a bill period's use above this x the same period's usual use: possible leak
    continuous_use_alert_days: int = 3  # reads showing use every day, never zero, for this many days: possible leak

    # ---- cut-off and reconnection ----------------------------------------------------------------------------
    cutoff_days_past_due: int = 30
    cutoff_minimum_past_due_cents: int = 5_000
    cutoff_notice_days_before: int = 10
    courtesy_contact_hours_before: int = 24
    medical_certificate_days: int = 30
    medical_certificate_renewals: int = 2
    weather_hold_low_f: int = 32
    weather_hold_high_f: int = 95
    payment_accepted_until: dt.time = dt.time(7, 30)
    reconnect_same_day_cutoff: dt.time = dt.time(15, 0)
    reconnect_fee_cents: int = 5_000
    reconnect_after_hours_fee_cents: int = 10_000
    business_hours_start: dt.time = dt.time(8, 0)  # a reconnection between these on a business day: the usual fee
    business_hours_end: dt.time = dt.time(17, 0)

    # ---- adjustments -----------------------------------------------------------------------------------------
    leak_adjustments_per_12_months: int = 1
    pool_fill_adjustments_per_year: int = 1
    vacation_garbage_min_months: int = 3
    billing_error_max_months_back: int = 12
    # A meter test passes when each flow (low, mid, high) is within this many tenths of a percent of 100 %; an
    # average beyond it on the high side over-registers and proposes a credit back at most this many months.
    meter_test_tolerance_tenths: int = 15
    meter_accuracy_max_months_back: int = 6
    adjustment_supervisor_threshold_cents: int = 25_000
    refund_supervisor_threshold_cents: int = 25_000  # a refund above this waits for a supervisor who did not ask
    rebill_supervisor_threshold_cents: int = 25_000  # a cancel-and-rebill changing a balance more waits for one too

    # ---- cases ------------------------------------------------------------------------------------------------
    dispute_due_days: int = 30  # a dispute is answered within this many days unless the CSR gives a date
    complaint_due_days: int = 10  # a complaint, likewise

    # ---- collection agency ------------------------------------------------------------------------------------
    collection_placement_days: int = 90  # a final bill unpaid this many days past its due date goes to the agency
    collection_minimum_cents: int = 2_500  # a smaller balance is not worth placing (it stays on the books)
    collection_agency_name: str = "Collection agency"  # the agency the placement file goes to, as staff read it

    # ---- bank draft ------------------------------------------------------------------------------------------
    draft_days_before_due: int = 0
    returned_payment_fee_cents: int = 3_000
    returns_to_suspend_autopay: int = 2
    autopay_authorization_retention_years: int = 2
    autopay_returns_window_days: int = 365

    # ---- online payments -------------------------------------------------------------------------------------
    online_payment_minimum_cents: int = 100
    online_payment_maximum_cents: int = 1_000_000
    # A payment more than this above what is owed asks "on purpose?" first (online and at the counter): $5,000 keyed
    # for $50 would leave a credit only a refund gives back.
    overpayment_confirm_cents: int = 10_000

    # ---- guest pay and sign-in -------------------------------------------------------------------------------
    # A household gets this many wrong tries on one account (per client address) before a 1-hour pause, with a
    # warning before the last; the account as a whole (every address) and one address across all accounts have
    # higher caps, so a family or an office behind one address is not refused for someone else's typos.
    guest_lookup_failures_per_client_per_hour: int = 6
    guest_lookup_failures_per_account_per_day: int = 20
    guest_lookup_failures_per_ip_per_hour: int = 30

    # ---- cash drawer -----------------------------------------------------------------------------------------
    drawer_shortage_flag_cents: int = 2_500

    # ---- calendar --------------------------------------------------------------------------------------------
    holidays: tuple[dt.date, ...] = field(default_factory=tuple)

    def read_ceiling_per_day(self, meter_size: str) -> int | None:
        """Gallons a meter of this size can pass in a day; None for a size the table does not list."""
        for pair in self.read_ceiling_gallons_per_day.split(","):
            size, _, gallons = pair.strip().partition(":")
            if size == meter_size and gallons.strip().isascii() and gallons.strip().isdigit():
                return int(gallons)
        return None

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def next_business_day(self, day: dt.date) -> dt.date:
        """The day itself if it is a business day, else the next one (weekends and holidays move forward)."""
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day


def _coerce(kind: type | str, raw: str) -> object:
    text = str(kind)
    if "int" in text and "tuple" not in text:
        return int(raw)
    if "float" in text:
        return float(raw)
    if "time" in text and "tuple" not in text:
        hour, minute = raw.split(":")
        return dt.time(int(hour), int(minute))
    if "tuple[dt.date" in text:
        return tuple(dt.date.fromisoformat(part.strip()) for part in raw.split(",") if part.strip())
    if "tuple[int" in text:
        return tuple(int(part) for part in raw.split(",") if part.strip())
    return raw


def policy_from_env(env: dict[str, str] | None = None) -> Policy:
    env = dict(os.environ if env is None else env)
    overrides: dict[str, Any] = {}  # each value coerced to its field's type
    for item in dataclasses.fields(Policy):
        raw = env.get(f"POLICY_{item.name.upper()}")
        if raw is not None:
            overrides[item.name] = _coerce(item.type, raw)
    if "holidays" not in overrides:
        overrides["holidays"] = us_holidays(range(2020, 2036))
    return Policy(**overrides)


@cache
def current_policy() -> Policy:
    return policy_from_env()


def us_holidays(years: range) -> tuple[dt.date, ...]:
    """The usual municipal holidays (observed on the nearest weekday when they fall on a weekend)."""

    def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
        day = dt.date(year, month, 1)
        day += dt.timedelta(days=(weekday - day.weekday()) % 7)
        return day + dt.timedelta(weeks=n - 1)

    def last_weekday(year: int, month: int, weekday: int) -> dt.date:
        day = dt.date(year, month + 1, 1) - dt.timedelta(days=1) if month < 12 else dt.date(year, 12, 31)
        return day - dt.timedelta(days=(day.weekday() - weekday) % 7)

    def observed(day: dt.date) -> dt.date:
        if day.weekday() == 5:
            return day - dt.timedelta(days=1)
        if day.weekday() == 6:
            return day + dt.timedelta(days=1)
        return day

    days: list[dt.date] = []
    for year in years:
        days += [
            observed(dt.date(year, 1, 1)),
            nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
            nth_weekday(year, 2, 0, 3),  # Presidents' Day
            last_weekday(year, 5, 0),  # Memorial Day
            observed(dt.date(year, 6, 19)),
            observed(dt.date(year, 7, 4)),
            nth_weekday(year, 9, 0, 1),  # Labor Day
            observed(dt.date(year, 11, 11)),
            nth_weekday(year, 11, 3, 4),  # Thanksgiving
            nth_weekday(year, 11, 3, 4) + dt.timedelta(days=1),
            observed(dt.date(year, 12, 25)),
        ]
    return tuple(sorted(set(days)))


# The range each number may take: a value outside is a typo or a misunderstanding (a fee of 150 %, a batch of 0),
# and the app refuses to start with it (portal/config.py). Every numeric field has its bounds here
# (tests/unit/test_config.py checks that none is missing).
BOUNDS: dict[str, tuple[float, float]] = {
    "days_until_due": (1, 90),
    "late_fee_percent": (0, 25),
    "late_fee_minimum_cents": (0, 10_000),
    "max_consecutive_estimates": (1, 12),
    "proration_days_per_month": (28, 31),
    "residential_sewer_cap_gallons": (0, 1_000_000),
    "bill_read_window_days": (0, 31),
    "late_fee_lookback_days": (1, 365),
    "bill_run_chunk": (1, 100_000),
    "high_read_factor": (1, 100),
    "low_read_factor": (0, 1),
    "read_history_days": (30, 3_650),
    "photo_max_bytes": (100_000, 50_000_000),
    "photo_max_side_px": (64, 20_000),
    "photo_min_side_px": (1, 4_096),
    "photo_stored_side_px": (64, 8_000),
    "photo_jpeg_quality": (30, 95),
    "sync_batch_max": (1, 500),
    "outage_reports_per_ip_per_hour": (1, 100_000),
    "outage_reports_per_address_per_hour": (1, 100),
    "deposit_average_multiple": (0, 6),
    "deposit_new_premise_small_cents": (0, 1_000_000),
    "deposit_new_premise_large_cents": (0, 1_000_000),
    "deposit_rounding_cents": (1, 10_000),
    "deposit_commercial_minimum_cents": (0, 10_000_000),
    "deposit_refund_after_on_time_payments": (1, 60),
    "letter_of_credit_months_required": (1, 60),
    "letter_of_credit_window_months": (1, 120),
    "letter_of_credit_max_late_payments": (0, 24),
    "extensions_per_12_months": (0, 12),
    "extension_max_days": (1, 90),
    "extension_no_return_months": (0, 24),
    "arrangement_down_payment_percent": (0, 100),
    "arrangement_max_instalments": (1, 24),
    "arrangements_per_12_months": (0, 12),
    "arrangement_down_payment_days": (0, 30),
    "service_request_max_days_ahead": (1, 365),
    "high_use_alert_factor": (1, 100),
    "continuous_use_alert_days": (1, 60),
    "cutoff_days_past_due": (1, 365),
    "cutoff_minimum_past_due_cents": (0, MAX_CENTS),
    "cutoff_notice_days_before": (1, 60),
    "courtesy_contact_hours_before": (0, 168),
    "medical_certificate_days": (1, 365),
    "medical_certificate_renewals": (0, 12),
    "weather_hold_low_f": (-60, 80),
    "weather_hold_high_f": (50, 130),
    "reconnect_fee_cents": (0, 100_000),
    "reconnect_after_hours_fee_cents": (0, 100_000),
    "leak_adjustments_per_12_months": (0, 12),
    "pool_fill_adjustments_per_year": (0, 12),
    "vacation_garbage_min_months": (0, 12),
    "billing_error_max_months_back": (0, 120),
    "meter_test_tolerance_tenths": (0, 200),
    "meter_accuracy_max_months_back": (0, 120),
    "adjustment_supervisor_threshold_cents": (0, MAX_CENTS),
    "refund_supervisor_threshold_cents": (0, MAX_CENTS),
    "rebill_supervisor_threshold_cents": (0, MAX_CENTS),
    "dispute_due_days": (1, 365),
    "complaint_due_days": (1, 365),
    "collection_placement_days": (30, 3_650),
    "collection_minimum_cents": (1, MAX_CENTS),
    "draft_days_before_due": (0, 30),
    "returned_payment_fee_cents": (0, 10_000),
    "returns_to_suspend_autopay": (1, 12),
    "autopay_authorization_retention_years": (2, 20),  # NACHA: keep an authorization two years after it ends
    "autopay_returns_window_days": (30, 3_650),
    "online_payment_minimum_cents": (1, MAX_CENTS),
    "online_payment_maximum_cents": (1, MAX_CENTS),
    "overpayment_confirm_cents": (0, MAX_CENTS),
    "guest_lookup_failures_per_client_per_hour": (1, 1_000),
    "guest_lookup_failures_per_account_per_day": (1, 1_000),
    "guest_lookup_failures_per_ip_per_hour": (1, 1_000),
    "drawer_shortage_flag_cents": (0, 100_000),
}

# Pairs whose first number must stay below (or at) the second.
ORDERED = (
    ("photo_min_side_px", "photo_stored_side_px"),
    ("photo_stored_side_px", "photo_max_side_px"),
    ("online_payment_minimum_cents", "online_payment_maximum_cents"),
    ("weather_hold_low_f", "weather_hold_high_f"),
    ("letter_of_credit_months_required", "letter_of_credit_window_months"),
    ("deposit_new_premise_small_cents", "deposit_new_premise_large_cents"),
    ("business_hours_start", "business_hours_end"),
)


def out_of_range(policy: Policy) -> list[str]:
    """Every number of the policy outside its bounds, and every pair out of order, as one line each (empty: fine)."""
    found = []
    for name, (low, high) in BOUNDS.items():
        value = getattr(policy, name)
        if not low <= value <= high:
            found.append(f"POLICY_{name.upper()}={value} is out of range ({low:,} to {high:,}).")
    for first, second in ORDERED:
        if getattr(policy, first) > getattr(policy, second):
            found.append(f"POLICY_{first.upper()} must not be above POLICY_{second.upper()}.")
    if any(not 1 <= month <= 12 for month in policy.winter_months):
        found.append(f"POLICY_WINTER_MONTHS={','.join(map(str, policy.winter_months))} names a month outside 1 to 12.")
    for pair in policy.read_ceiling_gallons_per_day.split(","):
        size, _, gallons = pair.strip().partition(":")
        if not size or not gallons.strip().isdigit() or int(gallons) <= 0:
            found.append(
                f"POLICY_READ_CEILING_GALLONS_PER_DAY has an entry that is not size:gallons ({pair.strip()!r})."
            )
    if not policy.collection_agency_name.strip() or len(policy.collection_agency_name) > 120:
        found.append("POLICY_COLLECTION_AGENCY_NAME must be a name of 1 to 120 characters.")
    return found
