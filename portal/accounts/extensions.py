"""Payment extensions (docs/design.md, section 4): who may have one (a pure rule with every reason in words), granting
it at once or routing it to a CSR's queue, a CSR's decision, the cut-off hold, and the daily kept/broken check.

The resident's extension page, the staff console's queue and `portal extensions-check` all call this module.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from portal.i18n import format_date, format_money, use_locale
from portal.i18n import gettext as _
from portal.settings import DEFAULT_PHONE

from . import arrears, audit, holds, workorders
from .actor import Actor
from .deposits import add_months
from .errors import DomainError
from .messages import Mailer
from .models import (
    Account,
    AccountClass,
    AccountStatus,
    Bill,
    Customer,
    ExtensionStatus,
    LedgerEntry,
    LedgerKind,
    PaymentExtension,
)
from .policy import Policy

# Extensions that count towards "at most N in 12 months": the ones that were granted.
GRANTED = (ExtensionStatus.ACTIVE, ExtensionStatus.KEPT, ExtensionStatus.BROKEN)
OPEN = (ExtensionStatus.ACTIVE, ExtensionStatus.PENDING_REVIEW)


class Reason(enum.StrEnum):
    # refused outright: nothing a CSR could grant
    NO_PAST_DUE = "no_past_due"
    DATE_NOT_AHEAD = "date_not_ahead"
    ALREADY_OPEN = "already_open"
    # routed to a CSR with the reason
    NOT_RESIDENTIAL = "not_residential"
    NOT_ACTIVE = "not_active"
    COLLECTIONS = "collections"
    TOO_MANY = "too_many"
    TOO_LONG = "too_long"
    AFTER_NEXT_DUE = "after_next_due"
    BROKEN_RECENTLY = "broken_recently"
    RETURNED_PAYMENT = "returned_payment"


# How portal/payments keys the reversal of a payment the bank returned (an ACH return of a payment or a draft).
RETURN_KEY_PREFIX = "return:"
HARD_REFUSALS = frozenset({Reason.NO_PAST_DUE, Reason.DATE_NOT_AHEAD, Reason.ALREADY_OPEN})
# The limits on the date alone: a resident who could have the extension at once with an earlier date is told so
# and chooses, rather than being queued for a review they may not want.
DATE_LIMITS = frozenset({Reason.TOO_LONG, Reason.AFTER_NEXT_DUE})


class ExtensionRefused(DomainError):
    """The request cannot be taken at all (not even by a CSR): the message says why."""


# ---- pure rules ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtensionFacts:
    account_class: AccountClass
    account_status: AccountStatus
    past_due_cents: int
    next_due_on: dt.date | None  # the next bill's due date (the promise must come before it)
    granted_in_12_months: int
    broken_in_12_months: bool
    returned_payment_in_6_months: bool
    open_extension: bool


@dataclass(frozen=True)
class Finding:
    code: Reason
    message: str


@dataclass(frozen=True)
class Eligibility:
    findings: tuple[Finding, ...]
    latest_promise_on: dt.date

    @property
    def eligible(self) -> bool:
        return not self.findings

    @property
    def refused(self) -> bool:
        """Cannot even go to a CSR."""
        return any(f.code in HARD_REFUSALS for f in self.findings)

    @property
    def reason_text(self) -> str:
        return " ".join(f.message for f in self.findings)

    @property
    def only_the_date(self) -> bool:
        """Granted at once with an earlier date: the date is all that stands in the way."""
        return bool(self.findings) and all(f.code in DATE_LIMITS for f in self.findings)


def latest_promise_on(policy: Policy, today: dt.date, next_due_on: dt.date | None) -> dt.date:
    """The latest date a resident may promise: N days from today, and before the next bill's due date."""
    latest = today + dt.timedelta(days=policy.extension_max_days)
    if next_due_on is not None:
        latest = min(latest, next_due_on - dt.timedelta(days=1))
    return latest


def next_due_on(due_dates: Iterable[dt.date], today: dt.date, policy: Policy) -> dt.date | None:
    """The due date of the next bill: a bill already issued and not yet due, else a month after the last one."""
    dates = sorted(due_dates)
    if not dates:
        return None
    upcoming = [d for d in dates if d > today]
    if upcoming:
        return upcoming[0]
    following = add_months(dates[-1], 1)
    while following <= today:
        following = add_months(following, 1)
    return policy.next_business_day(following)


