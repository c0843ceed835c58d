"""The deposit a new account must pay (docs/design.md, section 4, Deposit): the rule as a pure function with its reason
in words, the letter-of-credit waiver, and the services that look up a premise's bill history and record the deposit.

Start service (resident and staff) and the staff console's deposit pages call these; the numbers live in policy.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import format_money
from portal.i18n import gettext as _

from . import arrears, audit, ledger, ledger_words
from .actor import Actor
from .models import (
    Account,
    AccountClass,
    AccountStatus,
    Bill,
    Deposit,
    DepositStatus,
    LedgerEntry,
    LedgerKind,
    Meter,
    MeterKind,
)
from .policy import Policy

# The rule names stored on the deposit row (what set the amount).
RULE_AVERAGE = "average_12m"
RULE_NEW_PREMISE_SMALL = "new_premise_small_meter"
RULE_NEW_PREMISE_LARGE = "new_premise_large_meter"
RULE_COMMERCIAL_AVERAGE = "commercial_average"
RULE_COMMERCIAL_MINIMUM = "commercial_minimum"
RULE_LETTER_OF_CREDIT = "letter_of_credit"
RULE_GOOD_RECORD = "good_record"  # a move: the customer's own on-time record with us waives it


# ---- pure rules ----------------------------------------------------------------------------------------------


def meter_inches(size: str | None) -> Fraction:
    """'5/8' -> 5/8, '1.5' -> 3/2, '1 1/2' -> 3/2; an unknown size counts as the smallest (the cheaper deposit)."""
    text = (size or "").replace('"', "").strip()
    try:
        return sum((Fraction(part) for part in text.split()), Fraction(0)) if text else Fraction(5, 8)
    except (ValueError, ZeroDivisionError):
        return Fraction(5, 8)


def round_to(cents: int, step: int) -> int:
    """Nearest multiple of step, halves up ($47.50 -> $50 with a $5 step)."""
    if step <= 1:
        return cents
    return (cents + step // 2) // step * step


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end (Jan 15 -> Mar 14 is 1, -> Mar 15 is 2)."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


@dataclass(frozen=True)
class LetterOfCredit:
    """What a letter from the applicant's previous utility says."""

    utility: str
    service_from: dt.date
    service_to: dt.date | None  # None: still served there
    late_payments: int
    disconnects: int
    returned_payments: int


@dataclass(frozen=True)
class LetterCheck:
    accepted: bool
    months_in_window: int
    problems: tuple[str, ...]  # why it does not waive the deposit, in words


def check_letter(policy: Policy, letter: LetterOfCredit, today: dt.date) -> LetterCheck:
    """A letter waives the deposit with N months of service in the last M, at most K late payments, and no
    disconnects or returned payments."""
    window_start = add_months(today, -policy.letter_of_credit_window_months)
    served_from = max(letter.service_from, window_start)
    served_to = min(letter.service_to or today, today)
    months = months_between(served_from, served_to) if served_to >= served_from else 0
    problems: list[str] = []
    if months < policy.letter_of_credit_months_required:
        problems.append(
            _(
                "The letter shows %(months)s months of service in the last %(window)s; %(needed)s are needed.",
                months=months,
                window=policy.letter_of_credit_window_months,
                needed=policy.letter_of_credit_months_required,
            )
        )
    if letter.late_payments > policy.letter_of_credit_max_late_payments:
        problems.append(
            _(
                "The letter shows %(late)s late payments; at most %(max)s are allowed.",
                late=letter.late_payments,
                max=policy.letter_of_credit_max_late_payments,
            )
        )
    if letter.disconnects > 0:
        problems.append(_("The letter shows a disconnection for non-payment."))
    if letter.returned_payments > 0:
        problems.append(_("The letter shows a returned payment."))
    return LetterCheck(not problems, months, tuple(problems))


@dataclass(frozen=True)
class DepositDecision:
    required_cents: int  # what is owed: 0 when waived
    computed_cents: int  # what the rule computed before any waiver
    rule: str
    reason: str  # the rule's reason in words, as the resident sees it
    waived: bool = False
    letter: LetterCheck | None = None


