"""Property tests for applying outboxes (docs/field-sync.md): whatever the network does to the batches (replayed,
duplicated, split differently, delivered out of order across devices), the end state is the state of every action
applied once; and an id sent again with a different payload is refused and changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.accounts.actor import Actor
from portal.accounts.models import MeterRead, Origin, Role, SyncMutation, WorkOrder, WorkOrderKind
from portal.accounts.policy import Policy
from portal.db import make_engine, make_sessionmaker
from portal.field import sync
from tests import factories
from tests.field_world import LAST_READ, make_field_order

ORDERS = 4
DEVICES = 3

# One plan: per order, which device completes it and how (a read or a skip), plus notes from any device.
completion = st.tuples(
    st.integers(0, DEVICES - 1), st.sampled_from(["record_read", "skip_read"]), st.integers(0, 9_000)
)
notes = st.lists(st.tuples(st.integers(0, DEVICES - 1), st.integers(0, ORDERS - 1)), max_size=5)
# Deliveries: (device, start, length) windows over that device's stream, in the order the server sees them.
windows = st.lists(st.tuples(st.integers(0, DEVICES - 1), st.integers(0, 8), st.integers(1, 5)), max_size=12)


def build_streams(
    order_ids: list[int], plan: list[tuple[int, str, int]], note_plan: list[tuple[int, int]]
) -> list[list[sync.Mutation]]:
    streams: list[list[sync.Mutation]] = [[] for _ in range(DEVICES)]

    def add(device: int, kind: str, order_id: int, payload: dict) -> None:
        stream = streams[device]
        stream.append(
            sync.Mutation(
                mutation_id=str(uuid.uuid4()),
                device_id=f"device-{device}",
                seq=len(stream) + 1,
                kind=kind,
                order_id=order_id,
                base_version=1,
                payload=payload,
            )
        )

    for order_id, (device, kind, usage) in zip(order_ids, plan, strict=True):
        payload = {"value": LAST_READ + 2_000 + usage, "confirmed": True} if kind == "record_read" else {"code": "dog"}
        add(device, kind, order_id, payload)
    for n, (device, index) in enumerate(note_plan):
        add(device, "add_note", order_ids[index], {"note": f"note {n}"})
    return streams


async def end_state(maker, order_ids: list[int]) -> dict:
    async with maker() as session:
        orders = (
            await session.scalars(select(WorkOrder).where(WorkOrder.id.in_(order_ids)).order_by(WorkOrder.id))
        ).all()
        reads = (
            await session.execute(
                select(MeterRead.work_order_id, MeterRead.value).where(MeterRead.work_order_id.in_(order_ids))
            )
        ).all()
        mutations = await session.scalar(
            select(func.count()).select_from(SyncMutation).where(SyncMutation.work_order_id.in_(order_ids))
        )
    return {
        "orders": [
            (
                o.status.value,
                o.result.get("action"),
                o.result.get("read"),
                o.result.get("code"),
                sorted(n["text"] for n in o.result.get("notes", [])),
            )
            for o in orders
        ],
        "reads": sorted((order_ids.index(order_id), value) for order_id, value in reads),
        "mutations": mutations,
    }


async def scenario(database_url: str, plan, note_plan, deliveries) -> None:
    engine = make_engine(database_url)
    maker = make_sessionmaker(engine)
    try:
        async with maker() as session:
            tech = await factories.make_user(session, Role.FIELD)
            twin = [await make_field_order(session, tech) for _ in range(ORDERS * 2)]
            await session.commit()
        ctx = sync.Context(
            policy=Policy(), actor=Actor(tech.id, tech.email, Origin.SYNC, Role.FIELD), timezone="America/Chicago"
        )
        once_ids, chaos_ids = [o.id for o in twin[:ORDERS]], [o.id for o in twin[ORDERS:]]

        # Reference: every action applied exactly once, device by device, in order.
        for stream in build_streams(once_ids, plan, note_plan):
            answers = await sync.apply_batch(maker, ctx, stream)
            assert {a["status"] for a in answers} <= {"applied"}

        # Chaos: windows replayed, overlapping and interleaved across devices, then every device flushes everything
        # (what a phone does until each entry has its answer).
        streams = build_streams(chaos_ids, plan, note_plan)
        seen: Counter[str] = Counter()
        for device, start, length in deliveries:
            batch = streams[device][start : start + length]
            for answer in await sync.apply_batch(maker, ctx, batch):
                seen[answer["status"]] += 1
                assert answer["status"] in ("applied", "duplicate")
        for device in reversed(range(DEVICES)):
            for answer in await sync.apply_batch(maker, ctx, streams[device]):
                assert answer["status"] in ("applied", "duplicate")

        assert await end_state(maker, once_ids) == await end_state(maker, chaos_ids)

        # The same id with another payload: refused, nothing changes.
        victim = next((s[0] for s in streams if s), None)
        if victim is not None:
            before = await end_state(maker, chaos_ids)
            forged = sync.Mutation(
                **{**victim.__dict__, "payload": {**victim.payload, "value": 1, "code": "buried", "note": "x"}}
            )
            answer = await sync.apply_one(maker, ctx, forged)
            assert answer["status"] == "rejected" and answer["code"] == "id_reused"
            assert await end_state(maker, chaos_ids) == before
    finally:
        await engine.dispose()


def test_replayed_duplicated_and_reordered_batches_end_as_each_action_applied_once(database_url: str) -> None:
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(plan=st.lists(completion, min_size=ORDERS, max_size=ORDERS), note_plan=notes, deliveries=windows)
    def check(plan, note_plan, deliveries) -> None:
        asyncio.run(scenario(database_url, plan, note_plan, deliveries))

    check()


async def test_two_requests_racing_with_the_same_action_apply_it_once(engine) -> None:
    maker = make_sessionmaker(engine)
    async with maker() as session:
        tech = await factories.make_user(session, Role.FIELD)
        order = await make_field_order(session, tech, WorkOrderKind.READ)
        await session.commit()
    ctx = sync.Context(
        policy=Policy(), actor=Actor(tech.id, tech.email, Origin.SYNC, Role.FIELD), timezone="America/Chicago"
    )
    m = sync.Mutation(
        mutation_id=str(uuid.uuid4()),
        device_id="d",
        seq=1,
        kind="record_read",
        order_id=order.id,
        payload={"value": LAST_READ + 6_000},
    )
    answers = await asyncio.gather(*[sync.apply_one(maker, ctx, m) for _ in range(4)])
    assert sorted(a["status"] for a in answers) == ["applied", "duplicate", "duplicate", "duplicate"]
    async with maker() as session:
        assert (
            await session.scalar(select(func.count()).select_from(MeterRead).where(MeterRead.work_order_id == order.id))
            == 1
        )


async def test_the_same_batch_sent_three_times_at_once_applies_each_action_once(engine) -> None:
    maker = make_sessionmaker(engine)
    async with maker() as session:
        tech = await factories.make_user(session, Role.FIELD)
        orders = [await make_field_order(session, tech, WorkOrderKind.READ) for _ in range(3)]
        await session.commit()
    ctx = sync.Context(
        policy=Policy(), actor=Actor(tech.id, tech.email, Origin.SYNC, Role.FIELD), timezone="America/Chicago"
    )
    batch = [
        sync.Mutation(
            mutation_id=str(uuid.uuid4()),
            device_id="d",
            seq=i,
            kind="record_read",
            order_id=o.id,
            payload={"value": LAST_READ + 6_000},
        )
        for i, o in enumerate(orders, start=1)
    ]
    results = await asyncio.gather(*[sync.apply_batch(maker, ctx, batch) for _ in range(3)])
    for answers in results:
        assert [a["status"] in ("applied", "duplicate") for a in answers] == [True] * 3
    assert sum(a["status"] == "applied" for answers in results for a in answers) == 3
    async with maker() as session:
        ids = [o.id for o in orders]
        assert (
            await session.scalar(select(func.count()).select_from(MeterRead).where(MeterRead.work_order_id.in_(ids)))
            == 3
        )
