"""New premises and the meters set at them: a premise for new construction, a meter released to it (an install
order for the field), a change order for a meter in service, what a completed install or change does (the field
sync calls `apply_meter_sets` in its batch), and a meter test's result. Each action is audited in its transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _

from . import meter_rules, routes, workorders
from .actor import Actor
from .audit import AuditLater, record
from .errors import Conflict, DomainError
from .meter_rules import Address, Verdict
from .models import (
    Account,
    AccountStatus,
    Meter,
    MeterKind,
    MeterRead,
    MeterSet,
    MeterTest,
    Premise,
    WorkOrder,
    WorkOrderKind,
)
from .models.base import utcnow
from .policy import Policy

LIVE_ACCOUNT = (AccountStatus.PENDING, AccountStatus.ACTIVE)


async def create_premise(
    session: AsyncSession,
    actor: Actor,
    *,
    address: Address,
    route: str,
    cycle: int,
    services: list[str],
    solid_waste_carts: int = 1,
    stormwater_erus: int = 1,
    hazards: str | None = None,
) -> Premise:
    """A premise for new construction: its address checked (`meter_rules.check_address` first, then not already on
    record), on a route the utility has, with the services it can have."""
    duplicate = await session.scalar(
        select(Premise.id).where(
            func.lower(Premise.address) == address.address.lower(),
            func.coalesce(func.upper(Premise.unit), "") == (address.unit or ""),
            Premise.zip == address.zip,
        )
    )
    if duplicate is not None:
        raise DomainError(_("This address is already on record."), field="address")
    if route not in await routes.codes(session):
        raise DomainError(_("Choose one of the utility's routes."), field="route")
    kinds, problem = meter_rules.check_services(services)
    if problem:
        raise DomainError(problem, field="services")
    premise = Premise(
        address=address.address,
        unit=address.unit,
        city=address.city,
        state=address.state,
        zip=address.zip,
        route=route,
        cycle=cycle,
        services_available=kinds,
        solid_waste_carts=solid_waste_carts if "solid_waste" in kinds else 0,
        stormwater_erus=stormwater_erus if "stormwater" in kinds else 0,
        hazards=(hazards or "").strip()[:500] or None,
    )
    session.add(premise)
    await session.flush()
    await record(
        session,
        actor,
        "premise.create",
        "premise",
        premise.id,
        after={"address": premise.one_line, "route": route, "cycle": cycle, "services": kinds},
    )
    return premise


async def current_meter(session: AsyncSession, premise_id: int) -> Meter | None:
    """The premise's water meter in service or waiting to be set (not removed)."""
    return await session.scalar(
        select(Meter)
        .where(Meter.premise_id == premise_id, Meter.kind == MeterKind.WATER, Meter.removed_on.is_(None))
        .order_by(Meter.id.desc())
    )


async def _serial_free(session: AsyncSession, serial: str) -> None:
    if await session.scalar(select(Meter.id).where(Meter.serial == serial)) is not None:
        raise DomainError(
            _("A meter with serial %(serial)s is already on record.") % {"serial": serial}, field="serial"
        )


async def _live_account(session: AsyncSession, premise_id: int) -> int | None:
    return await session.scalar(
        select(Account.id)
        .where(Account.premise_id == premise_id, Account.status.in_(LIVE_ACCOUNT))
        .order_by(Account.id.desc())
    )


async def release_meter(
    session: AsyncSession,
    actor: Actor,
    premise: Premise,
    *,
    serial: str,
    size: str,
    due_on: dt.date,
    dials: int = 6,
) -> tuple[Meter, WorkOrder]:
    """Release a meter from stock to a premise that has none: the meter waits there, not yet set, and an install
    order goes to the route's technician, who records its first read (`apply_meter_sets`)."""
    clean = meter_rules.clean_serial(serial)
    if clean is None:
        raise DomainError(_("Enter the serial stamped on the meter (letters, digits and dashes)."), field="serial")
    if size not in meter_rules.METER_SIZES:
        raise DomainError(_("Choose the meter's size."), field="size")
    if await current_meter(session, premise.id) is not None:
        raise Conflict(_("This premise already has a meter: order a meter change instead."))
    await _serial_free(session, clean)
    meter = Meter(serial=clean, kind=MeterKind.WATER, size=size, dials=dials, premise_id=premise.id)
    session.add(meter)
    await session.flush()
    order = await workorders.create(
        session,
        actor,
        kind=WorkOrderKind.METER_INSTALL,
        premise_id=premise.id,
        account_id=await _live_account(session, premise.id),
        meter_id=meter.id,
        due_on=due_on,
        priority=2,
        instructions=f"Install meter {clean} ({size}-inch) and record its first read.",
    )
    await record(
        session,
        actor,
        "meter.release",
        "meter",
        meter.id,
        after={"serial": clean, "size": size, "premise_id": premise.id, "work_order_id": order.id},
    )
    return meter, order