def average_monthly_cents(monthly_bills_cents: Sequence[int]) -> int | None:
    bills = [c for c in monthly_bills_cents if c > 0]
    if not bills:
        return None
    return round(sum(bills) / len(bills))


def compute_deposit(
    policy: Policy,
    *,
    account_class: AccountClass,
    monthly_bills_cents: Sequence[int],
    meter_size: str | None,
    letter: LetterOfCredit | None = None,
    today: dt.date,
    on_time_bills: int | None = None,
) -> DepositDecision:
    """The deposit for a new account at a premise, from the premise's bills in the last 12 months.

    Residential: twice the average monthly bill; a premise without 12-month history pays a flat amount by meter size.
    Commercial: twice the average, never less than the commercial minimum. Rounded to the policy's step.
    A qualifying letter of credit from a prior utility waives it. So does, on a move, the customer's own record with
    us (`on_time_bills`: the latest bills in a row paid on time on the account being left), by the same count that
    earns a held deposit back: a customer whose deposit would be refunded is not asked for a new one.
    """
    average = average_monthly_cents(monthly_bills_cents)
    multiple = policy.deposit_average_multiple
    step = policy.deposit_rounding_cents
    if account_class == AccountClass.COMMERCIAL:
        computed = round_to(multiple * (average or 0), step)
        if computed >= policy.deposit_commercial_minimum_cents:
            rule = RULE_COMMERCIAL_AVERAGE
            reason = _(
                "%(multiple)s times the average monthly bill at this address over the last 12 months (%(average)s), "
                "rounded to the nearest %(step)s.",
                multiple=multiple,
                average=format_money(average or 0),
                step=format_money(step),
            )
        else:
            computed = policy.deposit_commercial_minimum_cents
            rule = RULE_COMMERCIAL_MINIMUM
            reason = _(
                "The minimum deposit for a business account (%(minimum)s): %(multiple)s times the average monthly "
                "bill at this address is less.",
                minimum=format_money(computed),
                multiple=multiple,
            )
    elif average is None:
        small = meter_inches(meter_size) <= Fraction(3, 4)
        computed = round_to(
            policy.deposit_new_premise_small_cents if small else policy.deposit_new_premise_large_cents, step
        )
        rule = RULE_NEW_PREMISE_SMALL if small else RULE_NEW_PREMISE_LARGE
        if small:
            reason = _(
                "This address has no bills in the last 12 months, so the deposit is the flat amount for a meter "
                "of 3/4 inch or smaller (%(amount)s).",
                amount=format_money(computed),
            )
        else:
            reason = _(
                "This address has no bills in the last 12 months, so the deposit is the flat amount for a meter "
                "larger than 3/4 inch (%(amount)s).",
                amount=format_money(computed),
            )
    else:
        computed = round_to(multiple * average, step)
        rule = RULE_AVERAGE
        reason = _(
            "%(multiple)s times the average monthly bill at this address over the last 12 months (%(average)s), "
            "rounded to the nearest %(step)s.",
            multiple=multiple,
            average=format_money(average),
            step=format_money(step),
        )
    if on_time_bills is not None and good_record_refund_due(policy, streak=on_time_bills):
        return DepositDecision(
            0,
            computed,
            RULE_GOOD_RECORD,
            _(
                "Waived: the last %(count)s bills on the account being left were paid on time. Without that record "
                "the deposit would be %(amount)s.",
                count=on_time_bills,
                amount=format_money(computed),
            ),
            waived=True,
        )
    if letter is None:
        return DepositDecision(computed, computed, rule, reason)
    check = check_letter(policy, letter, today)
    if check.accepted:
        return DepositDecision(
            0,
            computed,
            RULE_LETTER_OF_CREDIT,
            _(
                "Waived: the letter of credit from %(utility)s shows %(months)s months of service with a good payment "
                "record. Without it the deposit would be %(amount)s.",
                utility=letter.utility,
                months=check.months_in_window,
                amount=format_money(computed),
            ),
            waived=True,
            letter=check,
        )
    return DepositDecision(
        computed,
        computed,
        rule,
        reason + " " + _("The letter of credit does not waive it:") + " " + " ".join(check.problems),
        letter=check,
    )


