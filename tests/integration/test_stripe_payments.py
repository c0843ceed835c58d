"""Card and bank payments against the Stripe stand-in over HTTP with the real SDK: one ledger entry per intent,
declines post nothing, ACH settles later, returns reverse and charge the fee, disputes reverse, refunds post once."""

import datetime as dt

import pytest
import stripe
from sqlalchemy import func, select

from portal.accounts import ledger
from portal.accounts.actor import Actor
from portal.accounts.models import (
    AccountStatus,
    AuditEvent,
    BankDraft,
    BankDraftStatus,
    LedgerEntry,
    LedgerKind,
    MailMessage,
    OnlinePayment,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.payments import refunds, services, webhooks
from tests import factories
from tests.stripe_harness import BANK_CLOSED, confirm_bank, confirm_card, control, wait_for

WEB = Actor(user_id=None, label="visitor", origin="web")
JOB = Actor.job("test")


async def owing(session, cents: int = 8_450, **kwargs):
    account = await factories.make_account(session, **kwargs)
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=cents,
        source_key=f"charge:{account.id}",
        effective_on=dt.date.today() - dt.timedelta(days=40),
    )
    await session.commit()
    return account


async def start(session, ctx, account, cents: int = 8_450, method: str = "card", key: str = "web:1"):
    payment = await services.start_payment(
        session,
        ctx,
        WEB,
        account=account,
        amount_cents=cents,
        method=method,
        channel="guest",
        claim_key=key,
        receipt_email="payer@example.com",
    )
    await session.commit()
    return payment


async def entries_for(session, key: str) -> int:
    return int(await session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.source_key == key)))


async def test_a_card_payment_posts_one_entry_keyed_by_the_intent_and_mails_one_receipt(session, payments_ctx) -> None:
    account = await owing(session)
    order = await factories.make_order(session, account, kind=WorkOrderKind.DISCONNECT)
    await session.commit()
    payment = await start(session, payments_ctx, account)
    assert payment.intent_id.startswith("pi_") and payment.status == "requires_payment_method"
    await confirm_card(payments_ctx, payment.intent_id)
    for _ in range(3):
        await services.sync_intent(session, payments_ctx, WEB, payment.intent_id)
        await session.commit()
    assert payment.status == "succeeded" and payment.ledger_entry_id is not None
    assert await entries_for(session, payment.intent_id) == 1
    assert await ledger.balance(session, account.id) == 0
    mails = (await session.scalars(select(MailMessage).where(MailMessage.to_addr == "payer@example.com"))).all()
    assert len(mails) == 1 and payment.confirmation in mails[0].text_body
    await session.refresh(order)
    assert order.status == WorkOrderStatus.CANCELLED and payment.confirmation in order.cancel_reason


async def test_the_same_form_sent_twice_makes_one_intent(session, payments_ctx) -> None:
    account = await owing(session)
    first = await start(session, payments_ctx, account, key="web:same")
    second = await start(session, payments_ctx, account, key="web:same")
    assert first.id == second.id and first.intent_id == second.intent_id


async def test_a_declined_card_posts_nothing_and_keeps_the_reason(session, payments_ctx) -> None:
    account = await owing(session)
    payment = await start(session, payments_ctx, account)
    with pytest.raises(stripe.CardError):
        await confirm_card(payments_ctx, payment.intent_id, "pm_card_chargeCustomerFail")
    await services.sync_intent(session, payments_ctx, WEB, payment.intent_id)
    await session.commit()
    assert payment.status == "failed" and "declined" in payment.failure_message
    assert await entries_for(session, payment.intent_id) == 0
    assert await ledger.balance(session, account.id) == 8_450


async def test_amounts_outside_the_limits_are_refused_before_stripe_is_asked(session, payments_ctx) -> None:
    account = await owing(session)
    with pytest.raises(services.PaymentProblem) as problem:
        await start(session, payments_ctx, account, cents=50)
    assert problem.value.field == "amount"
    assert await session.scalar(select(func.count()).select_from(OnlinePayment)) == 0


async def test_a_bank_payment_is_processing_first_and_posts_once_when_it_settles(session, payments_ctx) -> None:
    account = await owing(session)
    payment = await start(session, payments_ctx, account, method="us_bank_account")
    await confirm_bank(payments_ctx, payment.intent_id)
    await services.sync_intent(session, payments_ctx, WEB, payment.intent_id)
    await session.commit()
    assert payment.status == "processing" and await entries_for(session, payment.intent_id) == 0
    await wait_for(payments_ctx, payment.intent_id, "succeeded")
    await services.sync_intent(session, payments_ctx, WEB, payment.intent_id)
    await session.commit()
    assert payment.status == "succeeded" and await entries_for(session, payment.intent_id) == 1
    # Its receipt says a bank can still return it, and what that costs (a card's does not).
    from portal.accounts.models import MailMessage

    receipt = await session.scalar(
        select(MailMessage.text_body).where(MailMessage.subject.startswith("Payment received"))
    )
    assert receipt is not None and "If your bank later returns this payment" in receipt and "$30.00" in receipt


