"""Bank draft (autopay): enrolment with a SetupIntent and the authorization kept verbatim (NACHA WEB online, PPD from a
signed paper form, TEL from a recorded call, the last two confirmed in writing as TEL asks), cancellation, and
the draft run that charges each enrolled account's bill off-session on its draft date, at most once per bill."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.accounts import audit, documents, ledger, numbers
from portal.accounts.actor import Actor
from portal.accounts.errors import DomainError
from portal.accounts.models import (
    Account,
    BankDraft,
    BankDraftStatus,
    Bill,
    Customer,
    OnlinePayment,
    Premise,
    utcnow,
)
from portal.accounts.photos import PhotoStore
from portal.i18n import format_datetime, format_money, use_locale
from portal.i18n import gettext as _

from . import rules
from .gateway import object_id, value_of
from .services import Context, PaymentProblem, locked, sync_intent

WEB, PAPER, PHONE = "web", "paper", "phone"


def authorization_text(ctx: Context, account_number: str, channel: str = WEB) -> str:
    """The authorization as the customer agrees to it, stored verbatim: NACHA WEB (the resident online, in the first
    person), PPD (the signed paper form, the same words the form prints) or TEL (the script a CSR reads to a caller,
    in the second person). Written in the current locale: call it inside `use_locale` for the customer's language."""
    days = ctx.policy.draft_days_before_due
    when = _("on each bill's due date") if days == 0 else _("%(days)s days before each bill's due date", days=days)
    words = {"utility": ctx.utility_name, "account": numbers.display(account_number), "when": when}
    fee = format_money(ctx.policy.returned_payment_fee_cents)
    count = ctx.policy.returns_to_suspend_autopay
    if channel == PHONE:
        return " ".join(
            [
                _(
                    "You authorize %(utility)s to electronically debit the checking or savings account whose numbers "
                    "you give me on this call for the amount of each utility bill on account %(account)s, %(when)s, "
                    "until you cancel.",
                    **words,
                ),
                _("Each bill, sent at least 10 days before the debit, is your notice of the amount and date."),
                _(
                    "You can cancel at any time by calling us or online; a cancellation made at least 3 business days "
                    "before a debit stops that debit."
                ),
                _(
                    "If your bank returns a debit, a returned-payment fee of %(fee)s is added to your account, and "
                    "automatic debits stop after %(count)s returns in 12 months.",
                    fee=fee,
                    count=count,
                ),
                _("We will send you a written confirmation of this authorization before the first debit."),
                _("This call is recorded. Do you agree?"),
            ]
        )
    first = (
        _(
            "I authorize %(utility)s to electronically debit the checking or savings account named on this form for "
            "the amount of each utility bill on account %(account)s, %(when)s, until I cancel.",
            **words,
        )
        if channel == PAPER
        else _(
            "I authorize %(utility)s to electronically debit the bank account I enter below for the amount of each "
            "utility bill on account %(account)s, %(when)s, until I cancel.",
            **words,
        )
    )
    cancel = (
        _(
            "I can cancel at any time by calling, in writing or online; a cancellation made at least 3 business days "
            "before a debit stops that debit."
        )
        if channel == PAPER
        else _(
            "I can cancel at any time on this page; a cancellation made at least 3 business days before a debit "
            "stops that debit."
        )
    )
    return " ".join(
        [
            first,
            _("Each bill, sent at least 10 days before the debit, is my notice of the amount and date."),
            cancel,
            _(
                "If my bank returns a debit, a returned-payment fee of %(fee)s is added to my account, and automatic "
                "debits stop after %(count)s returns in 12 months.",
                fee=fee,
                count=count,
            ),
            _("This authorization complies with U.S. law and the NACHA Operating Rules."),
        ]
    )


def text_in(ctx: Context, account_number: str, channel: str, language: str) -> str:
    """The authorization in a language (the printed form's, the caller's)."""
    with use_locale(language):
        return authorization_text(ctx, account_number, channel)


