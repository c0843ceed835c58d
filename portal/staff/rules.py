"""Staff business rules as pure functions (docs/design.md, section 4): adjustments (leak, pool fill, vacation garbage,
billing error, fee waiver), who approves them, and the cash drawer's balance. Plain values in, a decision out;
`today` is passed in and every number comes from the policy.

Amounts follow the ledger's sign: negative is a credit to the customer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from portal.accounts import adjustment_words, approval, case_rules, holds
from portal.accounts.errors import DomainError
from portal.accounts.policy import Policy
from portal.billing import pricing
from portal.billing.rates import Tier
from portal.i18n import format_date
from portal.i18n import gettext as _


class AdjustmentDenied(DomainError):
    """The rule does not allow this adjustment; the message says why, for the CSR to read out."""

    status_code = 422


@dataclass(frozen=True)
class Adjusted:
    amount_cents: int  # ledger sign: negative credits the customer
    key: str  # the explanation's message (portal/accounts/adjustment_words.py) and its plain numbers
    values: dict[str, Any]

    @property
    def explanation(self) -> str:
        """The rule's working in the current language."""
        return adjustment_words.render(self.key, self.values)

    @property
    def english(self) -> str:
        """What the adjustment stores (exports, audit)."""
        return adjustment_words.render_english(self.key, self.values)


@dataclass(frozen=True)
class VolumePrices:
    """What a bill charged per 1,000 gallons: water in tiers (up to N gallons, None for the top tier) and sewer at one
    rate on `sewer_billed_gallons` (the bill's sewer basis, which may already be capped)."""

    water_tiers: tuple[tuple[int | None, int], ...]  # ((up_to_gallons or None, cents per 1,000 gal), ...)
    sewer_cents_per_kgal: int
    sewer_billed_gallons: int


def money(cents: int) -> str:
    return f"${abs(cents) / 100:,.2f}"


