"""Console services: what the account page shows, and the small actions taken from it (notes, medical alert).
Each action is one transaction with its audit row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal import mail, sms
from portal.accounts import arrears, audit, extensions, holds, numbers, summary, workorders
from portal.accounts import reads as reads_module
from portal.accounts.actor import Actor
from portal.accounts.arrears import Arrears
from portal.accounts.errors import DomainError, NotFound
from portal.accounts.models import (
    Account,
    AccountNote,
    Adjustment,
    AuditEvent,
    BankDraft,
    Bill,
    CollectionContact,
    Customer,
    Deposit,
    MailMessage,
    MedicalCertification,
    Meter,
    MeterRead,
    PaymentArrangement,
    PaymentExtension,
    Premise,
    Role,
    User,
    UserAccount,
    WorkOrder,
)
from portal.accounts.policy import Policy
from portal.accounts.summary import AccountSummary, LedgerLine
from portal.billing.energy_use import ENERGY_KINDS, EnergyUse, energy_use
from portal.i18n import gettext as _

from . import arrangements, rules
from .arrangements import ScheduleLine
from .history import HistoryLine, history_line

READS_SHOWN = 13  # the account page's latest reads (the template's count says "latest 13")
READS_BEHIND = 12  # older ones read to give each meter's oldest shown read its use


@dataclass(frozen=True)
class AccountView:
    # Types imported by name: inside the class, the fields `summary`, `arrears` and `arrangements` hide the modules.
    summary: AccountSummary
    arrears: Arrears
    lines: list[LedgerLine]
    bills: list[Bill]
    reads: list[tuple[MeterRead, Meter]]
    orders: list[WorkOrder]
    extensions: list[PaymentExtension]
    arrangements: list[PaymentArrangement]
    arrangement_lines: dict[int, list[ScheduleLine]]
    deposits: list[Deposit]
    drafts: list[BankDraft]
    adjustments: list[Adjustment]
    notes: list[tuple[AccountNote, str]]
    contacts: list[CollectionContact]
    messages: list[MailMessage]
    history: list[HistoryLine]
    medical_alert_until: dt.date | None
    medical_alert_active: bool
    # electric and gas: the kinds billed, each bill's kWh/therms, and each read's use since its meter's previous one
    energy_kinds: list[str] = field(default_factory=list)
    bill_energy: dict[int, dict[str, EnergyUse]] = field(default_factory=dict)
    read_use: dict[int, int] = field(default_factory=dict)


async def account_view(session: AsyncSession, account: Account, today: dt.date) -> AccountView:
    """Everything the account page shows, newest first, each list bounded."""

    async def newest(model: Any, order: Any, limit: int = 24) -> list[Any]:
        return list(
            await session.scalars(select(model).where(model.account_id == account.id).order_by(order).limit(limit))
        )

    head = await summary.summarize(session, account)
    plans = await newest(PaymentArrangement, PaymentArrangement.created_at.desc(), 10)
    reads = [
        (read, meter)
        for read, meter in await session.execute(
            select(MeterRead, Meter)
            .join(Meter, Meter.id == MeterRead.meter_id)
            .where(Meter.premise_id == account.premise_id)
            .order_by(MeterRead.read_at.desc())
            .limit(READS_SHOWN + READS_BEHIND)
        )
    ]
    # The reads shown, and a few older ones in the same query so that the oldest shown of each meter has its use too
    # (it read "—" when its previous read was just past the 13th).
    reads, behind = reads[:READS_SHOWN], reads
    notes = [
        (note, name or _("System"))
        for note, name in await session.execute(
            select(AccountNote, User.display_name)
            .outerjoin(User, User.id == AccountNote.author_id)
            .where(AccountNote.account_id == account.id)
            .order_by(AccountNote.created_at.desc(), AccountNote.id.desc())
            .limit(50)
        )
    ]
    until = head.customer.medical_alert_until
    bills = await newest(Bill, Bill.period_end.desc(), 13)
    bill_energy = {bill.id: energy_use(bill.document) for bill in bills}
    return AccountView(
        summary=head,
        arrears=await arrears.arrears(session, account.id, today),
        lines=await summary.ledger_with_running_balance(session, account.id, limit=60, total=head.balance_cents),
        bills=bills,
        reads=reads,
        orders=await newest(WorkOrder, WorkOrder.created_at.desc(), 20),
        extensions=await newest(PaymentExtension, PaymentExtension.requested_on.desc(), 10),
        arrangements=plans,
        arrangement_lines={plan.id: arrangements.schedule_lines(plan, today) for plan in plans},
        deposits=await newest(Deposit, Deposit.created_at.desc(), 5),
        drafts=await newest(BankDraft, BankDraft.created_at.desc(), 5),
        adjustments=await newest(Adjustment, Adjustment.created_at.desc(), 20),
        notes=notes,
        contacts=list(
            await session.scalars(
                select(CollectionContact)
                .where(CollectionContact.account_id == account.id)
                .order_by(CollectionContact.contacted_at.desc(), CollectionContact.id.desc())
                .limit(20)
            )
        ),
        messages=await mail.for_accounts(
            session, [account.id], [head.customer.email, sms.normalize(head.customer.phone)], limit=30
        ),
        history=await audit_history(session, account.id),
        medical_alert_until=until,
        medical_alert_active=until is not None and until >= today,
        energy_kinds=[kind for kind in ENERGY_KINDS if any(kind in used for used in bill_energy.values())],
        bill_energy=bill_energy,
        read_use=reads_module.uses_since_previous(
            [(read.id, meter.id, read.value, meter.dials, meter.multiplier) for read, meter in behind]
        ),
    )


async def audit_history(session: AsyncSession, account_id: int, limit: int = 50) -> list[HistoryLine]:
    """The account's audit rows, newest first, each with the actor's name and the action in words."""
    rows = await session.execute(
        select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.account_id == account_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [history_line(event, name) for event, name in rows]


async def add_note(session: AsyncSession, actor: Actor, account: Account, body: str) -> AccountNote:
    body = body.strip()
    if not body:
        raise DomainError(_("Write the note first."), field="body")
    note = AccountNote(account_id=account.id, author_id=actor.user_id, body=body[:4000])
    session.add(note)
    await session.flush()
    await audit.record(
        session, actor, "account.note", "account_note", note.id, account_id=account.id, after={"body": note.body}
    )
    return note


@dataclass(frozen=True)
class MedicalStanding:
    """The account's medical certifications and how many the current arrears have used."""

    certifications: list[MedicalCertification]
    arrears_since: dt.date | None
    used_for_these_arrears: int
    allowed: int