async def order_change(session: AsyncSession, actor: Actor, meter: Meter, *, due_on: dt.date, reason: str) -> WorkOrder:
    """A change order for a meter in service: the technician records its final read and the new meter's serial,
    size and first read. One open change per meter."""
    reason = " ".join(reason.split())[:300]
    if not reason:
        raise DomainError(_("Say why the meter is being changed."), field="reason")
    if meter.premise_id is None or meter.installed_on is None or meter.removed_on is not None:
        raise Conflict(_("Only a meter in service can be changed."))
    open_change = await session.scalar(
        select(WorkOrder.id).where(
            WorkOrder.meter_id == meter.id,
            WorkOrder.kind == WorkOrderKind.METER_CHANGE,
            WorkOrder.status.in_(workorders.OPEN_STATUSES),
        )
    )
    if open_change is not None:
        raise Conflict(_("This meter already has an open change order (%(id)s).") % {"id": open_change})
    return await workorders.create(
        session,
        actor,
        kind=WorkOrderKind.METER_CHANGE,
        premise_id=meter.premise_id,
        account_id=await _live_account(session, meter.premise_id),
        meter_id=meter.id,
        due_on=due_on,
        priority=2,
        instructions=f"Change meter {meter.serial}: {reason}",
    )


# ---- what a completed install or change does (called by the field sync's batch) ---------------------------------


@dataclass
class MeterSetOutcome:
    """A completed install or change order. `read` is the answer dict whose "read_id" the batch fills with the read
    it recorded on the order's meter: the install's first read, or the removed meter's final read."""

    order: workorders.AnyOrder
    day: dt.date
    at: dt.datetime
    read: dict[str, Any]
    new_serial: str | None = None
    new_size: str | None = None
    new_value: int | None = None


@dataclass(frozen=True)
class SerialUse:
    meter_id: int
    premise_id: int | None
    installed_on: dt.date | None


async def serials_in_use(session: AsyncSession, serials: list[str]) -> dict[str, SerialUse]:
    if not serials:
        return {}
    rows = await session.execute(
        select(Meter.serial, Meter.id, Meter.premise_id, Meter.installed_on).where(Meter.serial.in_(sorted(serials)))
    )
    return {serial: SerialUse(meter_id, premise_id, installed) for serial, meter_id, premise_id, installed in rows}


async def apply_meter_sets(session: AsyncSession, audit: AuditLater, outcomes: list[MeterSetOutcome]) -> list[int]:
    """Each outcome's meter set: an install dates the meter set; a change retires the old meter on the day, adds the
    new meter (the serial was checked free when the action was accepted) with its first read, and the premise's
    open orders follow the new meter. One `meter_set` row per order. The ids of the meters set."""
    set_ids = []
    for outcome in outcomes:
        order = outcome.order
        read_id = outcome.read["read_id"]
        assert order.meter_id is not None and read_id is not None  # the field sync checked the meter, then read it
        if order.kind == WorkOrderKind.METER_INSTALL:
            await session.execute(update(Meter).where(Meter.id == order.meter_id).values(installed_on=outcome.day))
            session.add(
                MeterSet(
                    work_order_id=order.id,
                    premise_id=order.premise_id,
                    new_meter_id=order.meter_id,
                    new_first_read_id=read_id,
                    set_on=outcome.day,
                )
            )
            audit.add(
                "meter.install",
                "meter",
                order.meter_id,
                account_id=order.account_id,
                after={"work_order_id": order.id, "first_read": outcome.read.get("read"), "on": outcome.day},
            )
            set_ids.append(order.meter_id)
            continue
        old = await session.get(Meter, order.meter_id)
        assert old is not None and outcome.new_serial and outcome.new_size and outcome.new_value is not None
        new = await session.scalar(select(Meter).where(Meter.serial == outcome.new_serial))
        if new is None:
            new = Meter(serial=outcome.new_serial, kind=old.kind, size=outcome.new_size, dials=old.dials)
            session.add(new)
        new.premise_id, new.installed_on, new.size = order.premise_id, outcome.day, outcome.new_size
        old.removed_on = outcome.day
        await session.flush()
        first_id = await session.scalar(
            insert(MeterRead)
            .values(
                meter_id=new.id,
                value=outcome.new_value,
                read_at=outcome.at,
                source="field",
                flags=[],
                reader_id=audit.actor.user_id,
                work_order_id=order.id,
                note="first read",
                created_at=utcnow(),
            )
            .returning(MeterRead.id)
        )
        assert first_id is not None
        session.add(
            MeterSet(
                work_order_id=order.id,
                premise_id=order.premise_id,
                new_meter_id=new.id,
                new_first_read_id=first_id,
                old_meter_id=old.id,
                old_final_read_id=read_id,
                set_on=outcome.day,
            )
        )
        # Orders still open on the removed meter (a read, a test) are for the meter now in its place.
        await session.execute(
            update(WorkOrder)
            .where(
                WorkOrder.meter_id == old.id,
                WorkOrder.id != order.id,
                WorkOrder.status.in_(workorders.OPEN_STATUSES),
            )
            .values(meter_id=new.id, version=WorkOrder.version + 1, updated_at=utcnow())
        )
        audit.add(
            "meter.change",
            "meter",
            new.id,
            account_id=order.account_id,
            before={"meter_id": old.id, "serial": old.serial, "final_read": outcome.read.get("read")},
            after={
                "work_order_id": order.id,
                "serial": new.serial,
                "size": new.size,
                "first_read": outcome.new_value,
                "on": outcome.day,
            },
        )
        set_ids.append(new.id)
    await session.flush()
    return set_ids


