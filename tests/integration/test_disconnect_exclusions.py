"""Safety by rule: a disconnect order is never made for an account the cut-off rule excludes, and the moment an
exclusion starts (certificate, extension, arrangement, payment, dispute, bankruptcy) the account's open disconnect
orders are cancelled with that reason in words, audited; the day-of recheck records the account's own reason."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.accounts import cases, extensions, holds, ledger, payments, workorders
from portal.accounts.actor import Actor
from portal.accounts.models import (
    AuditEvent,
    Bill,
    Customer,
    Deposit,
    DepositStatus,
    ExtensionStatus,
    LedgerKind,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import Policy, us_holidays
from portal.staff import account_actions, cutoff, services
from tests import factories

JOB = Actor.job("test")
POLICY = Policy(holidays=us_holidays(range(2026, 2028)))
TODAY = dt.date(2026, 11, 10)  # a Tuesday
TZ = "America/Chicago"


async def past_due_account(session, **kwargs):
    """$95.00 past due since Oct 12 (and an $88.00 bill due Nov 24): a disconnect order may stand."""
    account = await factories.make_account(session, **kwargs)
    for bill_date, due, total in (
        (dt.date(2026, 9, 20), dt.date(2026, 10, 12), 9_500),
        (dt.date(2026, 11, 3), dt.date(2026, 11, 24), 8_800),
    ):
        row = Bill(
            account_id=account.id,
            period_start=bill_date - dt.timedelta(days=31),
            period_end=bill_date - dt.timedelta(days=2),
            bill_date=bill_date,
            due_date=due,
            total_cents=total,
            document={},
        )
        session.add(row)
        await session.flush()
        await ledger.post(
            session,
            JOB,
            account_id=account.id,
            kind=LedgerKind.CHARGE,
            amount_cents=total,
            source_key=f"bill:{row.id}",
            effective_on=bill_date,
            bill_id=row.id,
        )
    return account


async def with_disconnect(session):
    account = await past_due_account(session)
    order = await factories.make_order(session, account, kind=WorkOrderKind.DISCONNECT, due_on=TODAY)
    return account, order


async def cancelled_with(session, order: WorkOrder) -> str:
    await session.refresh(order)
    assert order.status == WorkOrderStatus.CANCELLED
    audited = await session.scalar(
        select(AuditEvent.after).where(AuditEvent.action == "work_order.cancel", AuditEvent.entity_id == str(order.id))
    )
    assert audited["cancel_reason"] == order.cancel_reason
    return order.cancel_reason


async def test_a_medical_certificate_cancels_the_open_disconnect(session) -> None:
    account, order = await with_disconnect(session)
    await services.certify_medical(session, JOB, account, POLICY, TODAY, TODAY)
    assert await cancelled_with(session, order) == "Medical certificate until Dec 10, 2026"


async def test_an_extension_granted_by_the_rule_cancels_the_open_disconnect(session) -> None:
    account, order = await with_disconnect(session)
    result = await extensions.request(session, JOB, POLICY, account, promised_on=dt.date(2026, 11, 20), today=TODAY)
    assert result.granted
    assert await cancelled_with(session, order) == "Extension to Nov 20, 2026"


async def test_an_extension_queued_cancels_nothing_until_a_csr_approves_it(session) -> None:
    account, order = await with_disconnect(session)
    result = await extensions.request(session, JOB, POLICY, account, promised_on=dt.date(2026, 12, 20), today=TODAY)
    assert result.extension.status == ExtensionStatus.PENDING_REVIEW  # after the next due date: a CSR decides
    await session.refresh(order)
    assert order.status == WorkOrderStatus.OPEN
    await extensions.decide(session, JOB, result.extension, approve=True, note="Hardship", today=TODAY)
    assert await cancelled_with(session, order) == "Extension to Dec 20, 2026"


async def test_an_arrangement_cancels_the_open_disconnect(session) -> None:
    account, order = await with_disconnect(session)
    await account_actions.grant_arrangement(session, JOB, POLICY, account, instalments=2, reason="", today=TODAY)
    assert await cancelled_with(session, order) == "Payment arrangement made"


async def test_a_dispute_of_the_whole_past_due_cancels_the_open_disconnect(session) -> None:
    account, order = await with_disconnect(session)
    await cases.open_case(
        session, JOB, POLICY, account, kind="dispute", reason="Read too high", today=TODAY, disputed_cents=9_500
    )
    assert (await cancelled_with(session, order)).startswith("Dispute of $95.00 pending")


async def test_a_dispute_of_part_leaves_the_disconnect_when_the_rest_is_over_the_minimum(session) -> None:
    account, order = await with_disconnect(session)
    await cases.open_case(
        session, JOB, POLICY, account, kind="dispute", reason="One fee", today=TODAY, disputed_cents=3_000
    )
    await session.refresh(order)
    assert order.status == WorkOrderStatus.OPEN  # $65.00 past due beyond the dispute: over the $50.00 minimum


async def test_a_bankruptcy_filed_before_the_arrears_cancels_the_open_disconnect(session) -> None:
    account, order = await with_disconnect(session)
    await cases.open_case(
        session,
        JOB,
        POLICY,
        account,
        kind="bankruptcy",
        reason="Chapter 7 petition",
        today=TODAY,
        chapter=7,
        case_number="26-10077",
        filed_on=dt.date(2026, 11, 5),
    )
    assert (await cancelled_with(session, order)).startswith("Bankruptcy: $183.00 owed at the petition is held")


async def test_a_payment_that_clears_the_arrears_cancels_the_open_disconnect(session) -> None:
    account, order = await with_disconnect(session)
    await payments.post_payment(
        session,
        JOB,
        account_id=account.id,
        amount_cents=9_500,
        source_key="rcpt-1",
        method="cash",
        paid_at=dt.datetime.combine(TODAY, dt.time(10, 5), ZoneInfo(TZ)),
        timezone=TZ,
        policy=POLICY,
    )
    assert (await cancelled_with(session, order)).startswith("Cancelled: customer paid $95.00 by cash")


async def test_a_disconnect_order_for_an_excluded_account_is_refused_with_the_reason(session) -> None:
    account = await past_due_account(session)
    customer = await session.get(Customer, account.customer_id)
    customer.medical_alert_until = dt.date(2026, 12, 29)
    await session.flush()
    with pytest.raises(holds.DisconnectExcluded) as refused:
        await workorders.create(
            session,
            JOB,
            kind=WorkOrderKind.DISCONNECT,
            premise_id=account.premise_id,
            account_id=account.id,
            due_on=TODAY,
        )
    assert "Medical certificate until Dec 29, 2026" in refused.value.message
    paid_up = await factories.make_account(session, last_name="Paid")
    with pytest.raises(holds.DisconnectExcluded, match="Nothing past due"):
        await workorders.create(
            session,
            JOB,
            kind=WorkOrderKind.DISCONNECT,
            premise_id=paid_up.premise_id,
            account_id=paid_up.id,
            due_on=TODAY,
        )
    assert not list(await session.scalars(select(WorkOrder)))
    # Any other kind of order is made as before, and so is a disconnect the rule allows.
    await workorders.create(
        session, JOB, kind=WorkOrderKind.READ, premise_id=account.premise_id, account_id=account.id, due_on=TODAY
    )
    allowed = await past_due_account(session, last_name="Late")
    order = await workorders.create(
        session, JOB, kind=WorkOrderKind.DISCONNECT, premise_id=allowed.premise_id, account_id=allowed.id, due_on=TODAY
    )
    assert order.status in workorders.OPEN_STATUSES


async def test_the_day_of_recheck_records_the_accounts_own_reason_not_the_days(session) -> None:
    """An order that escaped every start (made before this rule, or by hand in the database) is cancelled at the
    recheck with the certificate as its reason, even on a Friday."""
    account, order = await with_disconnect(session)
    friday = dt.date(2026, 11, 13)
    order.due_on = friday
    customer = await session.get(Customer, account.customer_id)
    customer.medical_alert_until = dt.date(2026, 12, 29)
    await session.flush()
    assert await cutoff.recheck(session, JOB, POLICY, friday, TZ) == [order.id]
    reason = await cancelled_with(session, order)
    assert reason == "Cancelled at the day-of recheck: Medical certificate until Dec 29, 2026"


async def test_a_deposit_applied_to_the_balance_cancels_the_disconnect_it_makes_unneeded(session) -> None:
    account, order = await with_disconnect(session)
    session.add(
        Deposit(
            account_id=account.id,
            required_cents=10_000,
            rule="test",
            reason="test",
            status=DepositStatus.HELD,
            paid_cents=10_000,
        )
    )
    await session.flush()
    assert await account_actions.apply_deposit(session, JOB, account, TODAY) == 10_000
    assert "Nothing past due" in await cancelled_with(session, order)


async def test_a_change_that_leaves_the_account_owing_cancels_nothing(session) -> None:
    account, order = await with_disconnect(session)
    assert await workorders.cancel_if_excluded(session, JOB, [account.id], TODAY, POLICY) == []
    await session.refresh(order)
    assert order.status in workorders.OPEN_STATUSES
