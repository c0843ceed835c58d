"""Refunds through Stripe (a deposit, a credit balance), each posted to the ledger once by its Stripe refund id, and
the daily reconciliation of the ledger's card and bank payments against Stripe's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import stripe
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from portal.accounts import audit, ledger, ledger_words, service_state
from portal.accounts.actor import Actor
from portal.accounts.models import LedgerEntry, LedgerKind, OnlinePayment, PaymentRefund
from portal.i18n import format_money
from portal.i18n import gettext as _

from .gateway import object_id, value_of
from .services import Context, PaymentProblem, locked, refund_payment_rows

KINDS = {"deposit": LedgerKind.DEPOSIT_REFUNDED, "credit": LedgerKind.REFUND}


@dataclass(frozen=True)
class RefundResult:
    refunds: list[PaymentRefund]
    refunded_cents: int


async def refund(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    *,
    account_id: int,
    kind: str,
    amount_cents: int,
    reason: str,
    claim_key: str,
) -> RefundResult:
    """Send `amount_cents` back to the card or bank account(s) the resident paid from, newest payment first.

    `claim_key` names this refund (e.g. "stop:<order id>:deposit" from the stop-service flow, or a staff form's
    nonce): calling again with it refunds nothing more. Raises PaymentProblem when the online payments on file
    cannot cover the amount (refund by check instead); nothing is sent in that case.
    """
    if kind not in KINDS:
        raise ValueError(f"refund kind must be one of {sorted(KINDS)}")
    if amount_cents <= 0:
        raise PaymentProblem(_("A refund must be more than zero."), field="amount")
    done = list(await session.scalars(select(PaymentRefund).where(PaymentRefund.claim_key.like(f"{claim_key}#%"))))
    if done:
        return RefundResult(done, sum(r.amount_cents for r in done if r.status == "succeeded"))
    plan: list[tuple[OnlinePayment, int]] = []
    left = amount_cents
    for payment in await refund_payment_rows(session, account_id):
        if left == 0:
            break
        take = min(left, payment.amount_cents - payment.refunded_cents)
        plan.append((payment, take))
        left -= take
    if left > 0:
        raise PaymentProblem(
            _(
                "Online payments on file cover only %(amount)s of this refund: send a check instead.",
                amount=format_money(amount_cents - left),
            )
        )
    made: list[PaymentRefund] = []
    for index, (payment, cents) in enumerate(plan):
        row = PaymentRefund(
            account_id=account_id,
            claim_key=f"{claim_key}#{index}",
            kind=kind,
            amount_cents=cents,
            payment_id=payment.id,
            status="pending",
            requested_by_id=actor.user_id,
            reason=reason[:300],
        )
        session.add(row)
        await session.flush()
        try:
            answer = await ctx.gateway.create_refund(
                {
                    "payment_intent": payment.intent_id,
                    "amount": cents,
                    "reason": "requested_by_customer",
                    "metadata": {"refund": str(row.id), "kind": kind},
                },
                idempotency_key=row.claim_key,
            )
        except stripe.StripeError as exc:
            raise PaymentProblem(
                _("Stripe refused the refund: %(reason)s", reason=exc.user_message or str(exc))
            ) from exc
        row.stripe_refund_id = answer.id
        await _post_refund(session, actor, row, answer, ctx.today())
        made.append(row)
    return RefundResult(made, sum(r.amount_cents for r in made if r.status == "succeeded"))


async def refund_credit_balance(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    *,
    account_id: int,
    claim_key: str,
    reason: str = "credit balance",
) -> RefundResult:
    """Refund whatever the account is owed (a negative balance) to the payments on file; nothing when it owes."""
    credit = -await ledger.balance(session, account_id)
    if credit <= 0:
        return RefundResult([], 0)
    return await refund(
        session,
        ctx,
        actor,
        account_id=account_id,
        kind="credit",
        amount_cents=credit,
        reason=reason,
        claim_key=claim_key,
    )


async def _post_refund(session: AsyncSession, actor: Actor, row: PaymentRefund, answer: Any, day: dt.date) -> None:
    row.status = (
        "succeeded"
        if answer.status == "succeeded"
        else ("failed" if answer.status in ("failed", "canceled") else "pending")
    )
    if row.status != "succeeded" or row.ledger_entry_id is not None:
        return
    payment = await session.get(OnlinePayment, row.payment_id)
    assert payment is not None
    posting = await ledger.post(
        session,
        actor,
        account_id=row.account_id,
        kind=KINDS[row.kind],
        amount_cents=row.amount_cents,
        source_key=answer.id,
        effective_on=day,
        memo=ledger_words.memo(f"{row.kind}_refund", method=payment.method, reference=payment.confirmation),
    )
    row.ledger_entry_id = posting.entry.id
    if posting.created:
        payment.refunded_cents += row.amount_cents
        await audit.record(
            session,
            actor,
            "payment.refund",
            "payment_refund",
            row.id,
            account_id=row.account_id,
            after={"stripe_refund": answer.id, "amount_cents": row.amount_cents, "kind": row.kind},
        )
        await service_state.close_settled(session, actor, [row.account_id], today=posting.entry.effective_on)


async def sync_refunds(session: AsyncSession, ctx: Context, actor: Actor, charge_id: str) -> str:
    """charge.refunded: post every succeeded refund of the charge once (ours by row, or one made in Stripe's
    dashboard as a credit refund)."""
    payment = await locked(session, select(OnlinePayment).where(OnlinePayment.charge_id == charge_id))
    if payment is None:
        return "not ours"
    posted = 0
    for answer in await ctx.gateway.list_refunds(charge_id):
        row = await session.scalar(select(PaymentRefund).where(PaymentRefund.stripe_refund_id == answer.id))
        if row is None:
            row = PaymentRefund(
                account_id=payment.account_id,
                claim_key=f"stripe:{answer.id}#0",
                kind="credit",
                amount_cents=int(answer.amount),
                payment_id=payment.id,
                stripe_refund_id=answer.id,
                reason="refunded in Stripe",
            )
            session.add(row)
            await session.flush()
        before = row.ledger_entry_id
        await _post_refund(session, actor, row, answer, ctx.today())
        posted += before is None and row.ledger_entry_id is not None
    return f"{posted} refund(s) posted"


# ---- reconciliation -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    intent_id: str
    problem: str
    ledger_cents: int | None
    stripe_cents: int | None


async def reconcile(session: AsyncSession, ctx: Context, day: dt.date) -> tuple[list[Difference], int, int]:
    """Every difference between the ledger's card/bank payments and Stripe's succeeded charges for payments started
    on `day` (the utility's time zone). A payment reversed in the ledger (a bank return) counts as not paid, as a
    failed charge does at Stripe. Answers (differences, ledger count, Stripe count)."""
    zone = ZoneInfo(ctx.timezone)
    start = dt.datetime.combine(day, dt.time(0), zone)
    end = start + dt.timedelta(days=1)
    reversal = aliased(LedgerEntry)
    rows = (
        await session.execute(
            select(OnlinePayment.intent_id, LedgerEntry.amount_cents)
            .join(LedgerEntry, OnlinePayment.ledger_entry_id == LedgerEntry.id)
            .outerjoin(reversal, reversal.reverses_id == LedgerEntry.id)
            .where(OnlinePayment.created_at >= start, OnlinePayment.created_at < end, reversal.id.is_(None))
        )
    ).all()
    ours = {key: -int(cents) for key, cents in rows if key is not None}  # every online payment has its intent id
    charges = await ctx.gateway.list_charges_since(int(start.timestamp()) - 1)
    theirs: dict[str, int] = {}
    for charge in charges:
        if charge.created >= end.timestamp() or charge.status != "succeeded":
            continue
        intent_id = object_id(value_of(charge, "payment_intent")) or charge.id
        theirs[intent_id] = theirs.get(intent_id, 0) + int(charge.amount)
    differences: list[Difference] = []
    for key in sorted(set(ours) | set(theirs)):
        mine, stripes = ours.get(key), theirs.get(key)
        if mine is None:
            differences.append(Difference(key, "in Stripe, not in the ledger", None, stripes))
        elif stripes is None:
            differences.append(Difference(key, "in the ledger, not in Stripe", mine, None))
        elif mine != stripes:
            differences.append(Difference(key, "amounts differ", mine, stripes))
    return differences, len(ours), len(theirs)
