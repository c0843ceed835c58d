"""The one payment-posting function: one entry per key, and what clearing the arrears does to work orders."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.accounts import ledger, payments
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict
from portal.accounts.models import (
    AccountStatus,
    AuditEvent,
    LedgerEntry,
    LedgerKind,
    Meter,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import Policy, us_holidays
from tests import factories

JOB = Actor.job("test")
TZ = "America/Chicago"
POLICY = Policy(holidays=us_holidays(range(2026, 2027)))
TUESDAY = dt.date(2026, 11, 24)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo(TZ))


async def overdue_account(session, cents: int = 12_000, **kwargs):
    account = await factories.make_account(session, **kwargs)
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=cents,
        source_key=f"test-charge:{account.id}",
        effective_on=TUESDAY - dt.timedelta(days=45),
    )
    return account


async def pay(session, account, cents: int, key: str, when: dt.datetime | None = None, method: str = "card"):
    return await payments.post_payment(
        session,
        JOB,
        account_id=account.id,
        amount_cents=cents,
        source_key=key,
        method=method,
        paid_at=when or at(TUESDAY, 10, 42),
        timezone=TZ,
        reference="PAY-1",
        policy=POLICY,
    )


async def test_posting_the_same_key_twice_posts_one_entry_and_applies_effects_once(session) -> None:
    account = await overdue_account(session)
    order = await factories.make_order(session, account, kind=WorkOrderKind.DISCONNECT)
    first = await pay(session, account, 12_000, "pi_123")
    second = await pay(session, account, 12_000, "pi_123")
    assert first.created and not second.created and second.entry.id == first.entry.id
    assert first.cancelled_order_ids == (order.id,) and second.cancelled_order_ids == ()
    assert await ledger.balance(session, account.id) == 0
    count = await session.scalar(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.source_key == "pi_123")
    )
    assert count == 1


async def test_the_same_key_with_another_amount_is_refused(session) -> None:
    account = await overdue_account(session)
    await pay(session, account, 5_000, "rcpt-77")
    with pytest.raises(Conflict):
        await pay(session, account, 6_000, "rcpt-77")


async def test_clearing_the_past_due_cancels_the_open_disconnect_with_a_reason_for_the_technician(session) -> None:
    account = await overdue_account(session)
    order = await factories.make_order(session, account, kind=WorkOrderKind.DISCONNECT)
    result = await pay(session, account, 12_000, "pi_clear")
    await session.refresh(order)
    assert result.cancelled_order_ids == (order.id,) and result.restore_order_id is None
    assert order.status == WorkOrderStatus.CANCELLED
    assert "$120.00" in order.cancel_reason and "10:42" in order.cancel_reason and "PAY-1" in order.cancel_reason
    actions = (await session.scalars(select(AuditEvent.action).where(AuditEvent.account_id == account.id))).all()
    assert "work_order.cancel" in actions and "payment.cleared_arrears" in actions


async def test_a_partial_payment_leaves_the_disconnect_open(session) -> None:
    account = await overdue_account(session)
    order = await factories.make_order(session, account, kind=WorkOrderKind.DISCONNECT)
    result = await pay(session, account, 6_000, "pi_partial")  # $60.00 still past due: over the $50.00 minimum
    await session.refresh(order)
    assert result.created and result.cancelled_order_ids == ()
    assert order.status == WorkOrderStatus.OPEN


async def test_a_payment_that_leaves_less_than_the_cutoff_minimum_cancels_the_disconnect(session) -> None:
    account = await overdue_account(session)
    order = await factories.make_order(session, account, kind=WorkOrderKind.DISCONNECT)
    result = await pay(session, account, 11_999, "pi_partial")  # 1 cent past due: no cut-off for that
    await session.refresh(order)
    assert result.cancelled_order_ids == (order.id,) and result.restore_order_id is None
    assert order.status == WorkOrderStatus.CANCELLED and order.cancel_reason.startswith("Payment received")
    assert "$0.01" in order.cancel_reason


async def test_paying_a_disconnected_account_before_three_asks_for_a_restore_today(session) -> None:
    account = await overdue_account(session, status=AccountStatus.DISCONNECTED)
    result = await pay(session, account, 12_000, "pi_restore", when=at(TUESDAY, 14, 30))
    order = await session.get(WorkOrder, result.restore_order_id)
    assert order.kind == WorkOrderKind.RESTORE and order.due_on == TUESDAY and order.status == WorkOrderStatus.OPEN
    assert order.premise_id == account.premise_id


async def test_the_restore_order_names_the_meter_the_disconnect_locked(session) -> None:
    """The technician's restore page showed no meter, last read or range: the order was made without one."""
    account = await overdue_account(session, status=AccountStatus.DISCONNECTED)
    meter = await session.scalar(select(Meter).where(Meter.premise_id == account.premise_id))
    assert meter is not None
    disconnect = await factories.make_order(session, account, kind=WorkOrderKind.DISCONNECT)
    disconnect.meter_id = meter.id
    disconnect.status = WorkOrderStatus.COMPLETED
    disconnect.completed_at = at(TUESDAY, 9)
    await session.flush()
    result = await pay(session, account, 12_000, "pi_restore_meter", when=at(TUESDAY, 14, 30))
    order = await session.get(WorkOrder, result.restore_order_id)
    assert order.kind == WorkOrderKind.RESTORE and order.meter_id == meter.id


