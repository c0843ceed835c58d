"""Start and stop orders completed in the field change the account, and the bill run follows (docs/architecture.md,
Flows): a stop's final read ends service, the next run sends one final bill to that day with the held deposit
applied and a second run bills nothing; a start's read turns the pending account on and the next run bills it from that
read."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.accounts import tenancy, workorders
from portal.accounts.actor import Actor
from portal.accounts.models import (
    Account,
    AccountStatus,
    AuditEvent,
    Bill,
    Deposit,
    DepositStatus,
    LedgerEntry,
    LedgerKind,
    MeterRead,
    Origin,
    ReadSource,
    Role,
    Service,
    WorkOrder,
)
from portal.accounts.policy import Policy, us_holidays
from portal.billing.run import bill_key, bill_run
from portal.db import make_sessionmaker
from portal.field import sync
from portal.mail import OUTBOX
from tests import factories
from tests.integration.billing_helpers import at, billable_account, meter_of, monthly_reads, with_rates

TODAY = dt.datetime.now(dt.UTC).date()
POLICY = Policy(holidays=us_holidays(range(TODAY.year - 1, TODAY.year + 2)))
OFFICE = Actor.job("test")
RIVERTON = ZoneInfo("America/Chicago")


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), RIVERTON)


def evening(day: dt.date) -> dt.datetime:
    """7 p.m. in Riverton: already the next day in UTC, and still `day` on the utility's clock, by which it bills."""
    return dt.datetime.combine(day, dt.time(19), RIVERTON)


def _read(order: WorkOrder, value: int, when: dt.datetime) -> sync.Mutation:
    return sync.Mutation(
        mutation_id=str(uuid.uuid4()),
        device_id="phone",
        seq=1,
        kind="record_read",
        order_id=order.id,
        base_version=order.version,
        payload={"value": value, "at": when.isoformat(), "confirmed": True},
    )


async def _complete_in_the_field(
    maker,
    tech,
    order: WorkOrder,
    value: int,
    day: dt.date,
    when: Callable[[dt.date], dt.datetime] = noon,
) -> dict:
    ctx = sync.Context(
        policy=POLICY, actor=Actor(tech.id, tech.email, Origin.SYNC, Role.FIELD), timezone="America/Chicago"
    )
    [answer] = await sync.apply_batch(maker, ctx, [_read(order, value, when(day))])
    assert answer["status"] == "applied", answer
    return answer


async def _count(session, model, *where) -> int:
    await session.commit()
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


@pytest.mark.parametrize("when", [noon, evening])
async def test_a_stop_completed_in_the_field_is_billed_once_as_a_final_bill_with_the_deposit_applied(
    engine, session, when
) -> None:
    maker = make_sessionmaker(engine)
    stop_day = TODAY - dt.timedelta(days=5)
    month_back = stop_day - dt.timedelta(days=30)
    last_monthly = month_back.replace(day=min(month_back.day, 28))  # a day every month has
    await with_rates(session)
    account = await billable_account(session, monthly_reads(last_monthly, 2))
    tech = await factories.make_user(session, Role.FIELD)
    deposit = Deposit(
        account_id=account.id,
        required_cents=15_000,
        rule="new_premise",
        reason="New premise",
        status=DepositStatus.HELD,
        paid_cents=15_000,
        interest_cents=120,
    )
    session.add(deposit)
    asked_on = stop_day - dt.timedelta(days=7)
    request = await tenancy.stop_service(
        session,
        OFFICE,
        POLICY,
        account,
        stop_on=tenancy.earliest_date(POLICY, asked_on),
        forwarding_address="900 Lake Dr, Austin, TX 78701",
        today=asked_on,
    )
    order = await session.get(WorkOrder, request.stop_order_id)
    await workorders.assign(session, OFFICE, order, tech)
    await session.commit()

    answer = await _complete_in_the_field(maker, tech, order, 10_000 + 2 * 6_000 + 3_100, stop_day, when)

    await session.refresh(account)
    assert account.status == AccountStatus.FINAL and account.closed_on == stop_day
    services = list(await session.scalars(select(Service).where(Service.account_id == account.id)))
    assert len(services) == 4 and {s.ended_on for s in services} == {stop_day}
    audited = await session.scalar(
        select(AuditEvent.after).where(AuditEvent.action == "account.status", AuditEvent.account_id == account.id)
    )
    assert audited["status"] == "final" and audited["closed_on"] == stop_day.isoformat()
    assert audited["work_order_id"] == order.id and len(audited["services"]) == 4
    await session.refresh(order)
    assert tenancy.request_state(request, {order.id: order}) == "completed"

    first = await bill_run(maker, 1, TODAY, POLICY, mailer=OUTBOX)
    assert first.billed == 1 and first.final == 1 and not first.held
    bill = await session.scalar(select(Bill).where(Bill.account_id == account.id))
    assert bill.final and bill.period_end == stop_day and not bill.estimated
    assert bill.curr_read_id == answer["read_id"] and bill.usage == 3_100
    entries = {
        e.kind: e for e in await session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account.id))
    }
    assert entries[LedgerKind.CHARGE].source_key == bill_key(account.id, stop_day)
    assert entries[LedgerKind.CHARGE].amount_cents == bill.total_cents > 0
    applied = entries[LedgerKind.DEPOSIT_APPLIED]
    assert applied.amount_cents == -15_120 and applied.source_key == f"deposit:{deposit.id}:applied"
    await session.refresh(deposit)
    assert deposit.status == DepositStatus.APPLIED

    second = await bill_run(maker, 1, TODAY, POLICY, mailer=OUTBOX)
    assert second.billed == 0
    assert await _count(session, Bill, Bill.account_id == account.id) == 1
    assert await _count(session, LedgerEntry, LedgerEntry.kind == LedgerKind.DEPOSIT_APPLIED) == 1