# ---- services ------------------------------------------------------------------------------------------------


async def premise_monthly_bills(session: AsyncSession, premise_id: int, today: dt.date) -> list[int]:
    """Bill totals at this premise (whoever was the customer) dated in the last 12 months, final bills left out."""
    since = add_months(today, -12)
    rows = await session.scalars(
        select(Bill.total_cents)
        .join(Account, Account.id == Bill.account_id)
        .where(
            Account.premise_id == premise_id,
            Bill.bill_date > since,
            Bill.bill_date <= today,
            Bill.final.is_(False),
            Bill.cancelled_on.is_(None),  # a corrected period counts once, at its replacement's total
        )
    )
    return [int(c) for c in rows]


async def premise_meter_size(session: AsyncSession, premise_id: int) -> str | None:
    return await session.scalar(
        select(Meter.size)
        .where(Meter.premise_id == premise_id, Meter.kind == MeterKind.WATER, Meter.removed_on.is_(None))
        .order_by(Meter.id.desc())
        .limit(1)
    )


async def quote(
    session: AsyncSession,
    policy: Policy,
    *,
    premise_id: int,
    account_class: AccountClass,
    today: dt.date,
    letter: LetterOfCredit | None = None,
    moving_from: int | None = None,
) -> DepositDecision:
    """`moving_from`: the account a move leaves, whose payment record may waive the deposit."""
    return compute_deposit(
        policy,
        account_class=account_class,
        monthly_bills_cents=await premise_monthly_bills(session, premise_id, today),
        meter_size=await premise_meter_size(session, premise_id),
        letter=letter,
        today=today,
        on_time_bills=await on_time_bills(session, moving_from, None, today) if moving_from is not None else None,
    )


def _letter_note(letter: LetterOfCredit, check: LetterCheck) -> str:
    return (
        f"Letter of credit from {letter.utility}: service {letter.service_from.isoformat()} to "
        f"{letter.service_to.isoformat() if letter.service_to else 'present'} ({check.months_in_window} months in window), "
        f"{letter.late_payments} late, {letter.disconnects} disconnects, {letter.returned_payments} returned. "
        "To be verified against the letter."
    )


async def require(
    session: AsyncSession,
    actor: Actor,
    account: Account,
    decision: DepositDecision,
    *,
    today: dt.date,
    letter: LetterOfCredit | None = None,
) -> Deposit:
    """Record the deposit on a new account. A required deposit is billed to the ledger once (keyed by the deposit)."""
    deposit = Deposit(
        account_id=account.id,
        required_cents=decision.required_cents,
        rule=decision.rule,
        reason=decision.reason[:300],
        status=DepositStatus.WAIVED if decision.waived else DepositStatus.REQUIRED,
        waiver_note=_letter_note(letter, decision.letter) if letter and decision.letter else None,
        paid_cents=0,
        interest_cents=0,
    )
    session.add(deposit)
    await session.flush()
    await audit.record(
        session,
        actor,
        "deposit.require",
        "deposit",
        deposit.id,
        account_id=account.id,
        after={
            "required_cents": deposit.required_cents,
            "computed_cents": decision.computed_cents,
            "rule": deposit.rule,
            "status": deposit.status,
            "waiver_note": deposit.waiver_note,
        },
    )
    if decision.required_cents > 0:
        await ledger.post(
            session,
            actor,
            account_id=account.id,
            kind=LedgerKind.DEPOSIT_BILLED,
            amount_cents=decision.required_cents,
            source_key=f"deposit:{deposit.id}:billed",
            effective_on=today,
            memo=ledger_words.memo("deposit_billed"),
        )
    return deposit


async def withdraw(session: AsyncSession, actor: Actor, deposit: Deposit, *, reason: str, today: dt.date) -> None:
    """A start request was cancelled before service began: reverse the billed deposit (nothing was paid yet)."""
    billed = await session.scalar(
        select(func.min(LedgerEntry.id)).where(LedgerEntry.source_key == f"deposit:{deposit.id}:billed")
    )
    if billed is not None:
        await ledger.reverse(session, actor, billed, reason=reason, effective_on=today)
    before = {"status": deposit.status}
    deposit.status = DepositStatus.WAIVED
    deposit.waiver_note = ((deposit.waiver_note or "") + f" Withdrawn: {reason}").strip()[:2000]
    deposit.settled_on = today
    await session.flush()
    await audit.record(
        session,
        actor,
        "deposit.withdraw",
        "deposit",
        deposit.id,
        account_id=deposit.account_id,
        before=before,
        after={"status": deposit.status, "reason": reason},
    )