async def current_draft(session: AsyncSession, account_id: int) -> BankDraft | None:
    """The account's live enrolment (active, suspended or waiting for the bank), newest first."""
    return await session.scalar(
        select(BankDraft)
        .where(
            BankDraft.account_id == account_id,
            BankDraft.status.in_([BankDraftStatus.PENDING, BankDraftStatus.ACTIVE, BankDraftStatus.SUSPENDED]),
        )
        .order_by(BankDraft.id.desc())
        .limit(1)
    )


async def _open_setup(session: AsyncSession, ctx: Context, account: Account) -> tuple[str, Any]:
    """A Stripe customer and an off-session SetupIntent for a US bank account: the bank numbers go from the browser
    (the resident's, or the CSR's keying them from the form or the call) to Stripe, never to us."""
    customer = await session.get(Customer, account.customer_id)
    assert customer is not None
    nonce = secrets.token_hex(8)
    try:
        stripe_customer = await ctx.gateway.create_customer(
            {"email": customer.email or "", "name": customer.display_name, "metadata": {"account": account.number}},
            idempotency_key=f"draft-customer:{account.id}:{nonce}",
        )
        setup = await ctx.gateway.create_setup_intent(
            {
                "customer": stripe_customer.id,
                "payment_method_types": ["us_bank_account"],
                "usage": "off_session",
                "metadata": {"account": account.number},
            },
            idempotency_key=f"draft-setup:{account.id}:{nonce}",
        )
    except stripe.StripeError as exc:
        raise PaymentProblem(_("We could not start the bank draft enrolment. Please try again in a minute.")) from exc
    return stripe_customer.id, setup


async def start_enrolment(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    *,
    account: Account,
    text: str,
    ip: str,
    channel: str = WEB,
    record: dict[str, Any] | None = None,
) -> tuple[BankDraft, str]:
    """The customer agreed to `text`: keep it verbatim with time and IP, and open a SetupIntent for a bank account.
    Answers the draft and the SetupIntent's client secret for Stripe.js. The resident online is channel "web"; a CSR
    taking a signed form ("paper") or a recorded call ("phone") passes the record of it (and acts for the customer:
    `Actor.for_customer`), and the CSR is kept as who took it."""
    stripe_customer_id, setup = await _open_setup(session, ctx, account)
    draft = BankDraft(
        account_id=account.id,
        status=BankDraftStatus.PENDING,
        stripe_customer_id=stripe_customer_id,
        stripe_setup_intent_id=setup.id,
        authorization_text=text,
        authorized_at=utcnow(),
        authorized_ip=ip[:64],
        channel=channel,
        taken_by_id=actor.user_id if channel != WEB else None,
        authorization_record=record,
    )
    session.add(draft)
    await session.flush()
    await audit.record(
        session,
        actor,
        "bank_draft.authorize",
        "bank_draft",
        draft.id,
        account_id=account.id,
        after={"setup_intent": setup.id, "ip": ip, "authorization_text": text, "channel": channel, "record": record},
    )
    return draft, str(setup.client_secret)


def _refuse(problems: list[rules.Refusal]) -> None:
    if problems:
        raise DomainError(" ".join(p.message for p in problems), field=problems[0].field, code="authorization")


async def enrol_by_paper(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    store: PhotoStore,
    *,
    account: Account,
    signer: str,
    signed_on: dt.date,
    version: str,
    numbers_covered: bool,
    scan: documents.Scan,
    ip: str,
    today: dt.date,
) -> tuple[BankDraft, str]:
    """A CSR takes a signed paper authorization (NACHA PPD): the form's wording (by the version printed on it, in
    its language) kept verbatim, the scan kept (its bank numbers covered), the signer and the date; then the bank
    numbers go from the CSR's browser to Stripe like the resident's. `actor` is the CSR acting for the customer."""
    _refuse(
        rules.paper_form_problems(
            signer=signer, signed_on=signed_on, version=version, numbers_covered=numbers_covered, today=today
        )
    )
    kept = await documents.keep_scan(store, scan, utcnow())
    record = {
        "signer": signer.strip(),
        "signed_on": signed_on.isoformat(),
        "wording_version": version,
        "language": rules.PPD_FORMS[version],
        "scan": kept.as_record(),
        "bank_numbers_covered": True,
    }
    text = text_in(ctx, account.number, PAPER, rules.PPD_FORMS[version])
    return await start_enrolment(session, ctx, actor, account=account, text=text, ip=ip, channel=PAPER, record=record)