def eligibility(
    policy: Policy, facts: ExtensionFacts, today: dt.date, promised_on: dt.date | None = None
) -> Eligibility:
    """Every reason this account cannot have an extension now (none: granted at once). Without a promised date,
    the date checks are left out (the page explains them before the resident picks a date)."""
    latest = latest_promise_on(policy, today, facts.next_due_on)
    found: list[Finding] = []

    def add(code: Reason, message: str) -> None:
        found.append(Finding(code, message))

    if facts.past_due_cents <= 0:
        add(Reason.NO_PAST_DUE, _("This account has no past-due balance, so it needs no extension."))
    if facts.open_extension:
        add(Reason.ALREADY_OPEN, _("This account already has an extension open or waiting for review."))
    if facts.account_status == AccountStatus.COLLECTIONS:
        add(Reason.COLLECTIONS, _("The account has been sent to collections."))
    elif facts.account_status != AccountStatus.ACTIVE:
        add(
            Reason.NOT_ACTIVE,
            _(
                "Extensions are for active accounts; this one is %(status)s.",
                status=_status_words(facts.account_status),
            ),
        )
    if facts.account_class != AccountClass.RESIDENTIAL:
        add(Reason.NOT_RESIDENTIAL, _("Extensions online are for residential accounts."))
    if facts.granted_in_12_months >= policy.extensions_per_12_months:
        add(
            Reason.TOO_MANY,
            _(
                "The account already had %(count)s extension(s) in the last 12 months; the limit is %(max)s.",
                count=facts.granted_in_12_months,
                max=policy.extensions_per_12_months,
            ),
        )
    if facts.broken_in_12_months:
        add(Reason.BROKEN_RECENTLY, _("An extension on this account was not kept in the last 12 months."))
    if facts.returned_payment_in_6_months:
        add(
            Reason.RETURNED_PAYMENT,
            _(
                "A payment on this account was returned by the bank in the last %(months)s months.",
                months=policy.extension_no_return_months,
            ),
        )
    if promised_on is not None:
        if promised_on <= today:
            add(Reason.DATE_NOT_AHEAD, _("Choose a date after today."))
        # The limit that binds is the one named: the next bill's due date when it comes before the longest wait
        # ("more than 14 days away; the latest is Dec 7" left staff unsure what counted).
        elif facts.next_due_on is not None and promised_on >= facts.next_due_on:
            add(
                Reason.AFTER_NEXT_DUE,
                _(
                    "The date must be before the next bill is due (%(due)s); the latest is %(latest)s.",
                    due=format_date(facts.next_due_on),
                    latest=format_date(latest),
                ),
            )
        elif promised_on > today + dt.timedelta(days=policy.extension_max_days):
            add(
                Reason.TOO_LONG,
                _(
                    "The date is more than %(days)s days away; the latest is %(latest)s.",
                    days=policy.extension_max_days,
                    latest=format_date(latest),
                ),
            )
    return Eligibility(tuple(found), latest)


def _status_words(status: AccountStatus) -> str:
    words = {
        AccountStatus.PENDING: _("not yet started"),
        AccountStatus.DISCONNECTED: _("disconnected"),
        AccountStatus.FINAL: _("final"),
        AccountStatus.CLOSED: _("closed"),
    }
    return words.get(status, status.value)


def outcome(amount_cents: int, paid_cents: int, promised_on: dt.date, on: dt.date) -> ExtensionStatus | None:
    """Kept once the promised amount is paid (by the date); broken when the date has passed without it."""
    if paid_cents >= amount_cents:
        return ExtensionStatus.KEPT
    if on > promised_on:
        return ExtensionStatus.BROKEN
    return None