async def for_account(session: AsyncSession, account_id: int) -> Deposit | None:
    return await session.scalar(
        select(Deposit).where(Deposit.account_id == account_id).order_by(Deposit.id.desc()).limit(1)
    )


# ---- paid, held, returned after a good record ------------------------------------------------------------------
#
# A required deposit is billed as a charge (`deposit:<id>:billed`) and paid like any other charge: credits pay the
# oldest charges first. When credits cover the deposit charge the deposit is held (`paid_cents` = what is covered);
# a payment the bank returns un-pays it again. After the policy's run of bills paid on time, a held deposit is
# applied to the balance, and any credit that leaves is refunded from the staff console.


def deposit_covered_cents(
    charges: Sequence[tuple[dt.date, int, int]], credits_cents: int, deposit_entry_id: int
) -> int:
    """How much of the billed deposit (the charge whose entry id is `deposit_entry_id`) the account's credits have
    paid. charges: (due date, entry id, positive cents); credits pay the oldest first (as `arrears.allocate` does),
    charges due the same day in the order they were posted."""
    remaining = max(credits_cents, 0)
    for _due_on, entry_id, cents in sorted(charges):
        paid = min(cents, remaining)
        if entry_id == deposit_entry_id:
            return paid
        remaining -= paid
    return 0


def on_time_streak(
    due_dates: Sequence[dt.date], charges: Sequence[tuple[dt.date, int]], credits: Sequence[tuple[dt.date, int]]
) -> int:
    """How many of the latest bills in a row were paid on time: by each bill's due date, the credits posted so far
    covered every charge due by then. charges: (due date, cents); credits: (effective date, positive cents)."""
    streak = 0
    for due in sorted(set(due_dates), reverse=True):
        owed = sum(cents for day, cents in charges if day <= due)
        paid = sum(cents for day, cents in credits if day <= due)
        if paid < owed:
            break
        streak += 1
    return streak


def good_record_refund_due(policy: Policy, *, streak: int) -> bool:
    return streak >= policy.deposit_refund_after_on_time_payments


def _deposit_state(deposit: Deposit) -> dict[str, object]:
    return {"status": deposit.status, "paid_cents": deposit.paid_cents}


async def record_paid(
    session: AsyncSession, actor: Actor, deposits_: Sequence[Deposit], *, on: dt.date
) -> list[Deposit]:
    """Bring each required or held deposit's `paid_cents` and status in line with the ledger as of `on`: held once
    the deposit charge is paid in full, required again when a returned payment un-pays it. Returns the deposits that
    changed (each with its audit row); a second call changes nothing."""
    open_ = [d for d in deposits_ if d.status in (DepositStatus.REQUIRED, DepositStatus.HELD) and d.required_cents > 0]
    if not open_:
        return []
    billed = dict(
        (
            await session.execute(
                select(LedgerEntry.source_key, LedgerEntry.id).where(
                    LedgerEntry.source_key.in_([f"deposit:{d.id}:billed" for d in open_])
                )
            )
        ).all()
    )
    entries = await arrears.settled_entries(session, sorted({d.account_id for d in open_}), on)
    changed = []
    for deposit in open_:
        entry_id = billed.get(f"deposit:{deposit.id}:billed")
        if entry_id is None:
            continue  # recorded before deposits were billed to the ledger: nothing to follow
        rows = entries[deposit.account_id]
        covered = deposit_covered_cents(
            [row for row in rows if row[2] > 0], -sum(c for _d, _i, c in rows if c < 0), entry_id
        )
        covered = min(covered, deposit.required_cents)
        status = DepositStatus.HELD if covered >= deposit.required_cents else DepositStatus.REQUIRED
        if covered == deposit.paid_cents and status == deposit.status:
            continue
        before = _deposit_state(deposit)
        deposit.paid_cents = covered
        deposit.status = status
        await session.flush()
        await audit.record(
            session,
            actor,
            "deposit.paid",
            "deposit",
            deposit.id,
            account_id=deposit.account_id,
            before=before,
            after=_deposit_state(deposit),
        )
        changed.append(deposit)
    return changed