async def test_paying_a_disconnected_account_after_three_asks_for_a_restore_next_business_day(session) -> None:
    account = await overdue_account(session, status=AccountStatus.DISCONNECTED)
    result = await pay(session, account, 12_000, "pi_late", when=at(TUESDAY, 15, 5))
    order = await session.get(WorkOrder, result.restore_order_id)
    assert order.due_on == dt.date(2026, 11, 25)


async def test_a_completed_disconnect_counts_as_service_off_and_a_second_payment_adds_no_second_restore(
    session,
) -> None:
    account = await overdue_account(session)
    disconnect = await factories.make_order(session, account, kind=WorkOrderKind.DISCONNECT)
    disconnect.status = WorkOrderStatus.COMPLETED
    disconnect.completed_at = at(TUESDAY, 9, 0)
    await session.flush()
    first = await pay(session, account, 12_000, "rcpt-1", method="cash")
    second = await pay(session, account, 1_000, "rcpt-2", method="cash")
    assert first.restore_order_id is not None and second.restore_order_id == first.restore_order_id
    restores = await session.scalar(
        select(func.count())
        .select_from(WorkOrder)
        .where(WorkOrder.account_id == account.id, WorkOrder.kind == WorkOrderKind.RESTORE)
    )
    assert restores == 1


async def test_an_account_with_no_arrears_gets_no_orders(session) -> None:
    account = await factories.make_account(session)
    result = await pay(session, account, 2_500, "pi_credit")
    assert result.created and result.cancelled_order_ids == () and result.restore_order_id is None
    assert await ledger.balance(session, account.id) == -2_500


async def test_a_bank_payment_processing_marks_the_account_payment_pending(session) -> None:
    from portal.accounts.models import OnlinePayment

    account = await overdue_account(session)
    other = await overdue_account(session)
    session.add(
        OnlinePayment(
            account_id=account.id,
            claim_key="web:p",
            confirmation="PENDING2",
            method="us_bank_account",
            channel="signed_in",
            amount_cents=12_000,
            status="processing",
        )
    )
    await session.flush()
    assert await payments.accounts_with_payment_pending(session, [account.id, other.id]) == {account.id}


async def test_a_restore_ordered_by_a_payment_charges_the_business_hours_reconnection_fee_once(session) -> None:
    account = await overdue_account(session, status=AccountStatus.DISCONNECTED)
    result = await pay(session, account, 12_000, "pi_fee", when=at(TUESDAY, 16, 30))
    fee = await session.scalar(
        select(LedgerEntry).where(LedgerEntry.source_key == f"reconnect:{result.restore_order_id}")
    )
    assert (fee.kind, fee.amount_cents) == (LedgerKind.FEE, 5_000)
    await pay(session, account, 12_000, "pi_fee", when=at(TUESDAY, 16, 30))  # replayed
    await pay(session, account, 2_000, "pi_more", when=at(TUESDAY, 16, 40))  # the same restore still open
    fees = await session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == LedgerKind.FEE))
    assert fees == 1 and await ledger.balance(session, account.id) == 5_000 - 2_000


async def test_a_restore_tonight_swaps_the_fee_for_the_after_hours_one(session) -> None:
    from portal.accounts import reconnect
    from portal.accounts.errors import Conflict as Refused

    account = await overdue_account(session, status=AccountStatus.DISCONNECTED)
    result = await pay(session, account, 12_000, "pi_night", when=at(TUESDAY, 15, 30))
    order = await session.get(WorkOrder, result.restore_order_id)
    assert order.due_on == dt.date(2026, 11, 25)
    with pytest.raises(Refused):
        await reconnect.restore_after_hours(
            session, JOB, POLICY, account, now_local=at(TUESDAY, 16, 0)
        )  # still business hours
    await reconnect.restore_after_hours(session, JOB, POLICY, account, now_local=at(TUESDAY, 18, 15))
    assert order.due_on == TUESDAY and order.priority == 0 and "After hours" in order.instructions
    assert await ledger.balance(session, account.id) == 10_000  # $50 reversed, $100 charged
    with pytest.raises(Refused):
        await reconnect.restore_after_hours(session, JOB, POLICY, account, now_local=at(TUESDAY, 18, 20))
    assert await ledger.balance(session, account.id) == 10_000
    assert await session.scalar(select(func.count()).where(AuditEvent.action == "work_order.after_hours")) == 1