# ---- meter tests -------------------------------------------------------------------------------------------------


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
    note: str | None = None,
    work_order_id: int | None = None,
) -> tuple[MeterTest, Verdict]:
    """A meter test's result, with its verdict by the rule (`meter_rules.verdict`). Accuracy in tenths of a percent."""
    for name, value in (("low", low), ("mid", mid), ("high", high)):
        if not 0 <= value <= 2000:
            raise DomainError(_("Enter the accuracy as a percent between 0 and 200."), field=name)
    verdict = meter_rules.verdict(policy, low, mid, high)
    test = MeterTest(
        meter_id=meter.id,
        work_order_id=work_order_id,
        tested_on=tested_on,
        low_tenths=low,
        mid_tenths=mid,
        high_tenths=high,
        passed=verdict.passed,
        over_registering=verdict.over_registering,
        recorded_by_id=actor.user_id,
        note=(note or "").strip()[:500] or None,
    )
    session.add(test)
    await session.flush()
    await record(
        session,
        actor,
        "meter.test",
        "meter",
        meter.id,
        account_id=await _live_account(session, meter.premise_id) if meter.premise_id else None,
        after={
            "test_id": test.id,
            "low": low,
            "mid": mid,
            "high": high,
            "passed": verdict.passed,
            "over_registering": verdict.over_registering,
        },
    )
    return test, verdict


async def last_passed_before(session: AsyncSession, meter_id: int, day: dt.date, test_id: int) -> dt.date | None:
    return await session.scalar(
        select(func.max(MeterTest.tested_on)).where(
            MeterTest.meter_id == meter_id,
            MeterTest.passed.is_(True),
            MeterTest.tested_on <= day,
            MeterTest.id != test_id,
        )
    )


async def history(session: AsyncSession, premise_id: int) -> dict[str, Any]:
    """A premise's meters (newest first), their sets and tests, for the staff page."""
    meters = list(await session.scalars(select(Meter).where(Meter.premise_id == premise_id).order_by(Meter.id.desc())))
    ids = [m.id for m in meters]
    tests = (
        list(
            await session.scalars(
                select(MeterTest)
                .where(MeterTest.meter_id.in_(ids))
                .order_by(MeterTest.tested_on.desc(), MeterTest.id.desc())
            )
        )
        if ids
        else []
    )
    sets = list(
        await session.scalars(
            select(MeterSet)
            .where(MeterSet.premise_id == premise_id)
            .order_by(MeterSet.set_on.desc(), MeterSet.id.desc())
        )
    )
    orders = list(
        await session.scalars(
            select(WorkOrder)
            .where(
                WorkOrder.premise_id == premise_id,
                WorkOrder.kind.in_([WorkOrderKind.METER_INSTALL, WorkOrderKind.METER_CHANGE, WorkOrderKind.METER_TEST]),
            )
            .order_by(WorkOrder.id.desc())
        )
    )
    return {"meters": meters, "tests": tests, "sets": sets, "orders": orders}
