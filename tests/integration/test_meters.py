"""New premises and meters on a real database: a premise for new construction gets a meter released to it, the
field sets it (its first read), service starts there through the usual start, and the bill run bills from the first
read; a meter change retires the old meter and the next bill uses each meter for its days; a replayed change does
nothing more; a serial set elsewhere or a wrong serial is refused with nothing written; a meter test's verdict."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.accounts import meter_rules, meters, tenancy, workorders
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict, DomainError
from portal.accounts.models import (
    AccountStatus,
    AuditEvent,
    Bill,
    BillLine,
    Meter,
    MeterRead,
    MeterSet,
    Origin,
    ReadSource,
    Role,
    Route,
    Service,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import Policy, us_holidays
from portal.billing.run import bill_run
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


def _ctx(tech) -> sync.Context:
    return sync.Context(
        policy=POLICY, actor=Actor(tech.id, tech.email, Origin.SYNC, Role.FIELD), timezone="America/Chicago"
    )


def _mutation(order: WorkOrder, kind: str, payload: dict, day: dt.date, mutation_id: str | None = None):
    return sync.Mutation(
        mutation_id=mutation_id or str(uuid.uuid4()),
        device_id="phone",
        seq=1,
        kind=kind,
        order_id=order.id,
        base_version=order.version,
        payload={**payload, "at": noon(day).isoformat(), "confirmed": True},
    )


async def _count(session, model, *where) -> int:
    await session.commit()
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def _new_premise(session, **overrides):
    if await session.scalar(select(Route.id).where(Route.code == "R01")) is None:
        session.add(Route(code="R01"))
        await session.flush()
    address, problems = meter_rules.check_address("77 Juniper Way", None, "Riverton", "TX", "76501")
    assert address is not None and not problems
    args = {"route": "R01", "cycle": 1, "services": ["water", "solid_waste", "stormwater"], **overrides}
    return await meters.create_premise(session, OFFICE, address=address, **args)


async def test_new_construction_from_premise_to_first_bill(engine, session) -> None:
    maker = make_sessionmaker(engine)
    await with_rates(session)
    tech = await factories.make_user(session, Role.FIELD)
    premise = await _new_premise(session)
    assert premise.services_available == ["water", "solid_waste", "stormwater"]
    with pytest.raises(DomainError) as twice:
        await _new_premise(session)
    assert twice.value.field == "address"

    set_day = TODAY - dt.timedelta(days=40)
    meter, install = await meters.release_meter(session, OFFICE, premise, serial="nw-5001", size="3/4", due_on=set_day)
    assert meter.serial == "NW-5001" and meter.installed_on is None and install.kind == WorkOrderKind.METER_INSTALL
    with pytest.raises(Conflict):  # one meter at a time: another is a change
        await meters.release_meter(session, OFFICE, premise, serial="NW-5002", size="3/4", due_on=set_day)
    await workorders.assign(session, OFFICE, install, tech)
    started = await tenancy.start_service(
        session,
        OFFICE,
        POLICY,
        premise_id=premise.id,
        start_on=tenancy.earliest_date(POLICY, set_day - dt.timedelta(days=5)),
        today=set_day - dt.timedelta(days=5),
        identity=tenancy.Identity(first_name="Ana", last_name="Reyes", email="ana@example.com", phone=None),
    )
    kinds = {
        s.kind.value for s in await session.scalars(select(Service).where(Service.account_id == started.account.id))
    }
    assert kinds == {"water", "solid_waste", "stormwater"}  # no sewer at this premise: a septic tank
    assert started.order.meter_id == meter.id  # the start order reads the meter released here
    await workorders.assign(session, OFFICE, started.order, tech)
    await session.commit()

    wrong = await sync.apply_batch(
        maker, _ctx(tech), [_mutation(install, "meter_installed", {"value": 0, "serial": "NW-9999"}, set_day)]
    )
    assert wrong[0]["status"] == "rejected" and "NW-5001" in wrong[0]["message"]
    assert await _count(session, MeterSet) == 0
    [answer] = await sync.apply_batch(
        maker, _ctx(tech), [_mutation(install, "meter_installed", {"value": 12, "serial": "nw-5001"}, set_day)]
    )
    assert answer["status"] == "applied", answer
    await session.refresh(meter)
    assert meter.installed_on == set_day
    meter_set = await session.scalar(select(MeterSet).where(MeterSet.work_order_id == install.id))
    assert meter_set.new_meter_id == meter.id and meter_set.new_first_read_id == answer["read_id"]
    assert meter_set.old_meter_id is None
    assert await _count(session, AuditEvent, AuditEvent.action == "meter.install") == 1

    [start] = await sync.apply_batch(
        maker, _ctx(tech), [_mutation(started.order, "record_read", {"value": 12}, set_day)]
    )
    assert start["status"] == "applied", start
    await session.refresh(started.account)
    assert started.account.status == AccountStatus.ACTIVE

    bill_day = set_day + dt.timedelta(days=30)
    session.add(MeterRead(meter_id=meter.id, value=4_012, read_at=at(bill_day), source=ReadSource.FIELD, flags=[]))
    await session.commit()
    result = await bill_run(maker, 1, bill_day, POLICY, mailer=OUTBOX)
    assert result.billed == 1 and not result.held
    bill = await session.scalar(select(Bill).where(Bill.account_id == started.account.id))
    assert bill.usage == 4_000 and not bill.estimated
    billed_kinds = set(await session.scalars(select(BillLine.service_kind).where(BillLine.bill_id == bill.id)))
    assert "water" in billed_kinds and "sewer" not in billed_kinds


async def test_a_meter_change_bills_each_meter_for_its_days_and_a_replay_changes_nothing(engine, session) -> None:
    maker = make_sessionmaker(engine)
    await with_rates(session)
    last_monthly = TODAY - dt.timedelta(days=40)
    account = await billable_account(session, monthly_reads(last_monthly, 2))  # 10,000 / 16,000 / 22,000
    tech = await factories.make_user(session, Role.FIELD)
    old = await meter_of(session, account)
    await session.commit()
    first = await bill_run(maker, 1, last_monthly, POLICY, mailer=OUTBOX)
    assert first.billed == 1

    change_day = last_monthly + dt.timedelta(days=12)
    with pytest.raises(DomainError):
        await meters.order_change(session, OFFICE, old, due_on=change_day, reason=" ")
    order = await meters.order_change(session, OFFICE, old, due_on=change_day, reason="Register stuck")
    with pytest.raises(Conflict):
        await meters.order_change(session, OFFICE, old, due_on=change_day, reason="again")
    await workorders.assign(session, OFFICE, order, tech)
    await session.commit()
    facts = {"value": 24_500, "new_serial": "wt-new-1", "new_size": "1", "new_value": 0}
    mutation = _mutation(order, "meter_changed", facts, change_day)
    [answer] = await sync.apply_batch(maker, _ctx(tech), [mutation])
    assert answer["status"] == "applied", answer
    [again] = await sync.apply_batch(maker, _ctx(tech), [mutation])
    assert again["status"] == "duplicate"
    assert await _count(session, MeterSet) == 1
    assert await _count(session, Meter, Meter.serial == "WT-NEW-1") == 1

    await session.refresh(old)
    assert old.removed_on == change_day
    new = await session.scalar(select(Meter).where(Meter.serial == "WT-NEW-1"))
    assert new.premise_id == account.premise_id and new.installed_on == change_day and new.size == "1"
    change = await session.scalar(select(MeterSet).where(MeterSet.work_order_id == order.id))
    assert change.old_meter_id == old.id and change.old_final_read_id == answer["read_id"]
    first_read = await session.get(MeterRead, change.new_first_read_id)
    assert first_read.meter_id == new.id and first_read.value == 0
    await session.refresh(order)
    assert order.status == WorkOrderStatus.COMPLETED and order.result["new_serial"] == "WT-NEW-1"
    audited = await session.scalar(select(AuditEvent.after).where(AuditEvent.action == "meter.change"))
    assert audited["serial"] == "WT-NEW-1" and audited["first_read"] == 0

    bill_day = last_monthly + dt.timedelta(days=30)
    session.add(MeterRead(meter_id=new.id, value=3_000, read_at=at(bill_day), source=ReadSource.FIELD, flags=[]))
    await session.commit()
    result = await bill_run(maker, 1, bill_day, POLICY, mailer=OUTBOX)
    assert result.billed == 1 and not result.held
    bill = await session.scalar(select(Bill).where(Bill.account_id == account.id, Bill.period_end == bill_day))
    assert bill.usage == (24_500 - 22_000) + (3_000 - 0)
    assert not bill.estimated


async def test_a_serial_already_set_elsewhere_is_refused_and_nothing_is_written(engine, session) -> None:
    maker = make_sessionmaker(engine)
    account = await factories.make_account(session)
    other = await factories.make_account(session)
    tech = await factories.make_user(session, Role.FIELD)
    old = await meter_of(session, account)
    taken = await meter_of(session, other)
    order = await meters.order_change(session, OFFICE, old, due_on=TODAY, reason="Leaking register")
    await workorders.assign(session, OFFICE, order, tech)
    await session.commit()
    facts = {"value": 100, "new_serial": taken.serial, "new_size": "5/8", "new_value": 0}
    [answer] = await sync.apply_batch(maker, _ctx(tech), [_mutation(order, "meter_changed", facts, TODAY)])
    assert answer["status"] == "rejected" and answer["code"] == "invalid"
    assert await _count(session, MeterSet) == 0
    assert await _count(session, MeterRead) == 0
    await session.refresh(old)
    assert old.removed_on is None
    bad_size = {**facts, "new_serial": "FRESH-1", "new_size": "9"}
    [answer] = await sync.apply_batch(maker, _ctx(tech), [_mutation(order, "meter_changed", bad_size, TODAY)])
    assert answer["status"] == "rejected" and answer["code"] == "invalid"
    # a read on a change order is not a change: only the change action completes it
    [answer] = await sync.apply_batch(maker, _ctx(tech), [_mutation(order, "record_read", {"value": 5}, TODAY)])
    assert answer["status"] == "rejected" and answer["code"] == "wrong_kind"


async def test_a_premise_needs_a_known_route_and_water(session) -> None:
    with pytest.raises(DomainError) as route:
        await _new_premise(session, route="R99")
    assert route.value.field == "route"


async def test_a_meter_test_records_its_verdict_and_is_audited(session) -> None:
    account = await factories.make_account(session)
    meter = await meter_of(session, account)
    test, verdict = await meters.record_test(
        session, OFFICE, POLICY, meter, tested_on=TODAY, low=1030, mid=1040, high=1050
    )
    assert not test.passed and test.over_registering and verdict.average_tenths == 1040
    with pytest.raises(DomainError):
        await meters.record_test(session, OFFICE, POLICY, meter, tested_on=TODAY, low=-1, mid=1000, high=1000)
    audited = await session.scalar(select(AuditEvent).where(AuditEvent.action == "meter.test"))
    assert audited.account_id == account.id and audited.after["over_registering"] is True