async def test_a_start_completed_in_the_field_turns_the_account_on_and_the_next_run_bills_it(engine, session) -> None:
    maker = make_sessionmaker(engine)
    await with_rates(session)
    before = await factories.make_account(session, status=AccountStatus.CLOSED)  # the premise's last tenant left
    tech = await factories.make_user(session, Role.FIELD)
    asked_on = TODAY - dt.timedelta(days=50)
    start_on = tenancy.earliest_date(POLICY, asked_on)
    started = await tenancy.start_service(
        session,
        OFFICE,
        POLICY,
        premise_id=before.premise_id,
        start_on=start_on,
        today=asked_on,
        identity=tenancy.Identity(first_name="Ana", last_name="Reyes", email="ana@example.com", phone=None),
    )
    account = started.account
    assert account.status == AccountStatus.PENDING
    await workorders.assign(session, OFFICE, started.order, tech)
    await session.commit()
    turned_on = start_on + dt.timedelta(days=1)  # the crew came a day late

    await _complete_in_the_field(maker, tech, started.order, 20_000, turned_on)

    await session.refresh(account)
    assert account.status == AccountStatus.ACTIVE and account.opened_on == turned_on
    services = list(await session.scalars(select(Service).where(Service.account_id == account.id)))
    assert services and {s.started_on for s in services} == {turned_on}
    audited = await session.scalar(
        select(AuditEvent.after).where(AuditEvent.action == "account.status", AuditEvent.account_id == account.id)
    )
    assert audited["status"] == "active" and audited["opened_on"] == turned_on.isoformat()

    bill_day = turned_on + dt.timedelta(days=30)
    meter = await meter_of(session, account)
    session.add(MeterRead(meter_id=meter.id, value=26_000, read_at=at(bill_day), source=ReadSource.FIELD, flags=[]))
    await session.commit()
    result = await bill_run(maker, 1, bill_day, POLICY, mailer=OUTBOX)
    assert result.billed == 1 and not result.held
    bill = await session.scalar(select(Bill).where(Bill.account_id == account.id))
    assert bill.period_start == turned_on and bill.period_end == bill_day and bill.usage == 6_000 and not bill.estimated
    charge = await session.scalar(select(LedgerEntry).where(LedgerEntry.source_key == bill_key(account.id, bill_day)))
    assert charge.amount_cents == bill.total_cents > 0
    assert await _count(session, Bill, Bill.account_id == before.id) == 0  # the closed account is not billed


async def test_a_skipped_start_read_leaves_the_account_pending(engine, session) -> None:
    maker = make_sessionmaker(engine)
    before = await factories.make_account(session, status=AccountStatus.CLOSED)
    tech = await factories.make_user(session, Role.FIELD)
    asked_on = TODAY - dt.timedelta(days=10)
    started = await tenancy.start_service(
        session,
        OFFICE,
        POLICY,
        premise_id=before.premise_id,
        start_on=tenancy.earliest_date(POLICY, asked_on),
        today=asked_on,
        identity=tenancy.Identity(first_name="Ana", last_name="Reyes", email=None, phone=None),
    )
    await workorders.assign(session, OFFICE, started.order, tech)
    await session.commit()
    ctx = sync.Context(
        policy=POLICY, actor=Actor(tech.id, tech.email, Origin.SYNC, Role.FIELD), timezone="America/Chicago"
    )
    [answer] = await sync.apply_batch(
        maker,
        ctx,
        [
            sync.Mutation(
                mutation_id=str(uuid.uuid4()),
                device_id="phone",
                seq=1,
                kind="skip_read",
                order_id=started.order.id,
                payload={"code": "locked_gate"},
            )
        ],
    )
    assert answer["status"] == "applied"
    account = await session.get(Account, started.account.id, populate_existing=True)
    assert account.status == AccountStatus.PENDING
