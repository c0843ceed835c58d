"""The phone's sync API through the test client (CSRF on): push applies each action once and answers per action,
pull lists only the technician's own orders, photos upload once per client id, conflicts become facts."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from portal.accounts import sync_exceptions, tenancy, workorders
from portal.accounts.actor import Actor
from portal.accounts.models import (
    Account,
    AccountStatus,
    MeterRead,
    Photo,
    Role,
    Service,
    SyncMutation,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import Policy
from portal.field import sync
from tests import factories
from tests.field_world import LAST_READ, Phone, local_today, make_field_order
from tests.http.helpers import csrf, post_json, sign_in
from tests.unit.test_photos import jpeg


async def _count(session, model, *where) -> int:
    await session.commit()
    return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_a_read_is_applied_once_and_a_replay_answers_duplicate(client, session, technician) -> None:
    order = await make_field_order(session, technician)
    await session.commit()
    await sign_in(client, session, technician)
    phone = Phone()
    batch = phone.batch(
        phone.action("record_read", order.id, {"value": LAST_READ + 6_000, "at": "2026-11-26T10:50:00Z"})
    )
    first = (await post_json(client, "/field/sync", batch)).json()
    assert first["schema"] == 1 and [a["status"] for a in first["answers"]] == ["applied"]
    assert first["answers"][0]["order"]["status"] == "completed"
    again = (await post_json(client, "/field/sync", batch)).json()  # the acknowledgement was lost: the phone resends
    assert again["answers"][0]["status"] == "duplicate" and again["answers"][0]["original_status"] == "applied"
    assert await _count(session, MeterRead, MeterRead.work_order_id == order.id) == 1
    assert await _count(session, SyncMutation) == 1


async def test_the_same_id_with_a_different_payload_is_refused(client, session, technician) -> None:
    order = await make_field_order(session, technician)
    await session.commit()
    await sign_in(client, session, technician)
    phone = Phone()
    action = phone.action("add_note", order.id, {"note": "Gate code 4412"})
    await post_json(client, "/field/sync", phone.batch(action))
    changed = {**action, "payload": {"note": "Something else"}}
    answer = (await post_json(client, "/field/sync", phone.batch(changed))).json()["answers"][0]
    assert answer["status"] == "rejected" and answer["code"] == "id_reused"
    await session.refresh(order)
    assert [n["text"] for n in order.result["notes"]] == ["Gate code 4412"]


async def test_a_rejection_does_not_block_the_actions_behind_it(client, session, technician) -> None:
    first = await make_field_order(session, technician)
    second = await make_field_order(session, technician)
    await session.commit()
    await sign_in(client, session, technician)
    phone = Phone()
    batch = phone.batch(
        phone.action("skip_read", first.id, {"code": "not-a-code"}),
        phone.action("skip_read", second.id, {"code": "dog"}),
    )
    answers = (await post_json(client, "/field/sync", batch)).json()["answers"]
    assert [(a["status"], a.get("code")) for a in answers] == [("rejected", "invalid"), ("applied", None)]
    assert "Choose why" in answers[0]["message"]


async def test_a_technician_sees_and_changes_only_their_own_orders(client, session, technician) -> None:
    other = await factories.make_user(session, Role.FIELD, email="dana@riverton.example")
    mine = await make_field_order(session, technician)
    theirs = await make_field_order(session, other)
    await session.commit()
    await sign_in(client, session, technician)
    pulled = (await client.get("/field/sync", headers={"accept": "application/json"})).json()
    assert [o["id"] for o in pulled["orders"]] == [mine.id] and pulled["active_ids"] == [mine.id]
    phone = Phone()
    answer = (
        await post_json(client, "/field/sync", phone.batch(phone.action("record_read", theirs.id, {"value": 106_000})))
    ).json()
    assert answer["answers"][0]["code"] == "not_found" and answer["answers"][0]["server_state"] is None
    assert (await client.get(f"/field/orders/{theirs.id}")).status_code == 404
    assert await _count(session, MeterRead, MeterRead.work_order_id == theirs.id) == 0


async def test_the_download_carries_the_expected_range_safety_and_account_state(client, session, technician) -> None:
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT, medical=True)
    await session.commit()
    await sign_in(client, session, technician)
    item = (await client.get("/field/sync")).json()["orders"][0]
    assert item["safety"]["medical_alert"] is True and item["kind"] == "disconnect"
    assert item["reads"]["previous"] == LAST_READ and item["reads"]["average_daily"] == 200.0
    assert item["reads"]["low"] < LAST_READ + 6_000 < item["reads"]["high"]
    assert item["account"]["status"] == "active" and "balance_cents" in item["account"]
    assert item["meter"]["dials"] == 6 and item["version"] == order.version


async def test_pull_with_a_cursor_brings_a_cancellation_and_drops_a_reassigned_order(
    client, session, technician
) -> None:
    kept = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    moved = await make_field_order(session, technician)
    await session.commit()
    await sign_in(client, session, technician)
    cursor = (await client.get("/field/sync")).json()["cursor"]
    await workorders.cancel(session, Actor.job("test"), kept, "Customer paid at 10:42")
    other = await factories.make_user(session, Role.FIELD)
    await workorders.assign(session, Actor.job("test"), moved, other)
    await session.commit()
    later = (await client.get(f"/field/sync?cursor={cursor}")).json()
    changed = {o["id"]: o for o in later["orders"]}
    assert changed[kept.id]["status"] == "cancelled" and changed[kept.id]["cancel_reason"] == "Customer paid at 10:42"
    assert moved.id not in changed and later["active_ids"] == []


async def test_a_disconnect_after_the_customer_paid_is_logged_flagged_and_offers_a_restore(
    client, session, technician
) -> None:
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    await workorders.cancel(session, Actor.job("payments"), order, "Customer paid $180.00 by card at 10:42")
    await session.commit()
    await sign_in(client, session, technician)
    phone = Phone()
    photo = str(uuid.uuid4())
    done = phone.action(
        "disconnect_done",
        order.id,
        {"value": LAST_READ + 6_000, "seal": "S-1234", "at": "2026-11-26T16:50:00Z"},
        photo_ids=[photo],
    )
    answer = (await post_json(client, "/field/sync", phone.batch(done))).json()["answers"][0]
    assert answer["status"] == "rejected" and answer["code"] == "order_cancelled"
    assert answer["server_state"]["restore_offer"] is True and answer["server_state"]["status"] == "cancelled"
    assert f"Order {order.id} was cancelled" in answer["message"] and "customer paid" in answer["message"].lower()
    assert "Your disconnect" in answer["message"] and "Restore now?" in answer["message"]
    await session.commit()
    flagged = await sync_exceptions.open_exceptions(session)
    assert [(e.work_order_id, e.exception_code) for e in flagged] == [(order.id, "order_cancelled")]
    assert flagged[0].payload["payload"]["seal"] == "S-1234"  # the fact is kept
    await session.refresh(order)
    assert order.status == WorkOrderStatus.CANCELLED
    restore = (await post_json(client, "/field/sync", phone.batch(phone.action("request_restore", order.id)))).json()[
        "answers"
    ][0]
    assert restore["status"] == "applied"
    new_order = await session.get(WorkOrder, restore["restore_order_id"])
    assert new_order.kind == WorkOrderKind.RESTORE and new_order.assigned_to_id == technician.id
    await sync_exceptions.resolve(session, Actor(None, "csr", "web"), flagged[0].id, "Restored by the same tech")
    await session.commit()
    assert await sync_exceptions.open_exceptions(session) == []


async def test_a_disconnect_and_a_restore_turn_the_account_off_and_on(client, session, technician) -> None:
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    await session.commit()
    await sign_in(client, session, technician)
    phone = Phone()
    photo = str(uuid.uuid4())
    answer = (
        await post_json(
            client,
            "/field/sync",
            phone.batch(
                phone.action(
                    "disconnect_done", order.id, {"value": LAST_READ + 6_000, "seal": "S-9"}, photo_ids=[photo]
                )
            ),
        )
    ).json()
    assert answer["answers"][0]["status"] == "applied"
    await session.commit()
    account = await session.get(Account, order.account_id, populate_existing=True)
    assert account.status == AccountStatus.DISCONNECTED
    restore = await make_field_order(session, technician, WorkOrderKind.RESTORE, account=account)
    await session.commit()
    answer = (
        await post_json(
            client,
            "/field/sync",
            phone.batch(
                phone.action("restore_done", restore.id, {"value": LAST_READ + 6_010}, photo_ids=[str(uuid.uuid4())])
            ),
        )
    ).json()
    assert answer["answers"][0]["status"] == "applied"
    await session.commit()
    account = await session.get(Account, order.account_id, populate_existing=True)
    assert account.status == AccountStatus.ACTIVE


async def test_a_disconnect_without_a_photo_or_seal_is_refused(client, session, technician) -> None:
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    await session.commit()
    await sign_in(client, session, technician)
    phone = Phone()
    answers = (
        await post_json(
            client,
            "/field/sync",
            phone.batch(
                phone.action("disconnect_done", order.id, {"value": 106_000, "seal": "S-1"}),
                phone.action("disconnect_done", order.id, {"value": 106_000}, photo_ids=[str(uuid.uuid4())]),
            ),
        )
    ).json()["answers"]
    assert [a["code"] for a in answers] == ["invalid", "invalid"]
    assert "photo" in answers[0]["message"] and "seal" in answers[1]["message"]


async def test_a_batch_over_fifty_or_of_another_schema_is_refused_whole(client, session, technician) -> None:
    await sign_in(client, session, technician)
    phone = Phone()
    too_many = phone.batch(*[phone.action("add_note", 1, {"note": "x"}) for _ in range(51)])
    assert (await post_json(client, "/field/sync", too_many)).status_code == 400
    assert (
        await post_json(client, "/field/sync", {"schema": 99, "device_id": "d", "mutations": []})
    ).status_code == 400
    assert await _count(session, SyncMutation) == 0


async def test_a_lost_acknowledgement_then_a_retry_changes_nothing(client, session, technician) -> None:
    """The server committed the batch, the answer never reached the phone: the phone sends the same batch again."""
    orders = [await make_field_order(session, technician) for _ in range(3)]
    await session.commit()
    await sign_in(client, session, technician)
    phone = Phone()
    batch = phone.batch(
        *[phone.action("record_read", o.id, {"value": LAST_READ + 6_000 + i}) for i, o in enumerate(orders)]
    )
    await post_json(client, "/field/sync", batch)  # answer dropped on the floor
    answers = (await post_json(client, "/field/sync", batch)).json()["answers"]
    assert {a["status"] for a in answers} == {"duplicate"}
    assert await _count(session, MeterRead, MeterRead.work_order_id.in_([o.id for o in orders])) == 3
    assert await _count(session, SyncMutation) == 3


class Killed(Exception):
    pass


async def test_a_server_stopped_mid_batch_loses_nothing_and_doubles_nothing(
    client, session, technician, monkeypatch
) -> None:
    """The process dies after the second of four actions. On the fast path (one transaction per batch) nothing was
    committed; on the one-transaction-per-mutation path two were. Either way the phone sends the whole batch again
    and each action ends applied exactly once."""
    orders = [await make_field_order(session, technician) for _ in range(8)]
    await session.commit()
    await sign_in(client, session, technician)
    ids = [o.id for o in orders]

    async def reads_and_rows() -> tuple[int, int]:
        return (await _count(session, MeterRead, MeterRead.work_order_id.in_(ids)), await _count(session, SyncMutation))

    for path, (batch_orders, committed_before_crash) in {
        "batch": (orders[:4], 0),
        "per-mutation": (orders[4:], 2),
    }.items():
        phone = Phone()
        batch = phone.batch(*[phone.action("record_read", o.id, {"value": LAST_READ + 6_000}) for o in batch_orders])
        done: list[str] = []

        async def crash_after_two(m: sync.Mutation) -> None:
            done.append(m.mutation_id)  # noqa: B023 - used within this iteration only
            if len(done) == 2:  # noqa: B023 - used within this iteration only
                raise Killed  # what a kill looks like to the phone: no answers, nothing after the second

        monkeypatch.setattr(sync, "after_commit", crash_after_two)
        if path == "per-mutation":

            async def lock_timeout(*_args: object) -> None:
                raise DBAPIError("SELECT ... FOR UPDATE", {}, Exception("lock timeout"))

            monkeypatch.setattr(sync, "prefetch", lock_timeout)
        before = await reads_and_rows()
        response = await post_json(client, "/field/sync", batch)
        assert response.status_code == 500 and "answers" not in response.json(), path
        after_crash = await reads_and_rows()
        assert after_crash == (before[0] + committed_before_crash, before[1] + committed_before_crash), path
        monkeypatch.setattr(sync, "after_commit", None)
        answers = (await post_json(client, "/field/sync", batch)).json()["answers"]
        expected = ["duplicate"] * committed_before_crash + ["applied"] * (4 - committed_before_crash)
        assert [a["status"] for a in answers] == expected, path
        assert await reads_and_rows() == (before[0] + 4, before[1] + 4), path


async def test_a_photo_uploads_once_per_client_id_and_a_damaged_upload_is_refused(
    client, app, session, technician, tmp_path
) -> None:
    from portal.accounts.photos import LocalPhotoStore

    app.state.photo_store = LocalPhotoStore(tmp_path)
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    await session.commit()
    await sign_in(client, session, technician)
    data = jpeg()
    digest = hashlib.sha256(data).hexdigest()
    client_id = str(uuid.uuid4())
    headers = {"x-csrftoken": await csrf(client), "content-type": "image/jpeg", "accept": "application/json"}
    url = f"/field/photos/{client_id}?order_id={order.id}&sha256={digest}"
    first = await client.put(url, content=data, headers=headers)
    assert first.status_code == 200 and first.json() == {"client_id": client_id, "sha256": digest, "stored": True}
    retry = await client.put(url, content=data, headers=headers)
    assert retry.json()["stored"] is False
    assert (await client.get(f"/field/photos/{client_id}")).json()["sha256"] == digest
    damaged = await client.put(
        f"/field/photos/{uuid.uuid4()}?order_id={order.id}&sha256={digest}", content=data[:-10], headers=headers
    )
    assert damaged.status_code == 422 and damaged.json()["error"]["code"] == "photo_checksum"
    assert await _count(session, Photo) == 1 and len(list(tmp_path.rglob("*.jpg"))) == 1


async def test_residents_and_staff_cannot_reach_the_field_api(client, session, resident, csr) -> None:
    await sign_in(client, session, resident.user)
    assert (await client.get("/field/sync", headers={"accept": "application/json"})).status_code == 403
    phone = Phone()
    assert (await post_json(client, "/field/sync", phone.batch())).status_code == 403


async def test_the_sync_api_needs_a_csrf_token(client, session, technician) -> None:
    await sign_in(client, session, technician)
    phone = Phone()
    response = await client.post("/field/sync", json=phone.batch(), headers={"accept": "application/json"})
    assert response.status_code == 403


async def test_a_stop_read_sent_from_the_phone_ends_service_on_that_day(client, session, technician) -> None:
    account = await factories.make_account(session)
    asked_on = local_today() - dt.timedelta(days=10)
    request = await tenancy.stop_service(
        session,
        Actor.job("test"),
        Policy(),
        account,
        stop_on=tenancy.earliest_date(Policy(), asked_on),
        forwarding_address="900 Lake Dr, Austin, TX 78701",
        today=asked_on,
    )
    session.add(
        Service(account_id=account.id, kind="water", rate_code="W-RES", quantity=1, started_on=dt.date(2020, 1, 15))
    )
    order = await session.get(WorkOrder, request.stop_order_id)
    await workorders.assign(session, Actor.job("test"), order, technician)
    await session.commit()
    await sign_in(client, session, technician)
    phone = Phone()
    read_day = local_today() - dt.timedelta(days=2)
    answer = (
        await post_json(
            client,
            "/field/sync",
            phone.batch(
                phone.action(
                    "record_read",
                    order.id,
                    {"value": 48_213, "at": f"{read_day.isoformat()}T18:00:00Z", "confirmed": True},
                )
            ),
        )
    ).json()
    assert answer["answers"][0]["status"] == "applied"
    await session.commit()
    account = await session.get(Account, account.id, populate_existing=True)
    service = await session.scalar(select(Service).where(Service.account_id == account.id))
    assert account.status == AccountStatus.FINAL and account.closed_on == read_day and service.ended_on == read_day
