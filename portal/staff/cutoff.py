"""The cut-off list for a day: every delinquent account with the rule's decision and each reason it is off the list;
cut-off notices (email + a contact record), courtesy-call outcomes, disconnect orders in bulk, and the day-of recheck
that cancels the orders of accounts that no longer qualify (they paid, got an extension...).

Safe to run twice: a disconnect order is created only when the account has none open, and notices are keyed per
account and day in the outbox (one notice a day at most).

A notice counts for the rule only once it reached the resident (portal/mail.py): an email the mail server took and
that did not bounce, a text delivered, a letter printed in a mailing batch. Until then it is pending: not counted,
and not sent again.

Each bulk action is a plan (`notice_plan`, `orders_plan`, `recheck_plan`: pure functions over the list) that the
page previews; the action computes the same plan again and applies it only if its fingerprint is the one confirmed."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from portal import mail, sms
from portal.accounts import arrears, audit, case_rules, extensions, holds, numbers, workorders
from portal.accounts.actor import Actor
from portal.accounts.errors import DomainError
from portal.accounts.messages import notice_channels
from portal.accounts.models import (
    Account,
    AccountStatus,
    CollectionContact,
    ContactKind,
    Customer,
    MailMessage,
    PaymentExtension,
    Premise,
    User,
    WorkOrder,
    WorkOrderKind,
)
from portal.accounts.models.base import utcnow
from portal.accounts.policy import Policy
from portal.db import is_postgresql, member_of, member_of_param
from portal.i18n import format_date, use_locale
from portal.i18n import gettext as _

from . import confirm, rules

COURTESY_OUTCOMES = ("reached", "voicemail", "no_answer", "wrong_number", "promised")


@dataclass(frozen=True)
class CallMark:
    """The latest courtesy call on an account: who called, when and how it went (so two CSRs do not both call)."""

    by: str
    at: dt.datetime
    outcome: str


@dataclass(frozen=True)
class Row:
    account: Account
    customer: Customer
    premise: Premise
    past_due_cents: int
    days_past_due: int
    decision: rules.CutoffDecision
    open_disconnect_id: int | None
    last_notice_at: dt.datetime | None  # the latest notice that reached the resident (the one the rule counts)
    last_call: CallMark | None = None
    last_notice_sent_at: dt.datetime | None = None  # the latest notice sent, reached or still on its way
    disputed_cents: int = 0  # the amount in open disputes: not cut off for, so not asked for

    @property
    def due_cents(self) -> int:
        """What the resident must pay to avoid cut-off: the past due less the open disputes (a dispute holds
        cut-off for the disputed amount only). What a notice asks for and what an order is for."""
        return case_rules.cut_off_past_due(self.past_due_cents, self.disputed_cents)


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


# The reason an account is off the list, most decisive first: it is grouped under the first that applies.
REASON_ORDER = (
    "inactive",
    "bankruptcy",
    "dispute",
    "medical",
    "extension",
    "arrangement",
    "payment_pending",
    "too_small",
    "too_recent",
    "no_notice",
    "no_courtesy",
)


def reason_heading(code: str) -> str:
    return {
        "inactive": _("The account is not active"),
        "bankruptcy": _("Bankruptcy: the balance at the petition is held"),
        "dispute": _("The past due is disputed"),
        "medical": _("Medical certification on file"),
        "extension": _("An active payment extension"),
        "arrangement": _("An active payment arrangement"),
        "payment_pending": _("A payment is pending"),
        "too_small": _("Past due too little"),
        "too_recent": _("Not past due long enough"),
        "no_notice": _("No cut-off notice in time"),
        "no_courtesy": _("No courtesy call in time"),
        "day": _("No disconnections this day"),
    }.get(code, code)


@dataclass(frozen=True)
class ReasonGroup:
    code: str
    heading: str
    rows: list[Row]


def reason_groups(listing: CutoffList) -> list[ReasonGroup]:
    """The accounts off the list, each under the most decisive reason it is off (so the counts add up to the
    excluded total); the rows still show every reason. Largest groups are not moved first: the order is the rule's."""
    grouped: dict[str, list[Row]] = {}
    for row in listing.excluded:
        codes = row.decision.codes
        code = next((c for c in REASON_ORDER if c in codes), codes[0] if codes else "day")
        grouped.setdefault(code, []).append(row)
    order = {code: i for i, code in enumerate(REASON_ORDER)}
    return [
        ReasonGroup(code, reason_heading(code), rows)
        for code, rows in sorted(grouped.items(), key=lambda item: order.get(item[0], len(order)))
    ]


