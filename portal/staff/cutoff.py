"""The cut-off list for a day: every delinquent account with the rule's decision and each reason it is off the list;
cut-off notices (email + a contact record), courtesy-call outcomes, disconnect orders in bulk, and the day-of recheck
that cancels the orders of accounts that no longer qualify (they paid, got an extension...).

Safe to run twice: a disconnect order is created only when the account has none open, and notices are keyed per
account and day in the contact table (one notice a day at most)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal import mail
from portal.accounts import arrears, audit, extensions, holds, numbers, workorders
from portal.accounts.actor import Actor
from portal.accounts.errors import DomainError
from portal.accounts.models import (
    Account,
    AccountStatus,
    ArrangementStatus,
    CollectionContact,
    ContactKind,
    Customer,
    LedgerEntry,
    OnlinePayment,
    PaymentArrangement,
    Premise,
    WorkOrder,
    WorkOrderKind,
)
from portal.accounts.models.base import utcnow
from portal.accounts.policy import Policy
from portal.i18n import format_date, use_locale
from portal.i18n import gettext as _

from . import rules

COURTESY_OUTCOMES = ("reached", "voicemail", "no_answer", "wrong_number", "promised")


@dataclass(frozen=True)
class Row:
    account: Account
    customer: Customer
    premise: Premise
    past_due_cents: int
    days_past_due: int
    decision: rules.CutoffDecision
    open_disconnect_id: int | None
    last_notice_at: dt.datetime | None


@dataclass(frozen=True)
class CutoffList:
    day: dt.date
    day_refusal: str | None
    rows: list[Row]

    @property
    def eligible(self) -> list[Row]:
        return [] if self.day_refusal else [r for r in self.rows if r.decision.eligible]

    @property
    def excluded(self) -> list[Row]:
        return [r for r in self.rows if not r.decision.eligible or self.day_refusal]


def cutoff_start(policy: Policy, day: dt.date, timezone: str) -> dt.datetime:
    """Crews start when payments stop being accepted for the day (7:30 a.m. by default)."""
    return dt.datetime.combine(day, policy.payment_accepted_until, ZoneInfo(timezone))


async def build(
    session: AsyncSession, policy: Policy, day: dt.date, timezone: str, forecast_high_f: int | None = None
) -> CutoffList:
    owing = [
        account_id
        for account_id, total in await session.execute(
            select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_cents))
            .group_by(LedgerEntry.account_id)
            .having(func.sum(LedgerEntry.amount_cents) > 0)
        )
    ]
    found = await arrears.arrears_many(session, owing, day) if owing else {}
    delinquent = [a for a in owing if found[a].past_due_cents > 0]
    if not delinquent:
        return CutoffList(day, rules.disconnect_day_refusal(policy, day, forecast_high_f), [])
    held = await extensions.held_account_ids(session, delinquent, day)
    arranged = set(
        await session.scalars(
            select(PaymentArrangement.account_id).where(
                PaymentArrangement.account_id.in_(delinquent), PaymentArrangement.status == ArrangementStatus.ACTIVE
            )
        )
    )
    pending = set(
        await session.scalars(
            select(OnlinePayment.account_id).where(
                OnlinePayment.account_id.in_(delinquent), OnlinePayment.status == "processing"
            )
        )
    )
    last: dict[tuple[int, ContactKind], dt.datetime] = {
        (account_id, kind): at
        for account_id, kind, at in await session.execute(
            select(CollectionContact.account_id, CollectionContact.kind, func.max(CollectionContact.contacted_at))
            .where(CollectionContact.account_id.in_(delinquent))
            .group_by(CollectionContact.account_id, CollectionContact.kind)
        )
    }
    open_disconnects = await _open_disconnects(session, delinquent)
    start = cutoff_start(policy, day, timezone)
    rows: list[Row] = []
    for account, customer, premise in await session.execute(
        select(Account, Customer, Premise)
        .join(Customer, Customer.id == Account.customer_id)
        .join(Premise, Premise.id == Account.premise_id)
        .where(Account.id.in_(delinquent))
    ):
        owed = found[account.id]
        facts = rules.CutoffFacts(
            account_id=account.id,
            past_due_cents=owed.past_due_cents,
            oldest_past_due_on=owed.oldest_past_due_on,
            active=account.status == AccountStatus.ACTIVE,
            last_notice_at=last.get((account.id, ContactKind.CUTOFF_NOTICE)),
            last_courtesy_at=last.get((account.id, ContactKind.COURTESY_CALL)),
            medical_alert_until=customer.medical_alert_until,
            extension_hold=account.id in held,
            arrangement_active=account.id in arranged,
            payment_pending=account.id in pending,
            dispute_pending=account.dispute_pending,
            bankruptcy_hold=account.bankruptcy_hold,
        )
        rows.append(
            Row(
                account,
                customer,
                premise,
                owed.past_due_cents,
                owed.days_past_due(day),
                rules.cutoff_decision(policy, facts, day, start),
                open_disconnects.get(account.id),
                facts.last_notice_at,
            )
        )
    rows.sort(key=lambda r: (not r.decision.eligible, r.premise.route, r.premise.address))
    return CutoffList(day, rules.disconnect_day_refusal(policy, day, forecast_high_f), rows)


async def _open_disconnects(session: AsyncSession, account_ids: list[int]) -> dict[int | None, int]:
    found = await session.execute(
        select(WorkOrder.account_id, WorkOrder.id).where(
            WorkOrder.account_id.in_(account_ids),
            WorkOrder.kind == WorkOrderKind.DISCONNECT,
            WorkOrder.status.in_(workorders.OPEN_STATUSES),
        )
    )
    return {account_id: order_id for account_id, order_id in found}


async def send_notices(
    session: AsyncSession, actor: Actor, policy: Policy, day: dt.date, timezone: str, planned_cutoff_on: dt.date
) -> int:
    """Email a cut-off notice to every delinquent account (over the thresholds, not held) that has none for these
    arrears yet, and record each; returns how many were sent. Accounts without email get a contact row marked
    for a mailed letter."""
    listing = await build(session, policy, day, timezone)
    sent = 0
    now = utcnow()
    for row in listing.rows:
        d = row.decision
        holds = [code for code in d.codes if code not in ("no_notice", "no_courtesy", "too_recent")]
        if not d.needs_notice or holds or row.past_due_cents < rules.cutoff_minimum_cents(policy):
            continue
        oldest = day - dt.timedelta(days=row.days_past_due)
        if row.last_notice_at is not None and row.last_notice_at.date() >= oldest:
            continue  # already told about these arrears; the notice only has to age
        message_id = None
        if row.customer.email:
            with use_locale(row.customer.language or "en"):
                subject, paragraphs = notice_wording(row.account, row.premise, row.past_due_cents, planned_cutoff_on)
            message = mail.queue(session, row.customer.email, subject, "\n\n".join(paragraphs))
            await session.flush()
            message_id = message.id
        contact = CollectionContact(
            account_id=row.account.id,
            kind=ContactKind.CUTOFF_NOTICE,
            contacted_at=now,
            outcome="emailed" if message_id else "letter",
            created_by_id=actor.user_id,
            mail_message_id=message_id,
            note=planned_cutoff_on.isoformat(),
            amount_cents=row.past_due_cents,
        )
        session.add(contact)
        await session.flush()
        await audit.record(
            session,
            actor,
            "cutoff.notice",
            "collection_contact",
            contact.id,
            account_id=row.account.id,
            after={"past_due_cents": row.past_due_cents, "planned_cutoff_on": planned_cutoff_on},
        )
        sent += 1
    return sent


def notice_wording(
    account: Account, premise: Premise, past_due_cents: int, cutoff_on: dt.date
) -> tuple[str, list[str]]:
    """The cut-off notice in the current language: (subject, paragraphs), the same words in the email and the
    printed letter. Call it inside `use_locale(customer's language)`."""
    number = numbers.display(account.number)
    subject = _("Service disconnection notice for account %(number)s", number=number)
    paragraphs = [
        _(
            "Your account %(number)s at %(address)s is past due by %(amount)s. Unless it is paid, or you contact us "
            "to arrange payment, water service may be disconnected on or after %(date)s. If someone in the home "
            "has a medical condition that disconnection would endanger, call us: a doctor's certificate holds "
            "off disconnection.",
            number=number,
            address=premise.one_line,
            amount=rules.money(past_due_cents),
            date=format_date(cutoff_on),
        ),
        _(
            "Pay online, by phone at 555-0100, or at our office, Monday to Friday, 8 a.m. to 5 p.m. Ask us about a "
            "payment arrangement or more time to pay. If you have already paid, thank you: please ignore this notice."
        ),
    ]
    return str(subject), [str(p) for p in paragraphs]


@dataclass(frozen=True)
class Letter:
    """A cut-off notice to print and mail, with everything the letter shows."""

    contact: CollectionContact
    account: Account
    customer: Customer
    premise: Premise
    amount_cents: int
    cutoff_on: dt.date | None

    @property
    def language(self) -> str:
        return self.customer.language or "en"

    @property
    def sent_on(self) -> dt.date:
        return self.contact.contacted_at.date()


async def letters(
    session: AsyncSession,
    *,
    contact_id: int | None = None,
    day: dt.date | None = None,
    timezone: str = "UTC",
    mailed_only: bool = True,
) -> list[Letter]:
    """Cut-off notices as letters: one by its contact id (any notice can be printed again), or the notices recorded
    on a day (in the utility's time zone) that go by mail because there is no email."""
    query = (
        select(CollectionContact, Account, Customer, Premise)
        .join(Account, Account.id == CollectionContact.account_id)
        .join(Customer, Customer.id == Account.customer_id)
        .join(Premise, Premise.id == Account.premise_id)
        .where(CollectionContact.kind == ContactKind.CUTOFF_NOTICE)
    )
    if contact_id is not None:
        query = query.where(CollectionContact.id == contact_id)
    if day is not None:
        start = dt.datetime.combine(day, dt.time(0), ZoneInfo(timezone))
        query = query.where(
            CollectionContact.contacted_at >= start, CollectionContact.contacted_at < start + dt.timedelta(days=1)
        )
    if mailed_only and contact_id is None:
        query = query.where(CollectionContact.outcome == "letter")
    found = []
    for contact, account, customer, premise in await session.execute(
        query.order_by(Premise.zip, Premise.address, CollectionContact.id)
    ):
        amount = contact.amount_cents
        if amount is None:  # recorded before notices kept their amount: what was past due that day
            amount = (await arrears.arrears(session, account.id, contact.contacted_at.date())).past_due_cents
        try:
            cutoff_on = dt.date.fromisoformat(contact.note or "")
        except ValueError:
            cutoff_on = None
        found.append(Letter(contact, account, customer, premise, amount, cutoff_on))
    return found


async def recent_letter_days(session: AsyncSession, timezone: str, since: dt.date) -> list[tuple[dt.date, int]]:
    """(day, letters) for the days since `since` on which notices went out by mail, newest first."""
    zone = ZoneInfo(timezone)
    rows = await session.scalars(
        select(CollectionContact.contacted_at).where(
            CollectionContact.kind == ContactKind.CUTOFF_NOTICE,
            CollectionContact.outcome == "letter",
            CollectionContact.contacted_at >= dt.datetime.combine(since, dt.time(0), zone),
        )
    )
    counts: dict[dt.date, int] = {}
    for at in rows:
        day = at.astimezone(zone).date()
        counts[day] = counts.get(day, 0) + 1
    return sorted(counts.items(), reverse=True)


async def record_courtesy_call(
    session: AsyncSession, actor: Actor, account: Account, outcome: str, note: str
) -> CollectionContact:
    if outcome not in COURTESY_OUTCOMES:
        raise DomainError(_("Choose how the call went."), field="outcome")
    contact = CollectionContact(
        account_id=account.id,
        kind=ContactKind.COURTESY_CALL,
        contacted_at=utcnow(),
        outcome=outcome,
        note=note.strip()[:300] or None,
        created_by_id=actor.user_id,
    )
    session.add(contact)
    await session.flush()
    await audit.record(
        session,
        actor,
        "cutoff.courtesy_call",
        "collection_contact",
        contact.id,
        account_id=account.id,
        after={"outcome": outcome, "note": contact.note},
    )
    return contact


async def create_orders(
    session: AsyncSession, actor: Actor, policy: Policy, day: dt.date, timezone: str, forecast_high_f: int | None = None
) -> list[int]:
    """A disconnect order for each eligible account that has none open (so running it twice creates nothing new)."""
    listing = await build(session, policy, day, timezone, forecast_high_f)
    if listing.day_refusal:
        raise DomainError(listing.day_refusal, field="day")
    created = []
    for row in listing.eligible:
        if row.open_disconnect_id is not None:
            continue
        order = await workorders.create(
            session,
            actor,
            kind=WorkOrderKind.DISCONNECT,
            premise_id=row.account.premise_id,
            account_id=row.account.id,
            due_on=day,
            priority=1,
            instructions=_(
                "Disconnect for non-payment: %(amount)s past due %(days)d days. Collect payment or disconnect; "
                "leave a door hanger.",
                amount=rules.money(row.past_due_cents),
                days=row.days_past_due,
            ),
        )
        created.append(order.id)
    return created


async def recheck(session: AsyncSession, actor: Actor, policy: Policy, day: dt.date, timezone: str) -> list[int]:
    """On the cut-off morning: cancel each open disconnect order whose account no longer qualifies, with the reason."""
    listing = await build(session, policy, day, timezone)
    still = {row.account.id for row in listing.eligible}
    delinquent: dict[int | None, Row] = {row.account.id: row for row in listing.rows}
    cancelled = []
    orders = list(
        await session.scalars(
            select(WorkOrder).where(
                WorkOrder.kind == WorkOrderKind.DISCONNECT,
                WorkOrder.status.in_(workorders.OPEN_STATUSES),
                WorkOrder.due_on <= day,
            )
        )
    )
    # The account's own reason (its certificate, its extension...) is the one recorded, before the day's refusal.
    own = await holds.excluded(session, policy, [o.account_id for o in orders if o.account_id is not None], day)
    for order in orders:
        if order.account_id in still:
            continue
        row = delinquent.get(order.account_id)
        if row is None:
            reason = _("Cancelled at the day-of recheck: nothing is past due any more (paid).")
        elif order.account_id in own:
            reason = _(
                "Cancelled at the day-of recheck: %(why)s", why="; ".join(e.reason for e in own[order.account_id])
            )
        elif listing.day_refusal:
            reason = _("Cancelled at the day-of recheck: %(why)s", why=listing.day_refusal)
        else:
            reason = _("Cancelled at the day-of recheck: %(why)s", why="; ".join(row.decision.reasons))
        if await workorders.cancel(session, actor, order, reason):
            cancelled.append(order.id)
    return cancelled
