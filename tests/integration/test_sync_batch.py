"""A field sync batch runs in one transaction and writes its effects together: what one action in a batch did is
seen by the next (a read checked against the read before it, a repeated id), and an order changed by someone else
between the batch's read and its write is never overwritten."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts import service_state, workorders
from portal.accounts.actor import Actor
from portal.accounts.audit import AuditLater
from portal.accounts.models import (
    Account,
    AccountStatus,
    AuditEvent,
    MeterRead,
    Origin,
    Role,
    SyncMutation,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import Policy
from portal.db import make_sessionmaker
from portal.field import sync
from tests import factories
from tests.field_world import LAST_READ, make_field_order


def _ctx(tech) -> sync.Context:
    return sync.Context(
        policy=Policy(), actor=Actor(tech.id, tech.email, Origin.SYNC, Role.FIELD), timezone="America/Chicago"
    )


def _read(seq: int, order_id: int, value: int, at: dt.datetime, mutation_id: str | None = None) -> sync.Mutation:
    return sync.Mutation(
        mutation_id=mutation_id or str(uuid.uuid4()),
        device_id="d",
        seq=seq,
        kind="record_read",
        order_id=order_id,
        base_version=1,
        payload={"value": value, "at": at.isoformat(), "confirmed": True},
    )


async def test_a_second_read_of_a_meter_in_one_batch_is_checked_against_the_first(engine) -> None:
    maker = make_sessionmaker(engine)
    async with maker() as session:
        tech = await factories.make_user(session, Role.FIELD)
        first = await make_field_order(session, tech)
        account = await session.get(Account, first.account_id)
        second = await make_field_order(session, tech, account=account)  # same premise, same meter
        await session.commit()
    now = dt.datetime.now(dt.UTC)
    answers = await sync.apply_batch(
        maker,
        _ctx(tech),
        [
            _read(1, first.id, LAST_READ + 6_000, now - dt.timedelta(hours=2)),
            _read(2, second.id, LAST_READ + 6_100, now - dt.timedelta(hours=1)),
        ],
    )
    assert [a["status"] for a in answers] == ["applied", "applied"]
    assert [a["usage"] for a in answers] == [6_000, 100]
    async with maker() as session:
        stored = dict(
            (
                await session.execute(
                    select(MeterRead.work_order_id, MeterRead.id).where(
                        MeterRead.work_order_id.in_([first.id, second.id])
                    )
                )
            ).all()
        )
        orders = {
            o.id: o for o in await session.scalars(select(WorkOrder).where(WorkOrder.id.in_([first.id, second.id])))
        }
        completed = await session.scalar(
            select(AuditEvent.after).where(
                AuditEvent.action == "work_order.complete", AuditEvent.entity_id == str(first.id)
            )
        )
    assert [a["read_id"] for a in answers] == [stored[first.id], stored[second.id]]
    assert orders[first.id].result["read_id"] == stored[first.id] and orders[first.id].version == 2
    assert completed["result"]["read_id"] == stored[first.id]


async def test_an_id_sent_twice_in_one_batch_is_applied_once_and_answered_as_the_first(engine) -> None:
    maker = make_sessionmaker(engine)
    async with maker() as session:
        tech = await factories.make_user(session, Role.FIELD)
        order = await make_field_order(session, tech)
        await session.commit()
    m = _read(1, order.id, LAST_READ + 6_000, dt.datetime.now(dt.UTC))
    answers = await sync.apply_batch(maker, _ctx(tech), [m, sync.Mutation(**{**m.__dict__, "seq": 2})])
    assert [a["status"] for a in answers] == ["applied", "duplicate"]
    assert answers[1]["read_id"] == answers[0]["read_id"] is not None and answers[1]["original_status"] == "applied"
    async with maker() as session:
        assert (
            await session.scalar(select(func.count()).select_from(MeterRead).where(MeterRead.work_order_id == order.id))
            == 1
        )
        assert await session.scalar(select(func.count()).select_from(SyncMutation)) == 1


async def test_order_changes_are_not_written_over_a_change_made_since_they_were_read(engine) -> None:
    maker = make_sessionmaker(engine)
    async with maker() as session:
        tech = await factories.make_user(session, Role.FIELD)
        order = await make_field_order(session, tech)
        await session.commit()
    job = Actor.job("test")
    async with maker() as mine, maker() as theirs:
        seen = await mine.get(WorkOrder, order.id)
        async with theirs.begin():
            await workorders.cancel(theirs, job, await theirs.get(WorkOrder, order.id), "Customer paid")
        audit = AuditLater(job)
        changes = workorders.OrderChanges(audit)
        changes.complete(seen, {"read": 1})
        with pytest.raises(StaleDataError):
            await changes.write(mine)
        await mine.rollback()
    async with maker() as session:
        now = await session.get(WorkOrder, order.id)
        assert now.status == WorkOrderStatus.CANCELLED and now.result == {} and now.version == 2


async def test_a_note_and_a_completion_written_together_bump_the_version_twice_and_audit_both(engine) -> None:
    maker = make_sessionmaker(engine)
    async with maker() as session:
        tech = await factories.make_user(session, Role.FIELD)
        order = await make_field_order(session, tech)
        await session.commit()
    async with maker() as session, session.begin():
        audit = AuditLater(Actor(tech.id, tech.email, Origin.SYNC, Role.FIELD))
        changes = workorders.OrderChanges(audit)
        loaded = await session.get(WorkOrder, order.id)
        changes.note(loaded, {"text": "Gate code 4412", "at": "2026-11-26T10:00:00+00:00", "by": tech.id})
        changes.complete(loaded, {"read": 1, "notes": loaded.result["notes"]})
        await changes.write(session)
        await audit.write(session)
    async with maker() as session:
        stored = await session.get(WorkOrder, order.id)
        actions = list(
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.entity_id == str(order.id)).order_by(AuditEvent.id)
            )
        )
    assert stored.version == 3 and stored.status == WorkOrderStatus.COMPLETED
    assert stored.result["notes"][0]["text"] == "Gate code 4412" and stored.completed_by_id == tech.id
    assert actions == ["work_order.note", "work_order.complete"]


async def test_restore_requests_for_one_account_get_its_one_open_restore_order(engine) -> None:
    maker = make_sessionmaker(engine)
    async with maker() as session:
        tech = await factories.make_user(session, Role.FIELD)
        disconnect = await make_field_order(session, tech, WorkOrderKind.DISCONNECT)
        await session.commit()
    actor = Actor(tech.id, tech.email, Origin.SYNC, Role.FIELD)
    request = workorders.RestoreRequest(disconnect, assignee_id=tech.id, due_on=dt.date.today(), instructions="On")
    async with maker() as session, session.begin():
        first = await workorders.request_restores(session, actor, [request, request])
    async with maker() as session, session.begin():
        again = await workorders.request_restores(session, actor, [request])
        restores = list(await session.scalars(select(WorkOrder).where(WorkOrder.kind == WorkOrderKind.RESTORE)))
    assert first[0] == first[1] == again[0] == restores[0].id and len(restores) == 1
    assert restores[0].assigned_to_id == tech.id and restores[0].account_id == disconnect.account_id


async def test_service_outcomes_of_one_account_apply_in_their_order(engine) -> None:
    maker = make_sessionmaker(engine)
    async with maker() as session:
        tech = await factories.make_user(session, Role.FIELD)
        disconnect = await make_field_order(session, tech, WorkOrderKind.DISCONNECT)
        account = await session.get(Account, disconnect.account_id)
        restore = await make_field_order(session, tech, WorkOrderKind.RESTORE, account=account)
        read = await make_field_order(session, tech, account=account)
        await session.commit()
    day = dt.date.today()
    async with maker() as session, session.begin():
        audit = AuditLater(Actor(tech.id, tech.email, Origin.SYNC, Role.FIELD))
        changes = await service_state.apply_service_outcomes(
            session,
            audit,
            [
                service_state.ServiceOutcome(disconnect, "disconnect_done", day),
                service_state.ServiceOutcome(read, "record_read", day),
                service_state.ServiceOutcome(restore, "restore_done", day),
            ],
        )
        await audit.write(session)
    assert [c.status if c else None for c in changes] == [AccountStatus.DISCONNECTED, None, AccountStatus.ACTIVE]
    async with maker() as session:
        assert (await session.get(Account, account.id)).status == AccountStatus.ACTIVE
        audited = list(
            await session.scalars(
                select(AuditEvent.after).where(AuditEvent.action == "account.status").order_by(AuditEvent.id)
            )
        )
    assert [a["status"] for a in audited] == ["disconnected", "active"]