async def enrol_by_phone(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    *,
    account: Account,
    caller: str,
    called_at: dt.datetime,
    recording_ref: str,
    language: str,
    ip: str,
    now: dt.datetime,
) -> tuple[BankDraft, str]:
    """A CSR takes a recorded phone authorization (NACHA TEL): the script as read (in the caller's language) kept
    verbatim with the caller's name, the time of the call and the recording's reference; the written confirmation
    goes out when the bank account is set up (`_confirm_in_writing`)."""
    _refuse(rules.phone_call_problems(caller=caller, called_at=called_at, recording_ref=recording_ref, now=now))
    record = {
        "caller": caller.strip(),
        "called_at": called_at.astimezone(dt.UTC).isoformat(),
        "recording_ref": recording_ref.strip(),
        "wording_version": rules.TEL_SCRIPT_VERSION,
        "language": language,
    }
    text = text_in(ctx, account.number, PHONE, language)
    return await start_enrolment(session, ctx, actor, account=account, text=text, ip=ip, channel=PHONE, record=record)


async def sync_setup_intent(
    session: AsyncSession, ctx: Context, actor: Actor, setup_intent_id: str
) -> BankDraft | None:
    """Activate the enrolment once Stripe says the bank account is set up (return page or webhook, in any order)."""
    draft = await locked(session, select(BankDraft).where(BankDraft.stripe_setup_intent_id == setup_intent_id))
    if draft is None:
        return None
    setup = await ctx.gateway.retrieve_setup_intent(setup_intent_id)
    if setup.status != "succeeded" or draft.status != BankDraftStatus.PENDING:
        return draft
    draft.stripe_payment_method_id = object_id(value_of(setup, "payment_method"))
    draft.stripe_mandate_id = object_id(value_of(setup, "mandate"))
    if draft.stripe_payment_method_id:
        method = await ctx.gateway.retrieve_payment_method(draft.stripe_payment_method_id)
        bank = value_of(method, "us_bank_account") or {}
        draft.bank_name = (value_of(bank, "bank_name") or "")[:80] or None
        draft.last4 = value_of(bank, "last4")
    # One enrolment per account: a new one replaces the old.
    for older in await session.scalars(
        select(BankDraft).where(
            BankDraft.account_id == draft.account_id,
            BankDraft.id != draft.id,
            BankDraft.status.in_([BankDraftStatus.ACTIVE, BankDraftStatus.SUSPENDED, BankDraftStatus.PENDING]),
        )
    ):
        await _set_status(session, actor, older, BankDraftStatus.CANCELLED, "replaced by a new enrolment")
    await _set_status(session, actor, draft, BankDraftStatus.ACTIVE, "bank account set up")
    if draft.channel != PAPER:  # a signed form's signer holds its words; a caller and a resident online do not
        await _confirm_in_writing(session, ctx, actor, draft)
    return draft