async def test_a_closed_bank_account_fails_later_and_posts_nothing(session, payments_ctx) -> None:
    account = await owing(session)
    payment = await start(session, payments_ctx, account, method="us_bank_account")
    await confirm_bank(payments_ctx, payment.intent_id, BANK_CLOSED)
    await wait_for(payments_ctx, payment.intent_id, "requires_payment_method")
    await services.sync_intent(session, payments_ctx, WEB, payment.intent_id)
    await session.commit()
    assert payment.status == "failed" and "closed" in payment.failure_message
    assert await entries_for(session, payment.intent_id) == 0


async def _settled_bank_payment(session, ctx, account, key: str) -> OnlinePayment:
    payment = await start(session, ctx, account, method="us_bank_account", key=key, cents=4_000)
    await confirm_bank(ctx, payment.intent_id)
    await wait_for(ctx, payment.intent_id, "succeeded")
    await services.sync_intent(session, ctx, WEB, payment.intent_id)
    await session.commit()
    return payment


async def test_an_ach_return_reverses_adds_the_fee_notifies_and_the_second_suspends_autopay(
    session, payments_ctx, stripe_stand_in
) -> None:
    account = await owing(session, cents=20_000)
    draft = BankDraft(
        account_id=account.id,
        status=BankDraftStatus.ACTIVE,
        authorization_text="I authorize...",
        authorized_at=dt.datetime.now(dt.UTC),
        authorized_ip="203.0.113.9",
    )
    session.add(draft)
    await session.commit()
    first = await _settled_bank_payment(session, payments_ctx, account, "web:r1")
    balance_paid = await ledger.balance(session, account.id)
    control(stripe_stand_in, f"/_test/charges/{first.charge_id}/return", code="R01")
    for _ in range(2):  # the return page and a webhook may both notice: one reversal, one fee
        await services.sync_intent(session, payments_ctx, JOB, first.intent_id)
        await session.commit()
    assert first.status == "returned"
    assert await ledger.balance(session, account.id) == balance_paid + 4_000 + 3_000
    assert await entries_for(session, f"return-fee:{first.charge_id}") == 1
    await session.refresh(draft)
    assert draft.status == BankDraftStatus.ACTIVE and draft.returns_count == 1
    second = await _settled_bank_payment(session, payments_ctx, account, "web:r2")
    control(stripe_stand_in, f"/_test/charges/{second.charge_id}/return", code="R01")
    await services.sync_intent(session, payments_ctx, JOB, second.intent_id)
    await session.commit()
    await session.refresh(draft)
    assert draft.status == BankDraftStatus.SUSPENDED and draft.returns_count == 2
    notices = (
        await session.scalars(
            select(MailMessage.text_body).where(MailMessage.subject == "Returned payment on your account")
        )
    ).all()
    assert len(notices) == 2 and "suspended" in notices[1] and "suspended" not in notices[0]


async def test_a_dispute_reverses_the_payment_once(session, payments_ctx, stripe_stand_in) -> None:
    account = await owing(session)
    payment = await start(session, payments_ctx, account)
    await confirm_card(payments_ctx, payment.intent_id)
    await services.sync_intent(session, payments_ctx, WEB, payment.intent_id)
    await session.commit()
    dispute = control(stripe_stand_in, f"/_test/charges/{payment.charge_id}/dispute", reason="fraudulent")
    event = {"id": "evt_dispute_1", "type": "charge.dispute.created", "data": {"object": dispute}}
    assert await webhooks.handle_event(session, payments_ctx, event) == "disputed"
    assert await webhooks.handle_event(session, payments_ctx, event) == "duplicate"
    await session.commit()
    assert await ledger.balance(session, account.id) == 8_450
    assert payment.disputed_at is not None