def cutoff_start(policy: Policy, day: dt.date, timezone: str) -> dt.datetime:
    """Crews start when payments stop being accepted for the day (7:30 a.m. by default)."""
    return dt.datetime.combine(day, policy.payment_accepted_until, ZoneInfo(timezone))


async def build(
    session: AsyncSession, policy: Policy, day: dt.date, timezone: str, forecast_high_f: int | None = None
) -> CutoffList:
    candidates = await arrears.maybe_past_due(session, day)
    found = await arrears.arrears_many(session, candidates, day) if candidates else {}
    delinquent = [a for a in candidates if found[a].past_due_cents > 0]
    if not delinquent:
        return CutoffList(day, rules.disconnect_day_refusal(policy, day, forecast_high_f), [])
    reached = await notices_reached(session, delinquent)
    start = cutoff_start(policy, day, timezone)
    rows: list[Row] = []
    for (
        account,
        customer,
        premise,
        held,
        arranged,
        pending,
        disputed,
        last_notice,
        open_disconnect,
        call_at,
        call_outcome,
        caller,
    ) in await session.execute(_accounts_query(is_postgresql(session)), {"ids": delinquent, "day": day}):
        owed = found[account.id]
        facts = rules.CutoffFacts(
            account_id=account.id,
            past_due_cents=owed.past_due_cents,
            oldest_past_due_on=owed.oldest_past_due_on,
            active=account.status == AccountStatus.ACTIVE,
            last_notice_at=reached.get(account.id),
            last_courtesy_at=call_at,
            medical_alert_until=customer.medical_alert_until,
            extension_hold=bool(held),
            arrangement_active=bool(arranged),
            payment_pending=bool(pending),
            disputed_cents=int(disputed or 0),
            held_cents=owed.held_cents,
        )
        rows.append(
            Row(
                account,
                customer,
                premise,
                owed.past_due_cents,
                owed.days_past_due(day),
                rules.cutoff_decision(policy, facts, day, start),
                open_disconnect,
                facts.last_notice_at,
                CallMark(caller or _("system"), call_at, call_outcome) if call_at is not None else None,
                last_notice,
                facts.disputed_cents,
            )
        )
    rows.sort(key=lambda r: (not r.decision.eligible, r.premise.route, r.premise.address, r.account.id))
    return CutoffList(day, rules.disconnect_day_refusal(policy, day, forecast_high_f), rows)


def notice_about(contact_id: int) -> str:
    """The outbox's `about` for the messages of one notice (one per channel, and a letter a bounce falls back to)."""
    return f"collection_contact:{contact_id}"


def contact_of(about: str | None) -> int | None:
    """The notice (collection contact id) an outbox message's `about` names, or None for anything else."""
    prefix, _colon, rest = (about or "").partition(":")
    return int(rest) if prefix == "collection_contact" and rest.isdigit() else None


async def notices_reached(session: AsyncSession, account_ids: list[int]) -> dict[int, dt.datetime]:
    """When each account's latest notice reached the resident: the first of its messages that did (an email taken
    by the mail server and not bounced, a text delivered, a letter printed). A notice recorded without any outbox
    message (before the outbox, or recorded by hand) counts from its own time."""
    contacts = list(
        await session.execute(
            select(CollectionContact.id, CollectionContact.account_id, CollectionContact.contacted_at).where(
                member_of(session, CollectionContact.account_id, account_ids),
                CollectionContact.kind == ContactKind.CUTOFF_NOTICE,
            )
        )
    )
    if not contacts:
        return {}
    abouts = {notice_about(contact_id): contact_id for contact_id, _account, _at in contacts}
    messages: dict[int, list[dt.datetime | None]] = {}
    for about, reached_at in await session.execute(
        select(MailMessage.about, MailMessage.reached_at).where(member_of(session, MailMessage.about, list(abouts)))
    ):
        messages.setdefault(abouts[about or ""], []).append(reached_at)
    found: dict[int, dt.datetime] = {}
    for contact_id, account_id, contacted_at in contacts:
        if contact_id in messages:
            times = [at for at in messages[contact_id] if at is not None]
            if not times:
                continue  # still on its way, or it never arrived
            at = min(times)
        else:
            at = contacted_at
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC
        if account_id not in found or at > found[account_id]:
            found[account_id] = at
    return found