def water_cost(tiers: Sequence[tuple[int | None, int]], gallons: int) -> int:
    """Volume charge for `gallons` through inclining tiers, priced as the bill prices them (billing/pricing.py)."""
    return pricing.water_cents([Tier(up_to, cents_per_kgal) for up_to, cents_per_kgal in tiers], gallons)


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def whole_months(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from start up to end (Jan 15 -> Apr 15 is 3, Jan 15 -> Apr 14 is 2)."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return max(0, months)


def _recent(dates: Iterable[dt.date], since: dt.date) -> int:
    return sum(1 for day in dates if day > since)


def leak(
    policy: Policy,
    *,
    today: dt.date,
    usage_gallons: int,
    average_gallons: int,
    prices: VolumePrices,
    proof_of_repair: bool,
    earlier_leak_adjustments: Iterable[dt.date] = (),
) -> Adjusted:
    """Bill the average usage plus half the excess for water, and sewer on the average alone."""
    if not proof_of_repair:
        raise AdjustmentDenied(_("A leak adjustment needs proof of repair (a plumber's invoice or parts receipt)."))
    if _recent(earlier_leak_adjustments, add_months(today, -12)) >= policy.leak_adjustments_per_12_months:
        raise AdjustmentDenied(_("This account already had a leak adjustment in the last 12 months."))
    if average_gallons <= 0:
        raise AdjustmentDenied(_("There is no usage history to average yet."))
    if usage_gallons <= average_gallons:
        raise AdjustmentDenied(_("This bill's usage is not above the average: there is nothing to adjust."))
    excess = usage_gallons - average_gallons
    rebilled = average_gallons + excess // 2
    water_credit = water_cost(prices.water_tiers, usage_gallons) - water_cost(prices.water_tiers, rebilled)
    sewer_basis = min(prices.sewer_billed_gallons, average_gallons)
    sewer_credit = pricing.volume_cents(
        prices.sewer_billed_gallons, prices.sewer_cents_per_kgal
    ) - pricing.volume_cents(sewer_basis, prices.sewer_cents_per_kgal)
    credit = water_credit + max(0, sewer_credit)
    values = {
        "usage": usage_gallons,
        "average": average_gallons,
        "rebilled": rebilled,
        "water": water_credit,
        "sewer_basis": sewer_basis,
        "sewer": max(0, sewer_credit),
    }
    return Adjusted(-credit, "leak", values)


def pool_fill(
    policy: Policy,
    *,
    today: dt.date,
    usage_gallons: int,
    average_gallons: int,
    prices: VolumePrices,
    earlier_pool_adjustments: Iterable[dt.date] = (),
) -> Adjusted:
    """Sewer credit for the water above the average that went into a pool, not the sewer; once a calendar year."""
    this_year = sum(1 for day in earlier_pool_adjustments if day.year == today.year)
    if this_year >= policy.pool_fill_adjustments_per_year:
        raise AdjustmentDenied(_("This account already had a pool-fill adjustment this year."))
    if usage_gallons <= average_gallons:
        raise AdjustmentDenied(_("This bill's usage is not above the average: there is nothing to adjust."))
    basis = min(prices.sewer_billed_gallons, average_gallons)
    credit = pricing.volume_cents(prices.sewer_billed_gallons, prices.sewer_cents_per_kgal) - pricing.volume_cents(
        basis, prices.sewer_cents_per_kgal
    )
    if credit <= 0:
        raise AdjustmentDenied(_("Sewer on this bill was already charged on no more than the average."))
    values = {"average": basis, "billed": prices.sewer_billed_gallons, "credit": credit}
    return Adjusted(-credit, "pool_fill", values)


def vacation_garbage(
    policy: Policy, *, requested_on: dt.date, vacant_from: dt.date, vacant_until: dt.date, monthly_cents: int
) -> Adjusted:
    """Solid-waste credit for a vacancy of at least the policy's months, counted from the request (never earlier)."""
    if vacant_until <= vacant_from:
        raise AdjustmentDenied(_("The vacancy must end after it starts."), field="vacant_until")
    if whole_months(vacant_from, vacant_until) < policy.vacation_garbage_min_months:
        raise AdjustmentDenied(
            _(
                "A vacancy must last at least %(months)d months for a garbage credit.",
                months=policy.vacation_garbage_min_months,
            )
        )
    start = max(vacant_from, requested_on)
    months = whole_months(start, vacant_until)
    if months <= 0:
        raise AdjustmentDenied(_("No credit is given for time before the request."))
    credit = months * monthly_cents
    values = {
        "months": months,
        "start": start.isoformat(),
        "end": vacant_until.isoformat(),
        "monthly": monthly_cents,
        "requested": requested_on.isoformat(),
    }
    return Adjusted(-credit, "vacation_garbage", values)


def billing_error(
    policy: Policy,
    *,
    today: dt.date,
    error_from: dt.date,
    per_bill_cents: int,
    bill_dates: Iterable[dt.date],
    overcharged: bool,
) -> Adjusted:
    """Correct each bill since the error, going back no further than the policy's months, whichever is shorter."""
    if error_from > today:
        raise AdjustmentDenied(_("The error date cannot be in the future."), field="error_from")
    if per_bill_cents <= 0:
        raise AdjustmentDenied(_("Enter how much each bill was wrong by."), field="amount")
    window_start = max(error_from, add_months(today, -policy.billing_error_max_months_back))
    bills = sorted(day for day in bill_dates if window_start <= day <= today)
    if not bills:
        raise AdjustmentDenied(_("No bill falls between the error date and today."))
    total = per_bill_cents * len(bills)
    values = {
        "count": len(bills),
        "start": window_start.isoformat(),
        "each": per_bill_cents,
        "months": policy.billing_error_max_months_back,
    }
    return Adjusted(-total if overcharged else total, "billing_error", values)


def fee_waiver(*, fee_cents: int, fee_kind: str, already_waived: bool) -> Adjusted:
    if fee_kind not in ("late_fee", "fee"):
        raise AdjustmentDenied(_("Only a fee can be waived."))
    if fee_cents <= 0:
        raise AdjustmentDenied(_("Only a fee can be waived."))
    if already_waived:
        raise AdjustmentDenied(_("This fee was already waived."))
    return Adjusted(-fee_cents, "fee_waiver", {"amount": fee_cents})


def meter_accuracy(
    policy: Policy,
    *,
    tested_on: dt.date,
    average_tenths: int,
    last_passed_on: dt.date | None,
    billed_usage: Iterable[tuple[dt.date, int]],
) -> Adjusted:
    """An over-registering meter (docs/policies.md, meter tests): credit the over-registered share of the usage
    charges billed since the meter's last passing test, going back no further than the policy's months. The share is
    (average - 100 %) / average: at 104 % the meter counted 104 gallons for every 100 used, so 4/104 of what was
    billed on it was never used. `billed_usage`: (period end, volume charges in cents) of each bill on the meter."""
    over = average_tenths - 1000
    if over <= policy.meter_test_tolerance_tenths:
        raise AdjustmentDenied(_("This meter does not over-register beyond the tolerance: there is nothing to credit."))
    window_start = add_months(tested_on, -policy.meter_accuracy_max_months_back)
    if last_passed_on is not None and last_passed_on > window_start:
        window_start = last_passed_on
    billed = [cents for end, cents in billed_usage if window_start < end <= tested_on]
    total = sum(billed)
    if total <= 0:
        raise AdjustmentDenied(_("No usage was billed on this meter since its last passing test."))
    credit = (total * over + average_tenths // 2) // average_tenths  # rounded to the nearest cent
    values = {
        "accuracy": f"{average_tenths / 10:.1f}",
        "count": len(billed),
        "start": window_start.isoformat(),
        "charged": total,
        "credit": credit,
        "months": policy.meter_accuracy_max_months_back,
    }
    return Adjusted(-credit, "meter_accuracy", values)


# ---- approval ---------------------------------------------------------------------------------------------------


def needs_approval(policy: Policy, amount_cents: int) -> bool:
    return abs(amount_cents) > policy.adjustment_supervisor_threshold_cents


may_decide = approval.may_decide  # who approves an adjustment over the limit: portal/accounts/approval.py


# ---- cash drawer ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawerBalance:
    expected: dict[str, int]  # cents by tender, float included in cash
    counted: dict[str, int]
    over_short: dict[str, int]  # counted - expected, by tender
    over_short_cents: int  # the total: negative is short
    flagged: bool  # a shortage beyond the policy's limit goes to a supervisor
    needs_reason: bool


TENDERS = ("cash", "check", "card")


def balance_drawer(
    policy: Policy, *, opening_float_cents: int, receipts: Iterable[tuple[str, int]], counted: Mapping[str, int]
) -> DrawerBalance:
    """Compare what was counted, by tender, with the float plus the drawer's receipts (voided ones left out)."""
    expected = dict.fromkeys(TENDERS, 0)
    expected["cash"] = opening_float_cents
    for tender, cents in receipts:
        expected[tender] += cents
    counted_all = {tender: int(counted.get(tender, 0)) for tender in TENDERS}
    over_short = {tender: counted_all[tender] - expected[tender] for tender in TENDERS}
    total = sum(over_short.values())
    return DrawerBalance(
        expected=expected,
        counted=counted_all,
        over_short=over_short,
        over_short_cents=total,
        flagged=total < -policy.drawer_shortage_flag_cents,
        needs_reason=total != 0,
    )


# ---- cut-off list -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CutoffFacts:
    """What the cut-off rule needs to know about one delinquent account on the cut-off day."""

    account_id: int
    past_due_cents: int
    oldest_past_due_on: dt.date | None
    active: bool  # account status allows a disconnect (active)
    # When the latest cut-off notice reached the resident (delivered, or printed in a mailing batch; None while it is
    # on its way or when it never arrived): the days before a disconnection count from here, not from its sending.
    last_notice_at: dt.datetime | None
    last_courtesy_at: dt.datetime | None  # the latest courtesy contact attempt
    medical_alert_until: dt.date | None
    extension_hold: bool
    arrangement_active: bool
    payment_pending: bool
    disputed_cents: int = 0  # the amount in open disputes: cut off only for the past due beyond it
    held_cents: int = 0  # an open bankruptcy's balance at the petition (already left out of past_due_cents)


@dataclass(frozen=True)
class CutoffDecision:
    account_id: int
    eligible: bool
    reasons: tuple[str, ...]  # why it is off the list (empty when eligible), in words
    codes: tuple[str, ...] = ()  # the same reasons as stable codes (inactive, too_recent, medical, no_notice...)
    needs_notice: bool = False
    needs_courtesy_call: bool = False


def disconnect_day_refusal(policy: Policy, day: dt.date, forecast_high_f: int | None = None) -> str | None:
    """Why no disconnection may happen on this day at all, or None when it may."""
    if day.weekday() == 4:
        return _("No disconnections on Fridays.")
    if day.weekday() >= 5:
        return _("No disconnections on weekends.")
    if day in policy.holidays:
        return _("No disconnections on holidays.")
    if (day + dt.timedelta(days=1)) in policy.holidays:
        return _("No disconnections on the day before a holiday.")
    if forecast_high_f is not None and forecast_high_f <= policy.weather_hold_low_f:
        return _("Weather hold: the forecast high is %(temp)d °F or colder.", temp=policy.weather_hold_low_f)
    if forecast_high_f is not None and forecast_high_f >= policy.weather_hold_high_f:
        return _("Weather hold: the forecast high is %(temp)d °F or hotter.", temp=policy.weather_hold_high_f)
    return None


def next_disconnect_day(policy: Policy, day: dt.date) -> dt.date:
    """The first day from `day` on when disconnections are allowed (the weather, not known ahead, is not counted)."""
    for ahead in range(60):
        candidate = day + dt.timedelta(days=ahead)
        if disconnect_day_refusal(policy, candidate) is None:
            return candidate
    return day  # a policy that forbids every day for two months: show the day asked for, with its refusal


def previous_disconnect_day(policy: Policy, day: dt.date) -> dt.date:
    """The last day before `day` when disconnections were allowed (the day before, when none in two months was)."""
    for back in range(1, 61):
        candidate = day - dt.timedelta(days=back)
        if disconnect_day_refusal(policy, candidate) is None:
            return candidate
    return day - dt.timedelta(days=1)


def cutoff_minimum_cents(policy: Policy) -> int:
    """Never cut off for less than it costs to reconnect (the domain's rule, portal/accounts/holds.py)."""
    return holds.cutoff_minimum_cents(policy)


def notice_cutoff_on(policy: Policy, sent_on: dt.date) -> dt.date:
    """The first day a cut-off notice sent on `sent_on` allows a disconnection: the policy's days later (10), moved
    to a business day. The notice tells the customer this date."""
    return policy.next_business_day(sent_on + dt.timedelta(days=policy.cutoff_notice_days_before))


def cutoff_decision(policy: Policy, facts: CutoffFacts, day: dt.date, cutoff_at: dt.datetime) -> CutoffDecision:
    """Whether this account may be disconnected on `day` (work starting at `cutoff_at`), with every reason it may not."""
    reasons: list[str] = []
    codes: list[str] = []
    days_late = (day - facts.oldest_past_due_on).days if facts.oldest_past_due_on else 0
    if not facts.active:
        codes.append("inactive")
        reasons.append(_("The account is not active."))
    if days_late < policy.cutoff_days_past_due:
        codes.append("too_recent")
        reasons.append(
            _("Past due %(days)d days; the rule needs %(needed)d.", days=days_late, needed=policy.cutoff_days_past_due)
        )
    cuttable = case_rules.cut_off_past_due(facts.past_due_cents, facts.disputed_cents)
    if cuttable < cutoff_minimum_cents(policy):
        codes.append("too_small")
        reasons.append(
            _(
                "Past due %(amount)s; the rule needs %(needed)s.",
                amount=money(cuttable),
                needed=money(cutoff_minimum_cents(policy)),
            )
        )
    if facts.medical_alert_until and facts.medical_alert_until >= day:
        codes.append("medical")
        reasons.append(_("Medical certification on file until %(date)s.", date=format_date(facts.medical_alert_until)))
    if facts.extension_hold:
        codes.append("extension")
        reasons.append(_("An active payment extension."))
    if facts.arrangement_active:
        codes.append("arrangement")
        reasons.append(_("An active payment arrangement."))
    if facts.payment_pending:
        codes.append("payment_pending")
        reasons.append(_("A payment is pending."))
    if facts.disputed_cents > 0 and cuttable < cutoff_minimum_cents(policy):
        codes.append("dispute")
        reasons.append(_("%(amount)s is disputed.", amount=money(facts.disputed_cents)))
    if facts.held_cents > 0 and cuttable < cutoff_minimum_cents(policy):
        codes.append("bankruptcy")
        reasons.append(_("Bankruptcy: %(amount)s owed at the petition is held.", amount=money(facts.held_cents)))
    notice_by = dt.datetime.combine(
        day - dt.timedelta(days=policy.cutoff_notice_days_before), dt.time(23, 59, 59), cutoff_at.tzinfo
    )
    notice_ok = (
        facts.last_notice_at is not None
        and facts.last_notice_at <= notice_by
        and (facts.oldest_past_due_on is None or facts.last_notice_at.date() >= facts.oldest_past_due_on)
    )
    if not notice_ok:
        codes.append("no_notice")
        reasons.append(
            _(
                "No cut-off notice delivered or printed at least %(days)d days before.",
                days=policy.cutoff_notice_days_before,
            )
        )
    courtesy_ok = facts.last_courtesy_at is not None and facts.last_courtesy_at <= cutoff_at - dt.timedelta(
        hours=policy.courtesy_contact_hours_before
    )
    if not courtesy_ok:
        codes.append("no_courtesy")
        reasons.append(
            _("No courtesy contact at least %(hours)d hours before.", hours=policy.courtesy_contact_hours_before)
        )
    return CutoffDecision(
        facts.account_id,
        not reasons,
        tuple(reasons),
        tuple(codes),
        needs_notice=not notice_ok,
        needs_courtesy_call=not courtesy_ok,
    )


def medical_certificate_until(policy: Policy, certified_on: dt.date) -> dt.date:
    """A medical certification holds off disconnection for the policy's number of days from the doctor's date."""
    return certified_on + dt.timedelta(days=policy.medical_certificate_days)


def medical_certification_refusal(
    policy: Policy,
    *,
    today: dt.date,
    certified_on: dt.date,
    arrears_since: dt.date | None,
    earlier_for_these_arrears: int,
) -> str | None:
    """Why this certificate cannot be recorded, or None. For the same arrears (the same oldest past-due date) a
    certification may be renewed the policy's number of times: 1 + 2 certificates in all by default. Without
    arrears nothing is counted."""
    if certified_on > today:
        return _("The certificate date cannot be in the future.")
    if medical_certificate_until(policy, certified_on) < today:
        return _("That certificate has already expired.")
    if arrears_since is not None and earlier_for_these_arrears >= medical_certificates_allowed(policy):
        return _(
            "A medical certification was already renewed %(renewals)d times for these arrears (past due since "
            "%(date)s): it cannot hold off disconnection again until they are paid.",
            renewals=policy.medical_certificate_renewals,
            date=format_date(arrears_since),
        )
    return None


def medical_certificates_allowed(policy: Policy) -> int:
    """Certificates that may hold off disconnection for the same arrears: the first and its renewals."""
    return 1 + policy.medical_certificate_renewals


# ---- payment arrangements ---------------------------------------------------------------------------------------


class ArrangementRefused(DomainError):
    status_code = 422


@dataclass(frozen=True)
class ArrangementPlan:
    total_cents: int
    down_payment_cents: int
    instalments: tuple[tuple[dt.date, int], ...]  # (due on, cents)


def arrangement_plan(
    policy: Policy,
    *,
    today: dt.date,
    past_due_cents: int,
    instalments: int,
    earlier_arrangements: Iterable[dt.date] = (),
    account_in_collections: bool = False,
) -> ArrangementPlan:
    """Half down (the policy's percent, rounded up to the cent), the rest in equal monthly instalments alongside the
    current bills; at most the policy's number of instalments and of arrangements in 12 months."""
    if past_due_cents <= 0:
        raise ArrangementRefused(_("Nothing is past due: there is nothing to arrange."))
    if account_in_collections:
        raise ArrangementRefused(_("An account in collections cannot get an arrangement."))
    if not 1 <= instalments <= policy.arrangement_max_instalments:
        raise ArrangementRefused(
            _("Choose from 1 to %(max)d instalments.", max=policy.arrangement_max_instalments), field="instalments"
        )
    if _recent(earlier_arrangements, add_months(today, -12)) >= policy.arrangements_per_12_months:
        raise ArrangementRefused(_("This account already had a payment arrangement in the last 12 months."))
    down = -(-past_due_cents * policy.arrangement_down_payment_percent // 100)
    rest = past_due_cents - down
    base, extra = divmod(rest, instalments)
    plan = tuple((add_months(today, n + 1), base + (1 if n < extra else 0)) for n in range(instalments))
    return ArrangementPlan(past_due_cents, down, plan)


@dataclass(frozen=True)
class ArrangementFacts:
    """What an arrangement's outcome depends on. Amounts are positive cents."""

    starts_on: dt.date
    down_payment_cents: int
    down_payment_due_on: dt.date
    instalments: tuple[tuple[dt.date, int], ...]  # (due on, cents)
    current_charges: tuple[
        tuple[dt.date, int], ...
    ]  # (due on, cents): the bills that were not yet past due at the start
    credits: tuple[tuple[dt.date, int], ...]  # (posted on, cents) from the start on, returned payments left out
    returned_on: dt.date | None = None  # the first payment returned by the bank (or charged back) since the start


@dataclass(frozen=True)
class ArrangementOutcome:
    status: str | None  # "completed", "broken", or None while it runs
    note: str = ""
    missed_on: dt.date | None = None


def arrangement_outcome(facts: ArrangementFacts, on: dt.date) -> ArrangementOutcome:
    """Broken by a returned payment, or by a missed payment: on each due date that has passed, the credits since the
    start must cover the down payment and instalments due by then and the current bills (which are paid alongside
    the instalments) due by then. Completed once the arranged total and the current bills due so far are paid."""
    if facts.returned_on is not None:
        return ArrangementOutcome(
            "broken", _("A payment was returned on %(date)s.", date=format_date(facts.returned_on)), facts.returned_on
        )
    arranged = ((facts.down_payment_due_on, facts.down_payment_cents), *facts.instalments)
    for day in sorted({d for d, _c in arranged} | {d for d, _c in facts.current_charges}):
        if day >= on:
            break
        owed = sum(c for d, c in arranged if d <= day) + sum(c for d, c in facts.current_charges if d <= day)
        paid = sum(c for d, c in facts.credits if d <= day)
        if paid >= owed:
            continue
        due_today = sum(c for d, c in arranged if d == day)
        if day == facts.down_payment_due_on:
            note = _(
                "The down payment of %(amount)s due %(date)s was not paid.",
                amount=money(facts.down_payment_cents),
                date=format_date(day),
            )
        elif due_today:
            note = _(
                "The instalment of %(amount)s due %(date)s was not paid.",
                amount=money(due_today),
                date=format_date(day),
            )
        else:
            note = _("The bill due %(date)s was not paid with the instalments.", date=format_date(day))
        return ArrangementOutcome("broken", note, day)
    total = sum(c for _d, c in arranged) + sum(c for d, c in facts.current_charges if d < on)
    if sum(c for d, c in facts.credits if d <= on) >= total:
        return ArrangementOutcome(
            "completed", _("Paid in full: %(amount)s.", amount=money(sum(c for _d, c in arranged)))
        )
    return ArrangementOutcome(None)


def change_due(amount_cents: int, tendered_cents: int | None) -> int:
    """The change for a cash payment: what was handed over less the amount (nothing handed over means exact cash).
    Handing over less than the amount is a mistake to fix at the counter, not a partial payment."""
    if tendered_cents is None:
        return 0
    if tendered_cents < amount_cents:
        raise DomainError(
            _(
                "The cash handed over (%(tendered)s) is less than the amount (%(amount)s).",
                tendered=money(tendered_cents),
                amount=money(amount_cents),
            ),
            field="tendered",
        )
    return tendered_cents - amount_cents