async def test_a_dispute_on_an_account_its_payment_closed_makes_the_account_final_again(
    session, payments_ctx, stripe_stand_in
) -> None:
    account = await owing(session)
    payment = await start(session, payments_ctx, account)
    await confirm_card(payments_ctx, payment.intent_id)
    await services.sync_intent(session, payments_ctx, WEB, payment.intent_id)
    account.status = AccountStatus.CLOSED  # paid off after its final bill: closed
    await session.commit()
    dispute = control(stripe_stand_in, f"/_test/charges/{payment.charge_id}/dispute", reason="fraudulent")
    event = {"id": "evt_dispute_closed", "type": "charge.dispute.created", "data": {"object": dispute}}
    assert await webhooks.handle_event(session, payments_ctx, event) == "disputed"
    await session.commit()
    await session.refresh(account)
    assert account.status == AccountStatus.FINAL and await ledger.balance(session, account.id) == 8_450
    why = await session.scalar(
        select(AuditEvent.after).where(AuditEvent.account_id == account.id, AuditEvent.action == "account.status")
    )
    assert why == {"status": "final", "reason": "a card payment was disputed"}


async def test_a_credit_refund_goes_back_to_the_card_and_posts_once(session, payments_ctx) -> None:
    account = await owing(session, cents=1_000)
    payment = await start(session, payments_ctx, account, cents=6_000)
    await confirm_card(payments_ctx, payment.intent_id)
    await services.sync_intent(session, payments_ctx, WEB, payment.intent_id)
    await session.commit()
    assert await ledger.balance(session, account.id) == -5_000
    done = await refunds.refund(
        session,
        payments_ctx,
        JOB,
        account_id=account.id,
        kind="credit",
        amount_cents=5_000,
        reason="credit balance at stop",
        claim_key="stop:1:credit",
    )
    again = await refunds.refund(
        session,
        payments_ctx,
        JOB,
        account_id=account.id,
        kind="credit",
        amount_cents=5_000,
        reason="credit balance at stop",
        claim_key="stop:1:credit",
    )
    await session.commit()
    assert done.refunded_cents == 5_000 and [r.id for r in again.refunds] == [r.id for r in done.refunds]
    assert await ledger.balance(session, account.id) == 0
    # Stripe's charge.refunded webhook for the same refund posts nothing more.
    assert await refunds.sync_refunds(session, payments_ctx, Actor.webhook(), payment.charge_id) == "0 refund(s) posted"
    assert await ledger.balance(session, account.id) == 0


async def test_a_refund_larger_than_the_online_payments_is_refused(session, payments_ctx) -> None:
    account = await owing(session, cents=0 + 1)
    with pytest.raises(services.PaymentProblem):
        await refunds.refund(
            session,
            payments_ctx,
            JOB,
            account_id=account.id,
            kind="deposit",
            amount_cents=15_000,
            reason="deposit",
            claim_key="stop:2:deposit",
        )


async def test_reconciliation_lists_every_difference_with_stripe(session, payments_ctx) -> None:
    account = await owing(session)
    paid = await start(session, payments_ctx, account, cents=2_000, key="web:a")
    await confirm_card(payments_ctx, paid.intent_id)
    await services.sync_intent(session, payments_ctx, WEB, paid.intent_id)
    unposted = await start(session, payments_ctx, account, cents=3_000, key="web:b")
    await confirm_card(payments_ctx, unposted.intent_id)  # Stripe took it; our ledger never heard
    await session.commit()
    today = dt.datetime.now(dt.UTC).astimezone(__import__("zoneinfo").ZoneInfo(payments_ctx.timezone)).date()
    differences, ours, theirs = await refunds.reconcile(session, payments_ctx, today)
    by_intent = {d.intent_id: d for d in differences}
    assert paid.intent_id not in by_intent
    assert by_intent[unposted.intent_id].problem == "in Stripe, not in the ledger"
    assert by_intent[unposted.intent_id].stripe_cents == 3_000


async def test_nothing_in_the_suite_can_reach_live_stripe(payments_ctx, stripe_stand_in) -> None:
    assert stripe.api_base == stripe_stand_in
    assert payments_ctx.gateway.client._requestor.base_addresses["api"] == stripe_stand_in
    assert payments_ctx.gateway.client._requestor.api_key.startswith("sk_test_")


async def test_a_credit_balance_refund_refunds_what_is_owed_back_and_nothing_twice(session, payments_ctx) -> None:
    account = await owing(session, cents=1_000)
    payment = await start(session, payments_ctx, account, cents=3_500)
    await confirm_card(payments_ctx, payment.intent_id)
    await services.sync_intent(session, payments_ctx, WEB, payment.intent_id)
    first = await refunds.refund_credit_balance(session, payments_ctx, JOB, account_id=account.id, claim_key="staff:9")
    second = await refunds.refund_credit_balance(
        session, payments_ctx, JOB, account_id=account.id, claim_key="staff:10"
    )
    await session.commit()
    assert first.refunded_cents == 2_500 and second.refunded_cents == 0
    assert await ledger.balance(session, account.id) == 0