@functools.cache
def _accounts_query(postgresql: bool) -> Select[Any]:
    """Built once; the delinquent accounts' ids and the day are bound at each run. Each account with its customer,
    premise and every fact the rule and the list read, one row each (correlated subqueries, each on an index by
    account): one statement where it was nine. The latest courtesy call is joined on the id its subquery picks.
    The ids go in as one array on PostgreSQL, however many accounts are delinquent."""
    held = (
        select(PaymentExtension.id)
        .where(PaymentExtension.account_id == Account.id, extensions.holding(bindparam("day")))
        .exists()
    )
    last_notice = (
        select(func.max(CollectionContact.contacted_at))
        .where(CollectionContact.account_id == Account.id, CollectionContact.kind == ContactKind.CUTOFF_NOTICE)
        .scalar_subquery()
    )
    open_disconnect = (
        select(func.max(WorkOrder.id))
        .where(
            WorkOrder.account_id == Account.id,
            WorkOrder.kind == WorkOrderKind.DISCONNECT,
            WorkOrder.status.in_(workorders.OPEN_STATUSES),
        )
        .scalar_subquery()
    )
    call = aliased(CollectionContact)
    last_call = (
        select(CollectionContact.id)
        .where(CollectionContact.account_id == Account.id, CollectionContact.kind == ContactKind.COURTESY_CALL)
        .order_by(CollectionContact.contacted_at.desc(), CollectionContact.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            Account,
            Customer,
            Premise,
            held,
            holds.arrangement_column(),
            holds.payment_pending_column(),
            holds.disputed_column(),
            last_notice,
            open_disconnect,
            call.contacted_at,
            call.outcome,
            User.display_name,
        )
        .join(Customer, Customer.id == Account.customer_id)
        .join(Premise, Premise.id == Account.premise_id)
        .outerjoin(call, call.id == last_call)
        .outerjoin(User, User.id == call.created_by_id)
        .where(member_of_param(Account.id, "ids", postgresql=postgresql))
    )


def notice_plan(policy: Policy, listing: CutoffList, *, texts: bool) -> confirm.Plan:
    """Who gets a cut-off notice today: every delinquent account over the thresholds, not held, without a notice
    for these arrears yet; by email, by text (only when `texts`: Twilio is configured), or by letter when neither."""
    items = []
    for row in listing.rows:
        d = row.decision
        holds = [code for code in d.codes if code not in ("no_notice", "no_courtesy", "too_recent")]
        if not d.needs_notice or holds or row.due_cents < rules.cutoff_minimum_cents(policy):
            continue
        oldest = listing.day - dt.timedelta(days=row.days_past_due)
        sent_at = row.last_notice_sent_at or row.last_notice_at
        if sent_at is not None and sent_at.date() >= oldest:
            continue  # already told (or being told) about these arrears; the notice only has to arrive and age
        items.append(_item(row, channels_of(row.customer, texts=texts)[0]))
    return confirm.Plan("notices", tuple(items))


def channels_of(customer: Customer, *, texts: bool) -> list[str]:
    """The channels a notice to this customer goes by, from their preferences (a letter when nothing else). Without
    `texts` (no Twilio configured) a resident's texts preference is left out: email, or else a letter, instead of a
    text that no sender would ever send."""
    return notice_channels(
        email=customer.email,
        phone=sms.normalize(customer.phone),
        notify_email=customer.notify_email is not False,  # unset on a customer not yet saved: the default, on
        notify_sms=texts and bool(customer.notify_sms),
    )


def _item(row: Row, detail: str, key: int | None = None) -> confirm.Item:
    return confirm.Item(
        key if key is not None else row.account.id,
        row.account.number,
        row.customer.display_name,
        row.due_cents,
        detail,
    )