async def _confirm_in_writing(session: AsyncSession, ctx: Context, actor: Actor, draft: BankDraft) -> None:
    """A copy of the authorization for the customer to keep, before the first debit (the draft run is on the bill's
    draft date, days away): what NACHA requires for a phone authorization (TEL: written notice), and what a resident
    who agreed online is owed too (they had no copy of what they agreed to). By email when the
    customer has one, else by letter; in their language; once (the draft turns active once)."""
    found = (
        await session.execute(
            select(Customer, Account, Premise)
            .join(Account, Account.customer_id == Customer.id)
            .join(Premise, Premise.id == Account.premise_id)
            .where(Account.id == draft.account_id)
        )
    ).one()
    customer, account, premise = found
    record = dict(draft.authorization_record or {})
    with use_locale(customer.language or "en"):
        subject = str(_("Your automatic bank draft authorization"))
        facts = {
            "name": customer.display_name,
            "account": numbers.display(account.number),
            "last4": draft.last4 or "····",
            "bank": draft.bank_name or _("your bank"),
        }
        if draft.channel == PHONE:
            opening = _(
                "%(name)s, this confirms the authorization you gave by phone on %(when)s for automatic bank draft "
                "on account %(account)s, from the account ending in %(last4)s at %(bank)s.",
                when=format_datetime(record.get("called_at"), ctx.timezone),
                **facts,
            )
            heading = _("The authorization, as read to you:")
        else:
            opening = _(
                "%(name)s, this confirms the authorization you gave on %(when)s for automatic bank draft on account "
                "%(account)s, from the account ending in %(last4)s at %(bank)s. Keep this copy.",
                when=format_datetime(draft.authorized_at, ctx.timezone),
                **facts,
            )
            heading = _("The authorization you agreed to:")
        body = "\n\n".join(
            [
                opening,
                heading,
                draft.authorization_text,
                _("If this is not what you agreed to, call us before the first debit and we will cancel it."),
            ]
        )
    if customer.email:
        ctx.mailer.queue(session, customer.email, subject, body)
        channel = "email"
    else:
        address = customer.mailing_address or f"{customer.display_name}, {premise.one_line}"
        ctx.mailer.queue_letter(session, address, subject, body, account_id=account.id)
        channel = "letter"
    record["confirmation"] = {"channel": channel, "queued_at": utcnow().isoformat()}
    draft.authorization_record = record
    await session.flush()
    await audit.record(
        session,
        actor,
        "bank_draft.confirm",
        "bank_draft",
        draft.id,
        account_id=draft.account_id,
        after={"channel": channel},
    )


async def sync_mandate(session: AsyncSession, ctx: Context, actor: Actor, mandate_id: str) -> str:
    mandate = await ctx.gateway.retrieve_mandate(mandate_id)
    if mandate.status == "active":
        return "mandate active"
    drafts = list(
        await session.scalars(
            select(BankDraft).where(
                BankDraft.stripe_mandate_id == mandate_id, BankDraft.status == BankDraftStatus.ACTIVE
            )
        )
    )
    for draft in drafts:
        await _set_status(session, actor, draft, BankDraftStatus.SUSPENDED, f"mandate {mandate.status}")
    return f"mandate {mandate.status}: {len(drafts)} suspended"


async def cancel(session: AsyncSession, actor: Actor, draft: BankDraft) -> bool:
    if draft.status == BankDraftStatus.CANCELLED:
        return False
    await _set_status(session, actor, draft, BankDraftStatus.CANCELLED, "cancelled by the account holder")
    return True


async def _set_status(session: AsyncSession, actor: Actor, draft: BankDraft, status: BankDraftStatus, why: str) -> None:
    before = draft.status
    draft.status = status
    if status == BankDraftStatus.CANCELLED:
        draft.cancelled_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor,
        f"bank_draft.{status.value}",
        "bank_draft",
        draft.id,
        account_id=draft.account_id,
        before={"status": before},
        after={"status": status, "reason": why},
    )


# ---- the draft run ------------------------------------------------------------------------------------------------


@dataclass
class DraftRunReport:
    charged: list[str] = field(default_factory=list)  # confirmation numbers
    skipped: list[str] = field(default_factory=list)  # why, per account
    failed: list[str] = field(default_factory=list)


async def _due_drafts(session: AsyncSession, ctx: Context, day: dt.date) -> list[tuple[BankDraft, Bill]]:
    """Active enrolments whose latest bill's draft date has come and that bill is not yet past due."""
    found: list[tuple[BankDraft, Bill]] = []
    drafts = list(
        await session.scalars(
            select(BankDraft).where(BankDraft.status == BankDraftStatus.ACTIVE).order_by(BankDraft.id)
        )
    )
    for draft in drafts:
        bill = await session.scalar(
            select(Bill)
            .where(Bill.account_id == draft.account_id)
            .order_by(Bill.due_date.desc(), Bill.id.desc())
            .limit(1)
        )
        if bill is not None and rules.draft_date(bill.due_date, ctx.policy) <= day <= bill.due_date:
            found.append((draft, bill))
    return found