def rules_in_words(policy: Policy) -> list[str]:
    """The rule as the extension page explains it."""
    return [
        _("You can ask for more time to pay a past-due balance on an active home (residential) account."),
        _("You can have %(count)s extension in any 12 months.", count=policy.extensions_per_12_months),
        _(
            "The date you promise must be within %(days)s days and before your next bill is due.",
            days=policy.extension_max_days,
        ),
        _(
            "You cannot get one if an extension was not kept in the last 12 months, if the account is in collections, or "
            "if a payment was returned by the bank in the last %(months)s months.",
            months=policy.extension_no_return_months,
        ),
        _(
            "If you qualify, it is granted at once and your service will not be cut off for this balance until the date. "
            "Otherwise a member of our staff reviews your request and contacts you."
        ),
        _("If the amount is not paid by the date, the extension is broken and the usual collection steps resume."),
    ]


# ---- services ------------------------------------------------------------------------------------------------


def returned_payment(
    account_id: int | BindParameter[int], since: dt.date | BindParameter[dt.date]
) -> ColumnElement[bool]:
    """A ledger entry that is the bank's return of one of the account's payments after `since` (the account page's
    strip binds both)."""
    return and_(
        LedgerEntry.account_id == account_id,
        LedgerEntry.kind == LedgerKind.REVERSAL,
        LedgerEntry.source_key.like(f"{RETURN_KEY_PREFIX}%"),
        LedgerEntry.effective_on > since,
    )


async def returned_payment_dates(session: AsyncSession, account_id: int, since: dt.date) -> list[dt.date]:
    """When the bank returned a payment of the account after `since`, oldest first. Only bank returns (portal/payments
    keys their reversals "return:<charge>"): a counter void or a card dispute is not a returned payment."""
    found = await session.scalars(
        select(LedgerEntry.effective_on)
        .where(returned_payment(account_id, since))
        .order_by(LedgerEntry.effective_on, LedgerEntry.id)
    )
    return list(found)


async def facts_for(session: AsyncSession, policy: Policy, account: Account, today: dt.date) -> ExtensionFacts:
    owed = await arrears.arrears(session, account.id, today)
    year_ago = add_months(today, -12)
    recent = list(
        await session.scalars(
            select(PaymentExtension).where(
                PaymentExtension.account_id == account.id, PaymentExtension.requested_on > year_ago
            )
        )
    )
    any_open = await session.scalar(
        select(func.count())
        .select_from(PaymentExtension)
        .where(PaymentExtension.account_id == account.id, PaymentExtension.status.in_(OPEN))
    )
    due_dates = await session.scalars(
        select(Bill.due_date).where(Bill.account_id == account.id, Bill.cancelled_on.is_(None))
    )
    return ExtensionFacts(
        account_class=account.account_class,
        account_status=account.status,
        past_due_cents=owed.past_due_cents,
        next_due_on=next_due_on(list(due_dates), today, policy),
        granted_in_12_months=sum(1 for e in recent if e.status in GRANTED),
        broken_in_12_months=any(e.status == ExtensionStatus.BROKEN for e in recent),
        returned_payment_in_6_months=bool(
            await returned_payment_dates(session, account.id, add_months(today, -policy.extension_no_return_months))
        ),
        open_extension=bool(any_open),
    )


@dataclass(frozen=True)
class ExtensionResult:
    extension: PaymentExtension
    granted: bool
    eligibility: Eligibility


def _state(extension: PaymentExtension) -> dict[str, object]:
    return {
        "status": extension.status,
        "amount_cents": extension.amount_cents,
        "promised_on": extension.promised_on,
        "reason": extension.reason,
    }