async def send_notices(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    day: dt.date,
    timezone: str,
    planned_cutoff_on: dt.date,
    expected: str | None = None,
    *,
    texts: bool,
    phone: str,
) -> int:
    """Send the notices of `notice_plan` (the one previewed, when `expected` gives its fingerprint) and record each;
    returns how many were queued. Each goes by the customer's channels (email, text when `texts`) through the
    outbox, or as a letter for the print batch when neither is chosen; it counts once it reaches them
    (`notices_reached`). One notice per account and day, whatever the channels: a run again after the resident
    changed their preferences (or two runs at once) records and queues nothing more."""
    listing = await build(session, policy, day, timezone)
    plan = notice_plan(policy, listing, texts=texts)
    confirm.check(plan, expected)
    by_id = {row.account.id: row for row in listing.rows}
    now = utcnow()
    count = 0
    for item in plan.items:
        row = by_id[item.key]
        if await _noticed_on(session, row.account.id, day, timezone):
            continue  # this day's notice is already recorded: a replay records and queues nothing
        channels = channels_of(row.customer, texts=texts)
        keys = {channel: notice_key(row.account.id, day, channel) for channel in channels}
        count += 1
        contact = CollectionContact(
            account_id=row.account.id,
            kind=ContactKind.CUTOFF_NOTICE,
            contacted_at=now,
            outcome={"email": "emailed", "sms": "texted"}.get(channels[0], "letter"),
            created_by_id=actor.user_id,
            note=planned_cutoff_on.isoformat(),
            amount_cents=row.due_cents,
        )
        session.add(contact)
        await session.flush()
        with use_locale(row.customer.language or "en"):
            subject, paragraphs = notice_wording(
                row.account, row.premise, row.due_cents, planned_cutoff_on, phone=phone
            )
        addresses = {
            "email": row.customer.email or "",
            "sms": sms.normalize(row.customer.phone) or "",
            "letter": row.customer.mailing_address or f"{row.customer.display_name}, {row.premise.one_line}",
        }
        for channel in channels:
            message = await mail.queue_once(
                session,
                keys[channel],
                addresses[channel],
                subject,
                "\n\n".join([subject, *paragraphs]) if channel == "sms" else "\n\n".join(paragraphs),
                channel=channel,
                kind="cutoff_notice",
                about=notice_about(contact.id),
                account_id=row.account.id,
            )
            contact.mail_message_id = contact.mail_message_id or message.id
        await audit.record(
            session,
            actor,
            "cutoff.notice",
            "collection_contact",
            contact.id,
            account_id=row.account.id,
            after={
                "past_due_cents": row.past_due_cents,
                "disputed_cents": row.disputed_cents,
                "amount_cents": row.due_cents,
                "planned_cutoff_on": planned_cutoff_on,
            },
        )
    return count


def notice_key(account_id: int, day: dt.date, channel: str) -> str:
    """The outbox idempotency key of one account's notice of one day on one channel."""
    return f"cutoff_notice:{account_id}:{day.isoformat()}:{channel}"


