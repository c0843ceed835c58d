"""Field safety and checks, on both ways an action arrives (the plain form and the phone's sync): a disconnect on an
account held off disconnection (medical alert, payment extension) is refused with nothing written, and a read the
read check flags (a disconnect's low final read among them) is saved only once typed again."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from portal.accounts.models import (
    Account,
    AccountStatus,
    ExtensionStatus,
    MeterRead,
    PaymentExtension,
    Photo,
    SyncMutation,
    User,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.i18n import format_date
from tests.field_world import LAST_READ, Phone, local_today, make_field_order
from tests.http.helpers import csrf, post_json, sign_in
from tests.unit.test_photos import jpeg

LOW_FINAL = LAST_READ + 100  # 100 gallons in 30 days on a meter that uses about 200 a day: "low"


async def _post(client, url: str, data: dict, files: dict | None = None):
    token = await csrf(client)
    return await client.post(url, data={**data, "_csrf_token": token}, files=files, follow_redirects=False)


async def _count(session, model, *where) -> int:
    await session.commit()
    return await session.scalar(select(func.count()).select_from(model).where(*where))


async def _nothing_written(session, order: WorkOrder) -> None:
    assert await _count(session, MeterRead, MeterRead.work_order_id == order.id) == 0
    await session.refresh(order)
    assert order.status == WorkOrderStatus.ASSIGNED and order.version == 1 and order.result == {}
    assert (await session.get(Account, order.account_id, populate_existing=True)).status == AccountStatus.ACTIVE


async def _spanish(session, user: User) -> None:
    user.locale = "es"
    session.add(user)
    await session.commit()


async def test_the_order_page_of_a_medical_alert_disconnect_warns_and_offers_no_disconnect(
    client, session, technician
) -> None:
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT, medical=True)
    await session.commit()
    await sign_in(client, session, technician)
    page = (await client.get(f"/field/orders/{order.id}")).text
    assert (
        'data-disconnect-hold="medical_alert"' in page
        and "Medical alert on file: do not disconnect. Call dispatch." in page
    )
    assert "Do not disconnect" in page
    assert "actions/disconnect_done" not in page and "Record disconnect" not in page and "Seal number" not in page
    assert "actions/add_note" in page  # a note for dispatch is still possible


async def test_the_plain_form_refuses_a_disconnect_on_a_medical_alert_and_writes_nothing(
    client, session, technician, app, tmp_path
) -> None:
    from portal.accounts.photos import LocalPhotoStore

    app.state.photo_store = LocalPhotoStore(tmp_path)
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT, medical=True)
    await session.commit()
    await sign_in(client, session, technician)
    answer = await _post(
        client,
        f"/field/orders/{order.id}/actions/disconnect_done",
        {"mutation_id": str(uuid.uuid4()), "value": str(LAST_READ + 6_000), "seal": "S-77"},
        files={"photo": ("meter.jpg", jpeg(), "image/jpeg")},
    )
    assert answer.status_code == 409
    assert (
        f"Order {order.id}: a medical alert is on file for this account, so it must not be disconnected." in answer.text
    )
    assert "Nothing was recorded. Call dispatch." in answer.text and "Record disconnect" not in answer.text
    await _nothing_written(session, order)
    assert await _count(session, Photo) == 0 and await _count(session, SyncMutation) == 0

    await _spanish(session, technician)
    spanish = await _post(
        client,
        f"/field/orders/{order.id}/actions/disconnect_done",
        {"mutation_id": str(uuid.uuid4()), "value": str(LAST_READ + 6_000), "seal": "S-77"},
        files={"photo": ("meter.jpg", jpeg(), "image/jpeg")},
    )
    assert spanish.status_code == 409 and "alerta médica" in spanish.text and "No se registró nada." in spanish.text
    await _nothing_written(session, order)


async def test_the_sync_api_refuses_a_disconnect_on_a_medical_alert_and_tells_dispatch(
    client, session, technician, csr
) -> None:
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT, medical=True)
    await session.commit()
    await sign_in(client, session, technician)
    phone = Phone()
    done = phone.action(
        "disconnect_done", order.id, {"value": LAST_READ + 6_000, "seal": "S-9"}, photo_ids=[str(uuid.uuid4())]
    )
    answer = (await post_json(client, "/field/sync", phone.batch(done))).json()["answers"][0]
    assert answer["status"] == "rejected" and answer["code"] == "disconnect_hold"
    assert answer["server_state"]["hold"] == "medical_alert" and "medical alert" in answer["message"]
    await _nothing_written(session, order)
    stored = await session.scalar(select(SyncMutation))
    assert stored.status == "rejected" and stored.exception_code == "disconnect_hold"
    client.cookies.clear()
    await sign_in(client, session, csr)
    dispatch = (await client.get("/staff/dispatch")).text.split('id="exceptions"')[1]
    assert "Disconnect refused: account on hold" in dispatch and "medical alert" in dispatch  # dispatch sees it
    client.cookies.clear()
    await sign_in(client, session, technician)

    await _spanish(session, technician)
    again = phone.action(
        "disconnect_done", order.id, {"value": LAST_READ + 6_000, "seal": "S-9"}, photo_ids=[str(uuid.uuid4())]
    )
    spanish = (await post_json(client, "/field/sync", phone.batch(again))).json()["answers"][0]
    assert spanish["code"] == "disconnect_hold" and "alerta médica" in spanish["message"]
    await _nothing_written(session, order)


async def test_an_active_payment_extension_also_holds_off_a_disconnect(client, session, technician) -> None:
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    promised = local_today() + dt.timedelta(days=5)
    session.add(
        PaymentExtension(
            account_id=order.account_id,
            amount_cents=5_000,
            requested_on=local_today(),
            promised_on=promised,
            status=ExtensionStatus.ACTIVE,
        )
    )
    await session.commit()
    await sign_in(client, session, technician)
    phone = Phone()
    answer = (
        await post_json(
            client,
            "/field/sync",
            phone.batch(
                phone.action(
                    "disconnect_done",
                    order.id,
                    {"value": LAST_READ + 6_000, "seal": "S-9"},
                    photo_ids=[str(uuid.uuid4())],
                )
            ),
        )
    ).json()["answers"][0]
    assert answer["code"] == "disconnect_hold" and format_date(promised) in answer["message"]
    await _nothing_written(session, order)
    assert 'data-disconnect-hold="extension"' in (await client.get(f"/field/orders/{order.id}")).text


async def test_a_low_final_read_on_the_disconnect_form_is_asked_again_before_it_is_saved(
    client, session, technician, app, tmp_path
) -> None:
    from portal.accounts.photos import LocalPhotoStore

    app.state.photo_store = LocalPhotoStore(tmp_path)
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    await session.commit()
    await sign_in(client, session, technician)
    url = f"/field/orders/{order.id}/actions/disconnect_done"
    page_id = str(uuid.uuid4())
    form = {"mutation_id": page_id, "value": str(LOW_FINAL), "seal": "S-5"}
    asked = await _post(client, url, form, files={"photo": ("meter.jpg", jpeg(), "image/jpeg")})
    assert asked.status_code == 400 and "Lower than expected" in asked.text and 'href="#confirm_value"' in asked.text
    assert "data-confirm-field>" in asked.text  # the second box is shown, not hidden
    assert await _count(session, Photo) == 0
    await _nothing_written(session, order)
    mismatch = await _post(
        client, url, {**form, "confirm_value": str(LOW_FINAL + 1)}, files={"photo": ("meter.jpg", jpeg(), "image/jpeg")}
    )
    assert mismatch.status_code == 400
    await _nothing_written(session, order)
    done = await _post(
        client, url, {**form, "confirm_value": str(LOW_FINAL)}, files={"photo": ("meter.jpg", jpeg(), "image/jpeg")}
    )
    assert done.status_code == 303, done.text
    read = await session.scalar(select(MeterRead).where(MeterRead.work_order_id == order.id))
    assert read.value == LOW_FINAL and read.flags == ["low", "re_entered"]


async def test_a_flagged_read_from_the_phone_is_refused_until_it_comes_confirmed(client, session, technician) -> None:
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    reading = await make_field_order(session, technician)
    await session.commit()
    await sign_in(client, session, technician)
    phone = Phone()
    answers = (
        await post_json(
            client,
            "/field/sync",
            phone.batch(
                phone.action(
                    "disconnect_done", order.id, {"value": LOW_FINAL, "seal": "S-5"}, photo_ids=[str(uuid.uuid4())]
                ),
                phone.action("record_read", reading.id, {"value": LAST_READ + 60_000}),
            ),
        )
    ).json()["answers"]
    assert [a["code"] for a in answers] == ["confirm_read", "confirm_read"]
    assert "Lower than expected" in answers[0]["message"] and "Nothing was saved." in answers[0]["message"]
    assert answers[0]["server_state"]["flags"] == ["low"] and answers[1]["server_state"]["flags"] == ["high"]
    await _nothing_written(session, order)
    assert await _count(session, MeterRead, MeterRead.work_order_id == reading.id) == 0

    confirmed = (
        await post_json(
            client,
            "/field/sync",
            phone.batch(
                phone.action(
                    "disconnect_done",
                    order.id,
                    {"value": LOW_FINAL, "seal": "S-5", "confirmed": True},
                    photo_ids=[str(uuid.uuid4())],
                )
            ),
        )
    ).json()["answers"][0]
    assert confirmed["status"] == "applied" and confirmed["flags"] == ["low", "re_entered"]
    await session.refresh(order)
    assert order.status == WorkOrderStatus.COMPLETED


async def test_only_dispatch_overrides_a_hold_with_an_audited_reason_and_then_the_disconnect_goes_ahead(
    client, session, technician, csr
) -> None:
    from portal.accounts.models import AuditEvent

    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT, medical=True)
    await session.commit()
    await sign_in(client, session, technician)
    phone = Phone()
    first = phone.action(
        "disconnect_done", order.id, {"value": LAST_READ + 6_000, "seal": "S-9"}, photo_ids=[str(uuid.uuid4())]
    )
    assert (await post_json(client, "/field/sync", phone.batch(first))).json()["answers"][0][
        "code"
    ] == "disconnect_hold"
    exception = await session.scalar(select(SyncMutation).where(SyncMutation.exception_code == "disconnect_hold"))
    # the technician cannot override it
    assert (
        await _post(
            client,
            f"/staff/dispatch/exceptions/{exception.id}/override-hold",
            {"reason": "Certificate expired last week"},
        )
    ).status_code == 403
    client.cookies.clear()
    await sign_in(client, session, csr)
    page = (await client.get("/staff/dispatch")).text
    assert f"/staff/dispatch/exceptions/{exception.id}/override-hold" in page
    short = await _post(client, f"/staff/dispatch/exceptions/{exception.id}/override-hold", {"reason": "ok"})
    assert short.status_code == 400 and "at least 10 characters" in short.text
    await _nothing_written(session, order)
    done = await _post(
        client,
        f"/staff/dispatch/exceptions/{exception.id}/override-hold",
        {"reason": "Certificate was withdrawn by the clinic"},
    )
    assert done.status_code == 303
    audit = await session.scalar(select(AuditEvent).where(AuditEvent.action == "work_order.hold_override"))
    assert (
        audit is not None
        and audit.actor_id == csr.id
        and audit.after["reason"] == "Certificate was withdrawn by the clinic"
    )
    await session.refresh(exception)
    assert exception.exception_resolved_at is not None and "Certificate was withdrawn" in exception.note

    client.cookies.clear()
    await sign_in(client, session, technician)
    await session.refresh(order)
    again = phone.action(
        "disconnect_done",
        order.id,
        {"value": LAST_READ + 6_000, "seal": "S-9"},
        photo_ids=[str(uuid.uuid4())],
        base_version=order.version,
    )
    answer = (await post_json(client, "/field/sync", phone.batch(again))).json()["answers"][0]
    assert answer["status"] == "applied", answer
    await session.refresh(order)
    assert order.status == WorkOrderStatus.COMPLETED