async def medical_standing(
    session: AsyncSession, policy: Policy, account: Account, today: dt.date, owed: Arrears | None = None
) -> MedicalStanding:
    """`owed`: the account's arrears today, when the caller has read them (the account page has)."""
    if owed is None:
        owed = await arrears.arrears(session, account.id, today)
    since = owed.oldest_past_due_on
    # the certifications and how many were for these arrears in one statement (outer joined: none still answers)
    used = (
        select(func.count())
        .select_from(MedicalCertification)
        .where(MedicalCertification.account_id == account.id, MedicalCertification.arrears_since == since)
        .scalar_subquery()
    )
    rows = list(
        await session.execute(
            select(MedicalCertification, used)
            .select_from(Account)
            .outerjoin(MedicalCertification, MedicalCertification.account_id == Account.id)
            .where(Account.id == account.id)
            .order_by(MedicalCertification.certified_on.desc(), MedicalCertification.id.desc())
            .limit(20)
        )
    )
    certifications = [certification for certification, _used in rows if certification is not None]
    count = int(rows[0][1] or 0) if rows and since is not None else 0
    return MedicalStanding(certifications, since, count, rules.medical_certificates_allowed(policy))


async def certify_medical(
    session: AsyncSession, actor: Actor, account: Account, policy: Policy, certified_on: dt.date, today: dt.date
) -> dt.date:
    """Record a doctor's certificate: the customer's accounts are held off disconnection until it lapses, unless
    the current arrears have used up their renewals."""
    standing = await medical_standing(session, policy, account, today)
    refusal = rules.medical_certification_refusal(
        policy,
        today=today,
        certified_on=certified_on,
        arrears_since=standing.arrears_since,
        earlier_for_these_arrears=standing.used_for_these_arrears,
    )
    if refusal:
        raise DomainError(refusal, field="certified_on")
    until = rules.medical_certificate_until(policy, certified_on)
    customer = await session.get(Customer, account.customer_id)
    assert customer is not None
    before = customer.medical_alert_until
    customer.medical_alert_until = until
    certification = MedicalCertification(
        customer_id=customer.id,
        account_id=account.id,
        certified_on=certified_on,
        holds_until=until,
        arrears_since=standing.arrears_since,
        recorded_by_id=actor.user_id,
    )
    session.add(certification)
    await session.flush()
    await audit.record(
        session,
        actor,
        "customer.medical_alert",
        "customer",
        customer.id,
        account_id=account.id,
        before={"medical_alert_until": before},
        after={
            "medical_alert_until": until,
            "certified_on": certified_on,
            "arrears_since": standing.arrears_since,
            "certificate": standing.used_for_these_arrears + 1,
            "certification_id": certification.id,
        },
    )
    # The certificate holds off disconnection for every account of this customer.
    accounts = await session.scalars(select(Account.id).where(Account.customer_id == customer.id))
    await workorders.exclusion_started(session, actor, list(accounts), holds.medical_reason(until))
    return until


