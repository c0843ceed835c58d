"""Stripe's webhook events: each verified event is stored once and dispatched to the part of payments it concerns
(intents and charges to the core's `sync_intent`, refunds, disputes, bank draft set-up and mandates)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import audit, ledger, ledger_words, payments
from portal.accounts.actor import Actor
from portal.accounts.models import OnlinePayment, StripeEvent, utcnow

from . import autopay, refunds
from .gateway import object_id, value_of
from .services import Context, locked, sync_intent


async def record_event(session: AsyncSession, event_id: str, kind: str, object_id_: str | None) -> bool:
    """Store the event id before handling it, in the handler's transaction; False when it was already stored (a
    replay). If handling fails, the row rolls back with it and Stripe's retry is handled afresh."""
    if await session.get(StripeEvent, event_id) is not None:
        return False
    row = StripeEvent(id=event_id, type=kind, object_id=object_id_)
    if session.get_bind().dialect.name == "sqlite":
        # pysqlite opens no transaction before a SAVEPOINT, so releasing one that is the transaction's first write
        # would commit it at once; SQLite serialises writers, so a plain insert is enough here.
        session.add(row)
        await session.flush()
        return True
    try:
        async with session.begin_nested():  # a concurrent delivery of the same event: the unique id decides
            session.add(row)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def handle_event(session: AsyncSession, ctx: Context, event: Any) -> str:
    """Handle one verified Stripe event at most once; the answer says what happened (kept on the event row)."""
    obj = event["data"]["object"]
    kind = event["type"]
    if not await record_event(session, event["id"], kind, value_of(obj, "id")):
        return "duplicate"
    actor = Actor.webhook()
    outcome = "ignored"
    if kind.startswith("payment_intent."):
        payment = await sync_intent(session, ctx, actor, obj["id"])
        outcome = payment.status if payment else "not ours"
    elif kind == "charge.failed" or kind == "charge.succeeded":
        intent_id = object_id(value_of(obj, "payment_intent"))
        payment = await sync_intent(session, ctx, actor, intent_id) if intent_id else None
        outcome = payment.status if payment else "not ours"
    elif kind == "charge.refunded":
        outcome = await refunds.sync_refunds(session, ctx, actor, obj["id"])
    elif kind == "charge.dispute.created":
        outcome = await _disputed(session, ctx, actor, obj["id"])
    elif kind == "setup_intent.succeeded":
        draft = await autopay.sync_setup_intent(session, ctx, actor, obj["id"])
        outcome = draft.status if draft else "not ours"
    elif kind == "mandate.updated":
        outcome = await autopay.sync_mandate(session, ctx, actor, obj["id"])
    stored = await session.get(StripeEvent, event["id"])
    if stored is not None:
        stored.outcome = str(outcome)[:200]
    return str(outcome)


async def _disputed(session: AsyncSession, ctx: Context, actor: Actor, dispute_id: str) -> str:
    dispute = await ctx.gateway.retrieve_dispute(dispute_id)
    charge_id = object_id(value_of(dispute, "charge"))
    payment = await locked(session, select(OnlinePayment).where(OnlinePayment.charge_id == charge_id))
    if payment is None:
        return "not ours"
    if payment.disputed_at is None:
        payment.disputed_at = utcnow()
        await audit.record(
            session,
            actor,
            "payment.disputed",
            "online_payment",
            payment.id,
            account_id=payment.account_id,
            after={
                "dispute": dispute.id,
                "reason": value_of(dispute, "reason"),
                "amount_cents": value_of(dispute, "amount"),
            },
        )
    if payment.ledger_entry_id is not None:
        # The bank took the money back when the dispute opened: the payment no longer counts.
        taken = await ledger.reverse(
            session,
            actor,
            payment.ledger_entry_id,
            reason=ledger_words.memo("disputed", reference=payment.confirmation),
            effective_on=ctx.today(),
            source_key=f"dispute:{dispute.id}",
        )
        if taken.created:
            await payments.payment_taken_back(
                session, actor, payment.ledger_entry_id, payment.account_id, ctx.today(), "a card payment was disputed"
            )
    return "disputed"