def new(account, cents: int, key: str, hour: int = 10):
    return payments.NewPayment(account.id, cents, key, "lockbox", at(TUESDAY, hour))


async def test_many_payments_at_once_do_what_one_call_after_another_would(session) -> None:
    """Two payments of one account in one batch: the second sees the first (it clears the arrears, not the first);
    a key repeated in the batch is posted once; other accounts' effects are their own."""
    split = await overdue_account(session)
    split_order = await factories.make_order(session, split, kind=WorkOrderKind.DISCONNECT)
    whole = await overdue_account(session, zip_code="76502")
    whole_order = await factories.make_order(session, whole, kind=WorkOrderKind.DISCONNECT)
    short = await overdue_account(session, zip_code="76504")
    short_order = await factories.make_order(session, short, kind=WorkOrderKind.DISCONNECT)
    results = await payments.post_payments(
        session,
        JOB,
        [
            new(split, 7_000, "lockbox:a"),
            new(whole, 12_000, "lockbox:b"),
            new(split, 5_000, "lockbox:c", 11),
            new(short, 4_000, "lockbox:d"),
            new(split, 5_000, "lockbox:c", 11),
        ],
        timezone=TZ,
        policy=POLICY,
    )
    assert [r.created for r in results] == [True, True, True, True, False]
    assert results[4].entry.id == results[2].entry.id
    assert results[0].cancelled_order_ids == () and results[2].cancelled_order_ids == (split_order.id,)
    assert results[1].cancelled_order_ids == (whole_order.id,) and results[3].cancelled_order_ids == ()
    assert [await ledger.balance(session, a.id) for a in (split, whole, short)] == [0, 0, 8_000]
    await session.refresh(short_order)
    assert short_order.status != WorkOrderStatus.CANCELLED
    audits = await session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "ledger.post", AuditEvent.account_id == split.id)
    )
    assert audits == 3  # the test charge and two payments


async def test_a_batch_refuses_a_key_reused_with_other_details_and_posts_nothing_in_its_round(session) -> None:
    account = await overdue_account(session)
    other = await overdue_account(session, zip_code="76502")
    await pay(session, account, 5_000, "lockbox:used")
    with pytest.raises(Conflict):
        await payments.post_payments(
            session,
            JOB,
            [new(other, 3_000, "lockbox:fresh"), new(other, 6_000, "lockbox:used")],
            timezone=TZ,
            policy=POLICY,
        )


async def test_a_batch_payment_that_clears_a_disconnected_account_orders_the_restore_with_its_fee(session) -> None:
    account = await overdue_account(session)
    account.status = AccountStatus.DISCONNECTED
    await session.flush()
    [result] = await payments.post_payments(
        session, JOB, [new(account, 12_000, "lockbox:r")], timezone=TZ, policy=POLICY
    )
    restore = await session.get(WorkOrder, result.restore_order_id)
    assert restore.kind == WorkOrderKind.RESTORE and restore.due_on == TUESDAY
    assert await ledger.balance(session, account.id) == POLICY.reconnect_fee_cents


async def test_a_payment_clearing_the_past_due_closes_a_request_for_more_time_still_waiting_for_review(session) -> None:
    """The resident's page said "waiting for review" and the CSR's queue kept it after the balance was paid."""
    from portal.accounts import extensions
    from portal.accounts.models import ExtensionStatus, PaymentExtension

    account = await overdue_account(session)
    waiting = PaymentExtension(
        account_id=account.id,
        amount_cents=12_000,
        requested_on=TUESDAY,
        promised_on=TUESDAY + dt.timedelta(days=25),
        status=ExtensionStatus.PENDING_REVIEW,
        reason="The date is more than 14 days away",
    )
    session.add(waiting)
    await session.flush()
    await pay(session, account, 5_000, "pi_part", when=at(TUESDAY, 10))
    assert waiting.status == ExtensionStatus.PENDING_REVIEW  # still past due: still a question for staff
    await pay(session, account, 7_000, "pi_rest", when=at(TUESDAY, 11))
    assert waiting.status == ExtensionStatus.CANCELLED and waiting.reason.startswith("No longer needed")
    assert await extensions.review_queue(session) == []
    audit = await session.scalar(select(AuditEvent).where(AuditEvent.action == "extension.cancel"))
    assert audit is not None and audit.entity_id == str(waiting.id)