@dataclass(frozen=True)
class QueuedExtension:
    extension: PaymentExtension
    account: Account
    customer: Customer
    past_due_cents: int  # today, which may differ from the amount asked about


async def extension_queue(session: AsyncSession, today: dt.date) -> list[QueuedExtension]:
    """Residents' extension requests the rule routed to a CSR, oldest first, with the account and its arrears now."""
    queue = await extensions.review_queue(session)
    if not queue:
        return []
    found = {
        account.id: (account, customer)
        for account, customer in await session.execute(
            select(Account, Customer)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Account.id.in_({e.account_id for e in queue}))
        )
    }
    owed = await arrears.arrears_many(session, list(found), today)
    return [QueuedExtension(e, *found[e.account_id], owed[e.account_id].past_due_cents) for e in queue]


async def extension_request(session: AsyncSession, extension_id: int) -> PaymentExtension:
    extension = await session.get(PaymentExtension, extension_id)
    if extension is None:
        raise NotFound(_("No such request."))
    return extension


async def account_numbered(session: AsyncSession, number: str) -> Account | None:
    """The account with this number, as typed (raises numbers.InvalidAccountNumber when it cannot be one)."""
    return await session.scalar(select(Account).where(Account.number == numbers.normalize(number)))


async def premise(session: AsyncSession, premise_id: int) -> Premise:
    found = await session.get(Premise, premise_id)
    if found is None:
        raise NotFound(_("We could not find that address."))
    return found


async def customer_by_account_number(session: AsyncSession, number: str) -> Customer | None:
    """The customer behind an account number (a start for an existing customer names one of their accounts)."""
    try:
        normalized = numbers.normalize(number)
    except numbers.InvalidAccountNumber:
        return None
    return await session.scalar(
        select(Customer).join(Account, Account.customer_id == Customer.id).where(Account.number == normalized)
    )


async def resident_login(
    session: AsyncSession, *, customer_id: int | None = None, account_id: int | None = None
) -> int | None:
    """The resident login that should see a new account: one linked to the account the customer is leaving, else
    one belonging to the customer. None when they have no login."""
    if account_id is not None:
        linked = await session.scalar(
            select(UserAccount.user_id)
            .join(User, User.id == UserAccount.user_id)
            .where(UserAccount.account_id == account_id, User.role == Role.CUSTOMER)
            .order_by(UserAccount.linked_at)
            .limit(1)
        )
        if linked is not None:
            return linked
    if customer_id is not None:
        return await session.scalar(
            select(User.id)
            .where(User.customer_id == customer_id, User.role == Role.CUSTOMER)
            .order_by(User.id)
            .limit(1)
        )
    return None