async def record_paid_for_account(
    session: AsyncSession, actor: Actor, account_id: int, *, on: dt.date
) -> list[Deposit]:
    """After a payment: the account's open deposit, if its charge is now paid (every payment channel calls this)."""
    deposit = await for_account(session, account_id)
    return await record_paid(session, actor, [deposit], on=on) if deposit is not None else []


def applied_key(deposit_id: int) -> str:
    """The one ledger key of a deposit's application (at the final bill, after a good record, or by staff)."""
    return f"deposit:{deposit_id}:applied"


def unbilled_key(deposit_id: int) -> str:
    return f"deposit:{deposit_id}:unbilled"


def final_settlement(required_cents: int, paid_cents: int, interest_cents: int, *, billed: bool) -> tuple[int, int]:
    """At the final bill a deposit secures nothing more: what was paid of it (with interest) is applied to the bill,
    and the part of a billed deposit never paid is taken off the balance, since it is not owed once service ends.
    Returns (applied, unbilled) in cents."""
    paid = max(min(paid_cents, required_cents), 0)
    return paid + max(interest_cents, 0), (required_cents - paid if billed else 0)


async def settle_at_final_bills(
    session: AsyncSession, actor: Actor, final_bills: Mapping[int, int], *, on: dt.date
) -> int:
    """Settle the open deposits of many accounts at their final bills ({account id: final bill id}) in one go, as
    `final_settlement` says: each ledger entry is posted once by its key (tied to the bill), and a deposit that
    someone else settled meanwhile is left alone. The bill run calls this; returns how many deposits it settled."""
    if not final_bills:
        return 0
    open_ = list(
        await session.scalars(
            select(Deposit)
            .where(
                Deposit.account_id.in_(list(final_bills)),
                Deposit.status.in_([DepositStatus.REQUIRED, DepositStatus.HELD]),
            )
            .order_by(Deposit.id)
        )
    )
    if not open_:
        return 0
    billed_keys = {f"deposit:{d.id}:billed": d.id for d in open_}
    billed = {
        billed_keys[key]
        for key in await session.scalars(
            select(LedgerEntry.source_key).where(LedgerEntry.source_key.in_(list(billed_keys)))
        )
    }
    settlements: list[tuple[Deposit, list[ledger.NewEntry]]] = []
    for deposit in open_:
        applied, unbilled = final_settlement(
            deposit.required_cents, deposit.paid_cents, deposit.interest_cents, billed=deposit.id in billed
        )
        bill_id = final_bills[deposit.account_id]
        entries = []
        if applied > 0:
            entries.append(
                ledger.NewEntry(
                    deposit.account_id,
                    LedgerKind.DEPOSIT_APPLIED,
                    -applied,
                    applied_key(deposit.id),
                    on,
                    ledger_words.memo("deposit_final_bill"),
                    bill_id,
                )
            )
        if unbilled > 0:
            entries.append(
                ledger.NewEntry(
                    deposit.account_id,
                    LedgerKind.ADJUSTMENT,
                    -unbilled,
                    unbilled_key(deposit.id),
                    on,
                    ledger_words.memo("deposit_unbilled"),
                    bill_id,
                )
            )
        settlements.append((deposit, entries))
    posted = await ledger.post_many(session, actor, [entry for _, entries in settlements for entry in entries])
    settled = 0
    for deposit, entries in settlements:
        if entries and not any(entry.source_key in posted for entry in entries):
            continue  # settled by someone else meanwhile
        before = {"status": deposit.status, "paid_cents": deposit.paid_cents}
        deposit.status = DepositStatus.APPLIED
        deposit.settled_on = on
        await audit.record(
            session,
            actor,
            "deposit.apply",
            "deposit",
            deposit.id,
            account_id=deposit.account_id,
            before=before,
            after={
                "status": DepositStatus.APPLIED,
                **{
                    ("applied_cents" if e.kind == LedgerKind.DEPOSIT_APPLIED else "unbilled_cents"): -e.amount_cents
                    for e in entries
                },
            },
        )
        settled += 1
    return settled