async def request(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    account: Account,
    *,
    promised_on: dt.date,
    today: dt.date,
    review_date: bool = True,
) -> ExtensionResult:
    """Grant at once when the rule allows, else queue for a CSR with the reason. Raises ExtensionRefused when
    there is nothing a CSR could grant (no past-due balance, a date not ahead, one already open), and, with
    review_date=False, when only the date keeps it from being granted at once (code "date_limit")."""
    facts = await facts_for(session, policy, account, today)
    verdict = eligibility(policy, facts, today, promised_on)
    if verdict.refused:
        hard = [f for f in verdict.findings if f.code in HARD_REFUSALS]
        raise ExtensionRefused(" ".join(f.message for f in hard), field="promised_on", code=hard[0].code)
    if not review_date and verdict.only_the_date:
        raise ExtensionRefused(verdict.reason_text, field="promised_on", code="date_limit")
    extension = PaymentExtension(
        account_id=account.id,
        amount_cents=facts.past_due_cents,
        requested_on=today,
        promised_on=promised_on,
        status=ExtensionStatus.ACTIVE if verdict.eligible else ExtensionStatus.PENDING_REVIEW,
        granted_by_rule=verdict.eligible,
        reason=(_("Granted: every condition is met.") if verdict.eligible else verdict.reason_text)[:300],
    )
    session.add(extension)
    await session.flush()
    await audit.record(
        session,
        actor,
        "extension.grant" if verdict.eligible else "extension.queue",
        "payment_extension",
        extension.id,
        account_id=account.id,
        after={**_state(extension), "reasons": [f.code for f in verdict.findings]},
    )
    if verdict.eligible:
        await workorders.exclusion_started(session, actor, [account.id], holds.extension_reason(promised_on))
    return ExtensionResult(extension, verdict.eligible, verdict)


async def decide(
    session: AsyncSession, actor: Actor, extension: PaymentExtension, *, approve: bool, note: str, today: dt.date
) -> PaymentExtension:
    """A CSR's decision on a queued request (the staff console calls this)."""
    if extension.status != ExtensionStatus.PENDING_REVIEW:
        raise DomainError(_("This request was already decided."), code="already_decided")
    before = _state(extension)
    extension.status = ExtensionStatus.ACTIVE if approve else ExtensionStatus.DENIED
    extension.decided_by_id = actor.user_id
    extension.reason = (note or extension.reason or "")[:300]
    if not approve:
        extension.closed_on = today
    await session.flush()
    await audit.record(
        session,
        actor,
        "extension.approve" if approve else "extension.deny",
        "payment_extension",
        extension.id,
        account_id=extension.account_id,
        before=before,
        after=_state(extension),
    )
    if approve:
        await workorders.exclusion_started(
            session, actor, [extension.account_id], holds.extension_reason(extension.promised_on)
        )
    return extension


async def cancel(
    session: AsyncSession, actor: Actor, extension: PaymentExtension, *, reason: str, today: dt.date
) -> bool:
    if extension.status not in OPEN:
        return False
    before = _state(extension)
    extension.status = ExtensionStatus.CANCELLED
    extension.reason = reason[:300]
    extension.closed_on = today
    await session.flush()
    await audit.record(
        session,
        actor,
        "extension.cancel",
        "payment_extension",
        extension.id,
        account_id=extension.account_id,
        before=before,
        after=_state(extension),
    )
    return True


async def standing(session: AsyncSession, policy: Policy, account: Account, today: dt.date) -> dict[str, Any]:
    """An extension page's facts (the resident's, and the CSR's for a caller): whether this account may have one
    now, its history and the rules in words."""
    facts = await facts_for(session, policy, account, today)
    return {
        "account": account,
        "facts": facts,
        "verdict": eligibility(policy, facts, today),
        "history": await for_account(session, account.id),
        "rules": rules_in_words(policy),
        "today": today,
    }


def holding(on: dt.date | BindParameter[dt.date]) -> ColumnElement[bool]:
    """An extension that holds its account off the cut-off list on this date (the cut-off list binds the day)."""
    return and_(PaymentExtension.status == ExtensionStatus.ACTIVE, PaymentExtension.promised_on >= on)


async def held_account_ids(session: AsyncSession, account_ids: Iterable[int] | None, on: dt.date) -> set[int]:
    """Accounts an active extension holds off the cut-off list on this date."""
    query = select(PaymentExtension.account_id).where(holding(on))
    if account_ids is not None:
        query = query.where(PaymentExtension.account_id.in_(list(account_ids)))
    return set(await session.scalars(query))


async def review_queue(session: AsyncSession, limit: int = 200) -> list[PaymentExtension]:
    """Requests waiting for a CSR (the staff console's queue), oldest first; each carries the rule's reasons."""
    return list(
        await session.scalars(
            select(PaymentExtension)
            .where(PaymentExtension.status == ExtensionStatus.PENDING_REVIEW)
            .order_by(PaymentExtension.requested_on, PaymentExtension.id)
            .limit(limit)
        )
    )


