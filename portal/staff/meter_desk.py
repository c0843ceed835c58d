"""The meter desk's actions that cross into money: a meter test that finds the meter over-registering proposes a
credit through the usual adjustment flow (posted at once, or waiting for a supervisor above the threshold)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import meters, workorders
from portal.accounts.actor import Actor
from portal.accounts.meter_rules import Verdict
from portal.accounts.models import Account, Adjustment, AdjustmentKind, Meter, MeterTest, WorkOrder, WorkOrderKind
from portal.accounts.policy import Policy

from . import adjustments
from .rules import AdjustmentDenied


@dataclass(frozen=True)
class TestOutcome:
    test: MeterTest
    verdict: Verdict
    adjustment: Adjustment | None = None
    no_credit: str | None = None  # why an over-registering meter proposed no credit (nothing billed on it)


TestOutcome.__test__ = False  # type: ignore[attr-defined]  # a result, not a pytest class


async def record_test(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    meter: Meter,
    *,
    tested_on: dt.date,
    low: int,
    mid: int,
    high: int,
    note: str | None,
    today: dt.date,
) -> TestOutcome:
    # The meter's open test order, if dispatch sent one: the result recorded here is what it asked for.
    order = await session.scalar(
        select(WorkOrder)
        .where(
            WorkOrder.meter_id == meter.id,
            WorkOrder.kind == WorkOrderKind.METER_TEST,
            WorkOrder.status.in_(workorders.OPEN_STATUSES),
        )
        .order_by(WorkOrder.due_on, WorkOrder.id)
    )
    test, verdict = await meters.record_test(
        session,
        actor,
        policy,
        meter,
        tested_on=tested_on,
        low=low,
        mid=mid,
        high=high,
        note=note,
        work_order_id=order.id if order is not None else None,
    )
    if order is not None:
        await workorders.complete(session, actor, order, {"meter_test_id": test.id, "passed": verdict.passed})
    if not verdict.over_registering or meter.premise_id is None:
        return TestOutcome(test, verdict)
    account = await session.scalar(
        select(Account)
        .where(Account.premise_id == meter.premise_id, Account.status.in_(meters.LIVE_ACCOUNT))
        .order_by(Account.id.desc())
    )
    if account is None:
        return TestOutcome(test, verdict)
    try:
        adjustment = await adjustments.request(
            session,
            actor,
            account,
            AdjustmentKind.METER_ACCURACY,
            {"meter_test_id": test.id},
            f"Meter {meter.serial} tested over-registering ({verdict.average_tenths / 10:.1f}% on average).",
            today,
            policy,
        )
    except AdjustmentDenied as refused:
        return TestOutcome(test, verdict, no_credit=refused.message)
    test.adjustment_id = adjustment.id
    await session.flush()
    return TestOutcome(test, verdict, adjustment)
