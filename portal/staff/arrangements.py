"""Payment arrangements after the grant: the daily check (`portal arrangements-check --date D`) that marks each
active arrangement completed or broken by the pure rule `rules.arrangement_outcome`, and what the account page
shows of each plan. A broken arrangement no longer holds the account off the cut-off list (the list excludes only
active ones), so the account returns to it by the usual rules.

Safe to run twice, or on two machines at once: only active arrangements are looked at, each locked while decided
(SKIP LOCKED on PostgreSQL), and a decided one is never looked at again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from portal import mail
from portal.accounts import audit, numbers
from portal.accounts.actor import Actor
from portal.accounts.models import (
    Account,
    ArrangementStatus,
    Bill,
    Customer,
    LedgerEntry,
    LedgerKind,
    PaymentArrangement,
)
from portal.i18n import gettext as _
from portal.i18n import use_locale
from portal.settings import DEFAULT_PHONE

from . import rules

# Reversals that mean the money came back out: an ACH return, a card chargeback (portal/payments keys them so).
RETURNED_KEYS = ("return:%", "dispute:%")


def schedule(arrangement: PaymentArrangement) -> tuple[dt.date, tuple[tuple[dt.date, int], ...]]:
    """(down payment due on, ((instalment due on, cents), ...)) as stored."""
    down_due = arrangement.down_payment_due_on or arrangement.starts_on
    return down_due, tuple(
        (dt.date.fromisoformat(i["due_on"]), int(i["amount_cents"])) for i in arrangement.instalments
    )


async def facts_for(session: AsyncSession, arrangement: PaymentArrangement, on: dt.date) -> rules.ArrangementFacts:
    start = arrangement.starts_on
    reversal = aliased(LedgerEntry)
    settled = (
        LedgerEntry.account_id == arrangement.account_id,
        LedgerEntry.effective_on <= on,
        LedgerEntry.reverses_id.is_(None),
        reversal.id.is_(None),
    )
    current = await session.execute(
        select(Bill.due_date, LedgerEntry.amount_cents)
        .join(Bill, Bill.id == LedgerEntry.bill_id)
        .outerjoin(reversal, reversal.reverses_id == LedgerEntry.id)
        .where(*settled, LedgerEntry.kind == LedgerKind.CHARGE, Bill.due_date >= start)
    )
    credits = await session.execute(
        select(LedgerEntry.effective_on, LedgerEntry.amount_cents)
        .outerjoin(reversal, reversal.reverses_id == LedgerEntry.id)
        .where(*settled, LedgerEntry.amount_cents < 0, LedgerEntry.effective_on >= start)
    )
    returned_on = await session.scalar(
        select(LedgerEntry.effective_on)
        .where(
            LedgerEntry.account_id == arrangement.account_id,
            LedgerEntry.kind == LedgerKind.REVERSAL,
            LedgerEntry.effective_on >= start,
            LedgerEntry.effective_on <= on,
            or_(*(LedgerEntry.source_key.like(key) for key in RETURNED_KEYS)),
        )
        .order_by(LedgerEntry.effective_on)
        .limit(1)
    )
    down_due, instalments = schedule(arrangement)
    return rules.ArrangementFacts(
        starts_on=start,
        down_payment_cents=arrangement.down_payment_cents,
        down_payment_due_on=down_due,
        instalments=instalments,
        current_charges=tuple((d, int(c)) for d, c in current),
        credits=tuple((d, -int(c)) for d, c in credits),
        returned_on=returned_on,
    )


def _notice(customer: Customer, account: Account, outcome: rules.ArrangementOutcome, phone: str) -> tuple[str, str]:
    with use_locale(customer.language or "en"):
        number = numbers.display(account.number)
        if outcome.status == "completed":
            return (
                str(_("Your payment arrangement is complete")),
                str(
                    _(
                        "Thank you, %(name)s. The payment arrangement on account %(number)s is paid in full.",
                        name=customer.display_name,
                        number=number,
                    )
                ),
            )
        return (
            str(_("Your payment arrangement has ended")),
            str(
                _(
                    "%(name)s, the payment arrangement on account %(number)s has ended: %(why)s The usual collection "
                    "steps resume, which can lead to a service disconnection. Please pay the past-due balance or call "
                    "us at %(phone)s.",
                    phone=phone,
                    name=customer.display_name,
                    number=number,
                    why=outcome.note,
                )
            ),
        )


@dataclass
class CheckTally:
    checked: int = 0
    completed: int = 0
    broken: int = 0
    notified: int = 0


async def check(session: AsyncSession, actor: Actor, *, on: dt.date, phone: str = DEFAULT_PHONE) -> CheckTally:
    """Decide every active arrangement as of `on`: completed, broken, or still running."""
    tally = CheckTally()
    query = (
        select(PaymentArrangement)
        .where(PaymentArrangement.status == ArrangementStatus.ACTIVE)
        .order_by(PaymentArrangement.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for arrangement in list(await session.scalars(query)):
        tally.checked += 1
        outcome = rules.arrangement_outcome(await facts_for(session, arrangement, on), on)
        if outcome.status is None:
            continue
        before = {"status": arrangement.status}
        arrangement.status = ArrangementStatus(outcome.status)
        arrangement.closed_on = on
        arrangement.outcome_note = outcome.note[:300]
        await session.flush()
        await audit.record(
            session,
            actor,
            f"arrangement.{outcome.status}",
            "payment_arrangement",
            arrangement.id,
            account_id=arrangement.account_id,
            before=before,
            after={"status": arrangement.status, "note": arrangement.outcome_note, "missed_on": outcome.missed_on},
        )
        if outcome.status == "completed":
            tally.completed += 1
        else:
            tally.broken += 1
        account = await session.get(Account, arrangement.account_id)
        customer = await session.get(Customer, account.customer_id) if account else None
        if account is not None and customer is not None and customer.email:
            subject, body = _notice(customer, account, outcome, phone)
            mail.queue(session, customer.email, subject, body)
            tally.notified += 1
    return tally


@dataclass(frozen=True)
class ScheduleLine:
    due_on: dt.date
    amount_cents: int
    is_down_payment: bool
    passed: bool  # the due date is behind us


def schedule_lines(arrangement: PaymentArrangement, today: dt.date) -> list[ScheduleLine]:
    """The plan as the account page lists it: the down payment and each instalment with its due date."""
    down_due, instalments = schedule(arrangement)
    lines = [ScheduleLine(down_due, arrangement.down_payment_cents, True, down_due < today)]
    return lines + [ScheduleLine(day, cents, False, day < today) for day, cents in instalments]
