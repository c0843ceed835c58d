"""Paying through Stripe, the core the rest of payments builds on: start a payment and bring it in line with
Stripe's current state. Above it: webhooks (event dispatch), autopay and refunds; below it only the gateway.

The return page, the webhook and the draft run all end in `sync_intent`, which asks Stripe for the PaymentIntent's
current state (never trusting an event's copy, so an old event arriving late cannot move anything backwards) and
posts through portal.accounts.payments with the intent id as the ledger key: whoever comes second changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import stripe
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import audit, ledger, ledger_words, numbers, payments
from portal.accounts.actor import Actor
from portal.accounts.errors import DomainError
from portal.accounts.messages import Mailer
from portal.accounts.models import (
    Account,
    BankDraft,
    BankDraftStatus,
    Bill,
    Customer,
    LedgerKind,
    OnlinePayment,
    PaymentRefund,
    utcnow,
)
from portal.accounts.payments import post_payment
from portal.accounts.policy import Policy, current_policy
from portal.i18n import format_date, format_money, use_locale
from portal.i18n import gettext as _

from . import rules
from .gateway import Gateway, object_id, value_of


class PaymentProblem(DomainError):
    """Stripe or our rules refused the payment; the message is written for the resident."""


@dataclass(frozen=True)
class Context:
    """What every payment service needs besides the database session."""

    gateway: Gateway
    timezone: str
    utility_name: str
    public_url: str
    policy: Policy
    mailer: Mailer  # receipts and returned-payment notices

    def today(self) -> dt.date:
        """The business date on the utility's clock: what a payment, return or refund posted now is dated. The UTC
        date would be tomorrow on a Central-time evening, and the resident's balance (as of today there) would not
        count it yet."""
        return dt.datetime.now(ZoneInfo(self.timezone)).date()

    @classmethod
    def of(cls, gateway: Gateway, settings: Any, mailer: Mailer, policy: Policy | None = None) -> Context:
        return cls(
            gateway, settings.timezone, settings.utility_name, settings.public_url, policy or current_policy(), mailer
        )


async def locked(session: AsyncSession, query: Any) -> Any:
    """The row, locked for this transaction on PostgreSQL (SQLite serialises writers anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return await session.scalar(query)


async def amount_due(session: AsyncSession, account_id: int) -> int:
    return max(await ledger.balance(session, account_id), 0)


async def bill_of_account(session: AsyncSession, account_id: int, bill_id: int | None) -> Bill | None:
    if bill_id is None:
        return None
    return await session.scalar(select(Bill).where(Bill.id == bill_id, Bill.account_id == account_id))


async def payment_by_confirmation(session: AsyncSession, confirmation: str) -> OnlinePayment | None:
    return await session.scalar(select(OnlinePayment).where(OnlinePayment.confirmation == confirmation.strip().upper()))


# ---- starting a payment -------------------------------------------------------------------------------------------


async def start_payment(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    *,
    account: Account,
    amount_cents: int,
    method: str,
    channel: str,
    claim_key: str,
    receipt_email: str | None = None,
    language: str | None = None,
) -> OnlinePayment:
    """Record the attempt and create its PaymentIntent (idempotency key = claim key). The same claim key again (a
    form sent twice) answers the first payment."""
    existing = await session.scalar(select(OnlinePayment).where(OnlinePayment.claim_key == claim_key))
    if existing is not None:
        if existing.account_id != account.id:
            raise PaymentProblem(_("This payment form was already used. Start again from the payment page."))
        return existing
    if method not in rules.METHODS:
        raise PaymentProblem(_("Choose card or bank account."), field="method")
    problem = rules.amount_problem(amount_cents, ctx.policy)
    if problem == "minimum":
        raise PaymentProblem(
            _(
                "The smallest online payment is %(amount)s.",
                amount=format_money(ctx.policy.online_payment_minimum_cents),
            ),
            field="amount",
        )
    if problem == "maximum":
        raise PaymentProblem(
            _(
                "The largest online payment is %(amount)s. Call us to pay more.",
                amount=format_money(ctx.policy.online_payment_maximum_cents),
            ),
            field="amount",
        )
    payment = OnlinePayment(
        account_id=account.id,
        claim_key=claim_key,
        confirmation=rules.new_confirmation(),
        method=method,
        channel=channel,
        amount_cents=amount_cents,
        status="created",
        user_id=actor.user_id,
        receipt_email=receipt_email,
        language=language,
    )
    session.add(payment)
    await session.flush()
    try:
        intent = await ctx.gateway.create_intent(
            {
                "amount": amount_cents,
                "currency": "usd",
                "payment_method_types": [method],
                "description": f"{ctx.utility_name} account {account.number}",
                "metadata": {
                    "account": account.number,
                    "payment": str(payment.id),
                    "confirmation": payment.confirmation,
                },
            },
            idempotency_key=claim_key,
        )
    except stripe.StripeError as exc:
        raise PaymentProblem(
            _("We could not start the payment. Nothing was charged. Please try again in a minute.")
        ) from exc
    payment.intent_id = intent.id
    payment.status = intent.status
    await audit.record(
        session,
        actor,
        "payment.start",
        "online_payment",
        payment.id,
        account_id=account.id,
        after={"intent": intent.id, "amount_cents": amount_cents, "method": method, "channel": channel},
    )
    return payment


async def client_secret(ctx: Context, payment: OnlinePayment) -> str:
    intent = await ctx.gateway.retrieve_intent(payment.intent_id or "")
    return str(intent.client_secret)


# ---- following Stripe's current state -----------------------------------------------------------------------------


async def sync_intent(session: AsyncSession, ctx: Context, actor: Actor, intent_id: str) -> OnlinePayment | None:
    """Bring our payment in line with the PaymentIntent as Stripe has it now. None when the intent is not ours."""
    payment = await locked(session, select(OnlinePayment).where(OnlinePayment.intent_id == intent_id))
    if payment is None:
        return None
    intent = await ctx.gateway.retrieve_intent(intent_id)
    charge_id = object_id(value_of(intent, "latest_charge"))
    if charge_id:
        payment.charge_id = charge_id
    status = intent.status
    if status == "succeeded":
        await _settle(session, ctx, actor, payment, int(intent.amount))
    elif payment.ledger_entry_id is not None:
        # It had succeeded and Stripe no longer says so: a bank return, decided from the charge itself.
        charge = await ctx.gateway.retrieve_charge(charge_id) if charge_id else None
        if charge is not None and charge.status == "failed":
            await _returned(session, ctx, actor, payment, charge)
    elif status == "processing":
        payment.status = "processing"
    elif status in ("requires_payment_method", "canceled"):
        error = value_of(intent, "last_payment_error")
        payment.status = "canceled" if status == "canceled" else ("failed" if error else "requires_payment_method")
        payment.failure_message = (value_of(error, "message") if error else None) or None
    else:
        payment.status = status
    await session.flush()
    return payment


async def _settle(session: AsyncSession, ctx: Context, actor: Actor, payment: OnlinePayment, amount_cents: int) -> None:
    if payment.status == "returned":
        return
    posted = await post_payment(
        session,
        actor,
        account_id=payment.account_id,
        amount_cents=amount_cents,
        source_key=payment.intent_id or "",
        method="draft" if payment.channel == "draft" else payment.method,
        paid_at=utcnow(),
        timezone=ctx.timezone,
        reference=payment.confirmation,
        policy=ctx.policy,
    )
    payment.ledger_entry_id = posted.entry.id
    payment.status = "succeeded"
    payment.failure_message = None
    if payment.succeeded_at is None:
        payment.succeeded_at = utcnow()
    if posted.created and not payment.receipt_sent:
        await _mail_receipt(session, ctx, payment)
        payment.receipt_sent = True


async def _customer_of(session: AsyncSession, account_id: int) -> tuple[Account, Customer]:
    account = await session.get(Account, account_id)
    assert account is not None
    customer = await session.get(Customer, account.customer_id)
    assert customer is not None
    return account, customer


async def _mail_receipt(session: AsyncSession, ctx: Context, payment: OnlinePayment) -> None:
    account, customer = await _customer_of(session, payment.account_id)
    to = payment.receipt_email or customer.email
    if not to:
        return
    # in the payer's language: a bank payment's receipt is sent by the webhook, outside the payer's request
    with use_locale(payment.language or customer.language or "en"):
        _queue_receipt(session, ctx, payment, account, to)


def _queue_receipt(session: AsyncSession, ctx: Context, payment: OnlinePayment, account: Account, to: str) -> None:
    method = _("Card") if payment.method == "card" else _("Bank account")
    # The email is the receipt: the receipt page opens only in the browser that paid (or for the account's login and
    # staff), so a link to it was a 404 for a guest reading this on another device.
    text = "\n".join(
        [
            _("Thank you. We received your payment. Keep this email as your receipt."),
            "",
            _("Confirmation number: %(number)s", number=payment.confirmation),
            _("Amount: %(amount)s", amount=format_money(payment.amount_cents)),
            _("Paid by: %(method)s", method=method),
            _("Account: %(number)s", number=numbers.display(account.number)),
            _("Date: %(date)s", date=format_date(ctx.today())),
            "",
            *(_bank_line(ctx) if payment.method != "card" else []),
            ctx.utility_name,
        ]
    )
    ctx.mailer.queue(session, to, _("Payment received: %(number)s", number=payment.confirmation), text)


def _bank_line(ctx: Context) -> list[str]:
    """A bank can still return a payment after it cleared: the authorization said so, the receipt says it too."""
    return [
        _(
            "If your bank later returns this payment, it is taken off your balance and a returned-payment fee of "
            "%(fee)s is added.",
            fee=format_money(ctx.policy.returned_payment_fee_cents),
        ),
        "",
    ]


async def _returned(session: AsyncSession, ctx: Context, actor: Actor, payment: OnlinePayment, charge: Any) -> None:
    """An ACH return: reverse the payment, charge the returned-payment fee, notify, suspend autopay on repeats."""
    today = ctx.today()
    code = value_of(charge, "failure_code") or "return"
    reversal = await ledger.reverse(
        session,
        actor,
        payment.ledger_entry_id or 0,
        reason=ledger_words.memo("returned", reference=payment.confirmation, code=code),
        effective_on=today,
        source_key=f"return:{charge.id}",
    )
    await ledger.post(
        session,
        actor,
        account_id=payment.account_id,
        kind=LedgerKind.FEE,
        amount_cents=ctx.policy.returned_payment_fee_cents,
        source_key=f"return-fee:{charge.id}",
        effective_on=today,
        memo=ledger_words.memo("returned_fee", reference=payment.confirmation),
    )
    if reversal.created:
        await payments.payment_taken_back(
            session, actor, reversal.entry.reverses_id or 0, payment.account_id, today, "a payment was returned"
        )
    if not reversal.created and payment.status == "returned":
        return
    payment.status = "returned"
    payment.returned_at = payment.returned_at or utcnow()
    payment.failure_message = (value_of(charge, "failure_message") or code)[:300]
    await session.flush()
    since = utcnow() - dt.timedelta(days=ctx.policy.autopay_returns_window_days)
    returns = int(
        await session.scalar(
            select(func.count())
            .select_from(OnlinePayment)
            .where(OnlinePayment.account_id == payment.account_id, OnlinePayment.returned_at >= since)
        )
        or 0
    )
    suspended = False
    drafts = list(
        await session.scalars(
            select(BankDraft).where(
                BankDraft.account_id == payment.account_id, BankDraft.status == BankDraftStatus.ACTIVE
            )
        )
    )
    for draft in drafts:
        draft.returns_count += 1
        if rules.suspends_autopay(returns, ctx.policy):
            draft.status = BankDraftStatus.SUSPENDED
            suspended = True
            await audit.record(
                session,
                actor,
                "bank_draft.suspend",
                "bank_draft",
                draft.id,
                account_id=draft.account_id,
                before={"status": "active"},
                after={"status": "suspended", "returns_in_window": returns},
            )
    await audit.record(
        session,
        actor,
        "payment.returned",
        "online_payment",
        payment.id,
        account_id=payment.account_id,
        after={"charge": charge.id, "code": code, "returns_in_window": returns},
    )
    account, customer = await _customer_of(session, payment.account_id)
    if customer.email:
        with use_locale(customer.language or "en"):  # sent from the bank's webhook, not a customer's page
            lines = [
                _(
                    "Your bank returned your payment %(number)s of %(amount)s (%(code)s).",
                    number=payment.confirmation,
                    amount=format_money(payment.amount_cents),
                    code=code,
                ),
                _(
                    "We have added it back to your balance with a returned-payment fee of %(fee)s.",
                    fee=format_money(ctx.policy.returned_payment_fee_cents),
                ),
            ]
            if suspended:
                lines.append(
                    _(
                        "Automatic bank draft is suspended after %(count)s returned payments in 12 months. Please pay another way.",
                        count=returns,
                    )
                )
            lines += ["", _("Account: %(number)s", number=numbers.display(account.number)), ctx.utility_name]
            ctx.mailer.queue(session, customer.email, _("Returned payment on your account"), "\n".join(lines))


async def refund_payment_rows(session: AsyncSession, account_id: int) -> list[OnlinePayment]:
    """Succeeded payments with money left to refund, newest first."""
    return list(
        await session.scalars(
            select(OnlinePayment)
            .where(
                OnlinePayment.account_id == account_id,
                OnlinePayment.status == "succeeded",
                OnlinePayment.refunded_cents < OnlinePayment.amount_cents,
            )
            .order_by(OnlinePayment.succeeded_at.desc(), OnlinePayment.id.desc())
        )
    )


__all__ = ["Context", "PaymentProblem", "PaymentRefund", "amount_due", "locked", "start_payment", "sync_intent"]