async def waiting_for_review(session: AsyncSession, account_id: int) -> PaymentExtension | None:
    return await session.scalar(
        select(PaymentExtension)
        .where(PaymentExtension.account_id == account_id, PaymentExtension.status == ExtensionStatus.PENDING_REVIEW)
        .order_by(PaymentExtension.id.desc())
        .limit(1)
    )


async def for_account(session: AsyncSession, account_id: int) -> list[PaymentExtension]:
    return list(
        await session.scalars(
            select(PaymentExtension)
            .where(PaymentExtension.account_id == account_id)
            .order_by(PaymentExtension.requested_on.desc(), PaymentExtension.id.desc())
        )
    )


async def paid_towards(session: AsyncSession, extension: PaymentExtension, on: dt.date) -> int:
    """Payments from the request date to the promised date (and not after `on`), less any the bank returned."""
    until = min(extension.promised_on, on)
    window = and_(
        LedgerEntry.account_id == extension.account_id,
        LedgerEntry.effective_on >= extension.requested_on,
        LedgerEntry.effective_on <= until,
    )
    paid = -int(
        await session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                window, LedgerEntry.kind == LedgerKind.PAYMENT
            )
        )
        or 0
    )
    original = aliased(LedgerEntry)
    returned = int(
        await session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
            .join(original, original.id == LedgerEntry.reverses_id)
            .where(
                LedgerEntry.account_id == extension.account_id,
                LedgerEntry.kind == LedgerKind.REVERSAL,
                original.kind == LedgerKind.PAYMENT,
                original.effective_on >= extension.requested_on,
                LedgerEntry.effective_on <= on,
            )
        )
        or 0
    )
    return paid - returned


def _notice(extension: PaymentExtension, customer: Customer, status: ExtensionStatus, phone: str) -> tuple[str, str]:
    with use_locale(customer.language or "en"):
        if status == ExtensionStatus.KEPT:
            subject = _("Your payment extension is complete")
            body = _(
                "Thank you, %(name)s. We received the %(amount)s you promised by %(date)s, so your payment extension "
                "is complete.",
                name=customer.display_name,
                amount=format_money(extension.amount_cents),
                date=format_date(extension.promised_on),
            )
        else:
            subject = _("Your payment extension was not kept")
            body = _(
                "%(name)s, we did not receive the %(amount)s you promised by %(date)s, so the payment extension has "
                "ended and the usual collection steps resume, which can lead to a service disconnection. Please pay "
                "now or call us at %(phone)s.",
                phone=phone,
                name=customer.display_name,
                amount=format_money(extension.amount_cents),
                date=format_date(extension.promised_on),
            )
        return str(subject), str(body)


@dataclass
class CheckTally:
    checked: int = 0
    kept: int = 0
    broken: int = 0
    notified: int = 0


async def check(
    session: AsyncSession, actor: Actor, *, on: dt.date, mailer: Mailer, phone: str = DEFAULT_PHONE
) -> CheckTally:
    """Mark active extensions kept (paid) or broken (date passed unpaid) and notify the resident. Running it twice
    changes nothing the second time: only active extensions are looked at, and each is locked while decided."""
    tally = CheckTally()
    query = (
        select(PaymentExtension).where(PaymentExtension.status == ExtensionStatus.ACTIVE).order_by(PaymentExtension.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for extension in list(await session.scalars(query)):
        tally.checked += 1
        status = outcome(extension.amount_cents, await paid_towards(session, extension, on), extension.promised_on, on)
        if status is None:
            continue
        before = _state(extension)
        extension.status = status
        extension.closed_on = on
        await session.flush()
        await audit.record(
            session,
            actor,
            f"extension.{status.value}",
            "payment_extension",
            extension.id,
            account_id=extension.account_id,
            before=before,
            after=_state(extension),
        )
        if status == ExtensionStatus.KEPT:
            tally.kept += 1
        else:
            tally.broken += 1
        customer = await session.scalar(
            select(Customer).join(Account, Account.customer_id == Customer.id).where(Account.id == extension.account_id)
        )
        if customer is not None and customer.email:
            subject, body = _notice(extension, customer, status, phone)
            mailer.queue(session, customer.email, subject, body)
            tally.notified += 1
    return tally