async def apply_to_balance(
    session: AsyncSession, actor: Actor, deposit: Deposit, *, today: dt.date, memo: str, action: str = "deposit.apply"
) -> int:
    """Apply a held deposit (and its interest) to the account's balance as one credit, once; any credit it leaves is
    refunded from the staff console. Returns the cents applied."""
    amount = deposit.paid_cents + deposit.interest_cents
    if deposit.status != DepositStatus.HELD or amount <= 0:
        return 0
    await ledger.post(
        session,
        actor,
        account_id=deposit.account_id,
        kind=LedgerKind.DEPOSIT_APPLIED,
        amount_cents=-amount,
        source_key=applied_key(deposit.id),
        effective_on=today,
        memo=memo,
    )
    before = {"status": deposit.status}
    deposit.status = DepositStatus.APPLIED
    deposit.settled_on = today
    await session.flush()
    await audit.record(
        session,
        actor,
        action,
        "deposit",
        deposit.id,
        account_id=deposit.account_id,
        before=before,
        after={"status": deposit.status, "amount_cents": amount},
    )
    return amount


async def good_record_streak(session: AsyncSession, deposit: Deposit, on: dt.date) -> int:
    """Bills since the deposit was required, paid on time in a row (latest first), as of `on`."""
    return await on_time_bills(session, deposit.account_id, deposit.created_at.date(), on)


async def on_time_bills(session: AsyncSession, account_id: int, since: dt.date | None, on: dt.date) -> int:
    """An account's bills due before `on` (and from `since`), paid on time in a row, latest first."""
    due = select(Bill.due_date).where(Bill.account_id == account_id, Bill.due_date < on, Bill.cancelled_on.is_(None))
    due_dates = list(await session.scalars(due.where(Bill.due_date >= since) if since else due))
    rows = (await arrears.settled_entries(session, [account_id], on))[account_id]
    return on_time_streak(
        due_dates, [(due, c) for due, _i, c in rows if c > 0], [(day, -c) for day, _i, c in rows if c < 0]
    )


@dataclass
class DepositCheck:
    checked: int = 0
    now_held: int = 0
    unpaid_again: int = 0
    returned: int = 0
    returned_cents: int = 0


async def check(session: AsyncSession, actor: Actor, policy: Policy, *, on: dt.date) -> DepositCheck:
    """The daily deposit job (`portal deposits-check`): follow payments of billed deposits (and bank returns), then
    apply each held deposit whose account paid the policy's number of bills on time in a row. Safe to run twice:
    a deposit changes only when the ledger says it must, and an applied deposit is applied once by its key."""
    tally = DepositCheck()
    query = select(Deposit).where(Deposit.status.in_([DepositStatus.REQUIRED, DepositStatus.HELD])).order_by(Deposit.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    open_ = list(await session.scalars(query))
    tally.checked = len(open_)
    for start in range(0, len(open_), 500):
        for deposit in await record_paid(session, actor, open_[start : start + 500], on=on):
            if deposit.status == DepositStatus.HELD:
                tally.now_held += 1
            else:
                tally.unpaid_again += 1
    active = set(
        await session.scalars(
            select(Account.id).where(
                Account.id.in_([d.account_id for d in open_ if d.status == DepositStatus.HELD]),
                Account.status == AccountStatus.ACTIVE,
            )
        )
    )
    for deposit in open_:
        if deposit.status != DepositStatus.HELD or deposit.account_id not in active:
            continue
        streak = await good_record_streak(session, deposit, on)
        if not good_record_refund_due(policy, streak=streak):
            continue
        amount = await apply_to_balance(
            session,
            actor,
            deposit,
            today=on,
            action="deposit.good_record",
            memo=ledger_words.memo("deposit_good_record", count=streak),
        )
        if amount:
            tally.returned += 1
            tally.returned_cents += amount
    return tally