async def _noticed_on(session: AsyncSession, account_id: int, day: dt.date, timezone: str) -> bool:
    """Whether the account already has a cut-off notice for `day`: one in the outbox on any channel, or a notice
    recorded during that local day (by hand, or before the outbox). The account row is locked first on PostgreSQL,
    so two runs at once take turns and the second sees the first's notice."""
    query = select(Account.id).where(Account.id == account_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    await session.execute(query)
    keys = [notice_key(account_id, day, channel) for channel in mail.CHANNELS]
    if await session.scalar(select(MailMessage.id).where(MailMessage.idempotency_key.in_(keys)).limit(1)):
        return True
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(day, dt.time(0), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone).astimezone(dt.UTC)
    found = await session.scalar(
        select(CollectionContact.id)
        .where(
            CollectionContact.account_id == account_id,
            CollectionContact.kind == ContactKind.CUTOFF_NOTICE,
            CollectionContact.contacted_at >= start,
            CollectionContact.contacted_at < end,
        )
        .limit(1)
    )
    return found is not None


def notice_wording(
    account: Account, premise: Premise, amount_cents: int, cutoff_on: dt.date, *, phone: str
) -> tuple[str, list[str]]:
    """The cut-off notice in the current language: (subject, paragraphs), the same words in the email and the
    printed letter. `amount_cents` is what avoids cut-off (`Row.due_cents`: the past due less open disputes, never
    the disputed money). Call it inside `use_locale(customer's language)`."""
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
            amount=rules.money(amount_cents),
            date=format_date(cutoff_on),
        ),
        _(
            "Pay online, by phone at %(phone)s, or at our office, Monday to Friday, 8 a.m. to 5 p.m. Ask us about a "
            "payment arrangement or more time to pay. If you have already paid, thank you: please ignore this notice.",
            phone=phone,
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


def orders_plan(listing: CutoffList) -> confirm.Plan:
    """A disconnect order for each eligible account that has none open (so running it twice creates nothing new)."""
    if listing.day_refusal:
        return confirm.Plan("orders", (), listing.day_refusal)
    return confirm.Plan("orders", tuple(_item(row, "") for row in listing.eligible if row.open_disconnect_id is None))


async def create_orders(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    day: dt.date,
    timezone: str,
    forecast_high_f: int | None = None,
    expected: str | None = None,
) -> list[int]:
    """Create the orders of `orders_plan` (the one previewed, when `expected` gives its fingerprint)."""
    listing = await build(session, policy, day, timezone, forecast_high_f)
    plan = orders_plan(listing)
    if plan.refusal:
        raise DomainError(plan.refusal, field="day")
    confirm.check(plan, expected)
    by_id = {row.account.id: row for row in listing.rows}
    created = []
    for item in plan.items:
        row = by_id[item.key]
        try:
            order = await workorders.create(
                session,
                actor,
                kind=WorkOrderKind.DISCONNECT,
                premise_id=row.account.premise_id,
                account_id=row.account.id,
                due_on=day,
                priority=1,
                policy=policy,
                instructions=_(
                    "Disconnect for non-payment: %(amount)s past due %(days)d days. A customer who says they paid "
                    "today: call dispatch before you disconnect. Leave a door hanger.",
                    amount=rules.money(row.due_cents),
                    days=row.days_past_due,
                ),
            )
        except holds.DisconnectExcluded:
            continue  # the rule refuses before writing anything; one account never stops the others' orders
        created.append(order.id)
    return created


async def open_orders_due(session: AsyncSession, day: dt.date) -> list[tuple[WorkOrder, Account, Customer]]:
    """The open disconnect orders due on or before `day`, with their account and customer."""
    found = await session.execute(
        select(WorkOrder, Account, Customer)
        .join(Account, Account.id == WorkOrder.account_id)
        .join(Customer, Customer.id == Account.customer_id)
        .where(
            WorkOrder.kind == WorkOrderKind.DISCONNECT,
            WorkOrder.status.in_(workorders.OPEN_STATUSES),
            WorkOrder.due_on <= day,
        )
        .order_by(WorkOrder.id)
    )
    return [(order, account, customer) for order, account, customer in found]


async def own_exclusions(
    session: AsyncSession, policy: Policy, orders: list[tuple[WorkOrder, Account, Customer]], day: dt.date
) -> dict[int, tuple[holds.Exclusion, ...]]:
    """For `recheck_plan`: the accounts of these orders that the rule itself keeps off disconnection, with why."""
    return await holds.excluded(session, policy, [account.id for _order, account, _customer in orders], day)


def recheck_plan(
    listing: CutoffList,
    orders: list[tuple[WorkOrder, Account, Customer]],
    own: Mapping[int, Sequence[holds.Exclusion]] | None = None,
) -> confirm.Plan:
    """Which open disconnect orders the day-of recheck cancels (their account no longer qualifies), and why. The
    account's own reason (`own`: its certificate, its extension... from `holds.excluded`) is the one recorded, before
    the day's refusal."""
    own = own or {}
    still = {row.account.id for row in listing.eligible}
    delinquent: dict[int | None, Row] = {row.account.id: row for row in listing.rows}
    items = []
    for order, account, customer in orders:
        if order.account_id in still:
            continue
        row = delinquent.get(order.account_id)
        if row is None:
            reason = _("Cancelled at the day-of recheck: nothing is past due any more (paid).")
        elif account.id in own:
            reason = _("Cancelled at the day-of recheck: %(why)s", why="; ".join(e.reason for e in own[account.id]))
        elif listing.day_refusal:
            reason = _("Cancelled at the day-of recheck: %(why)s", why=listing.day_refusal)
        else:
            reason = _("Cancelled at the day-of recheck: %(why)s", why="; ".join(row.decision.reasons))
        owed = row.due_cents if row is not None else 0
        items.append(confirm.Item(order.id, account.number, customer.display_name, owed, reason))
    return confirm.Plan("recheck", tuple(items))


async def recheck(
    session: AsyncSession, actor: Actor, policy: Policy, day: dt.date, timezone: str, expected: str | None = None
) -> list[int]:
    """On the cut-off morning: cancel each open disconnect order whose account no longer qualifies, with the reason
    (the orders of `recheck_plan`, the one previewed when `expected` gives its fingerprint)."""
    listing = await build(session, policy, day, timezone)
    orders = await open_orders_due(session, day)
    plan = recheck_plan(listing, orders, await own_exclusions(session, policy, orders, day))
    confirm.check(plan, expected)
    by_id = {order.id: order for order, _account, _customer in orders}
    cancelled = []
    for item in plan.items:
        if await workorders.cancel(session, actor, by_id[item.key], item.detail):
            cancelled.append(item.key)
    return cancelled