async def draft_run(
    maker: async_sessionmaker[AsyncSession], ctx: Context, day: dt.date, echo: Callable[[str], None] = lambda _m: None
) -> DraftRunReport:
    """Charge each enrolled account's current bill off-session. Each bill is claimed by a unique key (draft:<bill id>)
    in its own transaction before Stripe is called, and Stripe gets the same key as its idempotency key, so a second
    run, or a second machine at the same moment, charges nobody twice; a claim left by a crash is retried with the
    same key."""
    actor = Actor.job("draft-run")
    report = DraftRunReport()
    async with maker() as session:
        due = [
            (draft.id, draft.account_id, bill.id, bill.total_cents)
            for draft, bill in await _due_drafts(session, ctx, day)
        ]
    echo(f"{len(due)} enrolled account(s) have a bill to draft on {day.isoformat()}")
    for draft_id, account_id, bill_id, bill_total in due:
        key = f"draft:{bill_id}"
        async with maker() as session, session.begin():
            balance = await ledger.balance(session, account_id)
            amount = min(bill_total, balance)
            existing = await session.scalar(select(OnlinePayment).where(OnlinePayment.claim_key == key))
            if existing is not None and existing.intent_id is not None:
                report.skipped.append(f"account {account_id}: bill {bill_id} already drafted ({existing.confirmation})")
                continue
            if existing is None:
                if amount < ctx.policy.online_payment_minimum_cents:
                    report.skipped.append(f"account {account_id}: nothing to draft (balance {format_money(balance)})")
                    continue
                claim = OnlinePayment(
                    account_id=account_id,
                    claim_key=key,
                    confirmation=rules.new_confirmation(),
                    method="us_bank_account",
                    channel="draft",
                    amount_cents=amount,
                    status="created",
                    bill_id=bill_id,
                    bank_draft_id=draft_id,
                )
                try:
                    async with session.begin_nested():
                        session.add(claim)
                        await session.flush()
                except IntegrityError:
                    report.skipped.append(f"account {account_id}: bill {bill_id} claimed by another run")
                    continue
        # The claim is committed: from here on every retry uses the same idempotency key.
        async with maker() as session, session.begin():
            payment = await locked(session, select(OnlinePayment).where(OnlinePayment.claim_key == key))
            if payment is None or payment.intent_id is not None:
                report.skipped.append(f"account {account_id}: bill {bill_id} drafted by another run")
                continue
            draft = await session.get(BankDraft, draft_id)
            assert draft is not None
            account = await session.get(Account, account_id)
            assert account is not None
            try:
                intent = await ctx.gateway.create_intent(
                    {
                        "amount": payment.amount_cents,
                        "currency": "usd",
                        "customer": draft.stripe_customer_id,
                        "payment_method": draft.stripe_payment_method_id,
                        "payment_method_types": ["us_bank_account"],
                        "mandate": draft.stripe_mandate_id,
                        "confirm": True,
                        "off_session": True,
                        "description": f"{ctx.utility_name} account {account.number} bank draft",
                        "metadata": {
                            "account": account.number,
                            "payment": str(payment.id),
                            "bill": str(bill_id),
                            "confirmation": payment.confirmation,
                        },
                    },
                    idempotency_key=key,
                )
            except stripe.StripeError as exc:
                payment.status = "failed"
                payment.failure_message = (exc.user_message or str(exc))[:300]
                report.failed.append(f"account {account_id}: {payment.failure_message}")
                await audit.record(
                    session,
                    actor,
                    "payment.draft_failed",
                    "online_payment",
                    payment.id,
                    account_id=account_id,
                    after={"error": payment.failure_message},
                )
                continue
            payment.intent_id = intent.id
            payment.status = intent.status
            await audit.record(
                session,
                actor,
                "payment.draft",
                "online_payment",
                payment.id,
                account_id=account_id,
                after={"intent": intent.id, "amount_cents": payment.amount_cents, "bill": bill_id},
            )
            await session.flush()
            await sync_intent(session, ctx, actor, intent.id)
            report.charged.append(payment.confirmation)
            echo(
                f"  account {account.number}: drafted {format_money(payment.amount_cents)} ({payment.confirmation}, {intent.status})"
            )
    echo(f"Drafted {len(report.charged)}, skipped {len(report.skipped)}, failed {len(report.failed)}.")
    return report
