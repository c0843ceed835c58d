"""Photos people can see: each role sees exactly its photos (anyone else, and a missing id, get the same 404), on the
pages that show them, served private with their type; the thumbnail is made once and kept, in a folder or in S3."""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass

import pytest
from PIL import Image
from sqlalchemy import select

from portal.accounts import photos
from portal.accounts.actor import Actor
from portal.accounts.models import Photo, Role, ServiceRequest, SyncMutation, User, WorkOrder, WorkOrderStatus
from portal.accounts.policy import Policy
from tests import factories
from tests.field_world import make_field_order
from tests.http.helpers import csrf, post_form, sign_in
from tests.http.test_report_photos import phone_photo
from tests.unit.test_photos import jpeg

MISSING = 987_654


@dataclass
class World:
    tech_photo: int  # on the resident's order assigned to the technician
    report_photo: int  # the resident's problem-report photo; its order is assigned to the technician too
    other_photo: int  # on another technician's order, with a sync exception for dispatch
    tech_order: int
    other_order: int


async def keep(session, store, order: WorkOrder, when: str | None = None) -> int:
    data = jpeg(1600, 1200, when=when)
    photo, _ = await photos.save_photo(
        session,
        store,
        Policy(),
        Actor.job("test"),
        client_id=str(uuid.uuid4()),
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        work_order_id=order.id,
    )
    return photo.id


async def switch(client, session, user: User) -> None:
    if "csrftoken" in client.cookies:
        await post_form(client, "/signout")
    client.cookies.clear()
    await sign_in(client, session, user)


@pytest.fixture
async def world(client, session, app, tmp_path, resident, technician) -> World:
    store = app.state.photo_store = photos.LocalPhotoStore(tmp_path)
    other_tech = await factories.make_user(session, Role.FIELD)
    tech_order = await make_field_order(session, technician, account=resident.account)
    other_order = await make_field_order(session, other_tech)
    tech_photo = await keep(session, store, tech_order, when="2026:12:04 10:50:00")
    other_photo = await keep(session, store, other_order)
    session.add(
        SyncMutation(
            mutation_id=str(uuid.uuid4()),
            device_id="dev-1",
            seq=1,
            user_id=other_tech.id,
            kind="complete_order",
            work_order_id=other_order.id,
            payload={},
            payload_sha256="0" * 64,
            status="rejected",
            result={"message": "Meter not found at the address"},
            exception_code="order_cancelled",
        )
    )
    await session.commit()
    await sign_in(client, session, resident.user)
    sent = await client.post(
        "/my/report",
        data={"kind": "leak", "description": "Water by the meter box", "_csrf_token": await csrf(client)},
        files={"photo": ("leak.jpg", phone_photo(gps=False), "image/jpeg")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:300]
    await session.commit()
    report = await session.scalar(select(ServiceRequest))
    problem_order = await session.get(WorkOrder, report.problem_order_id)
    problem_order.assigned_to_id, problem_order.status = technician.id, WorkOrderStatus.ASSIGNED
    await session.commit()
    return World(tech_photo, report.details["photo_id"], other_photo, tech_order.id, other_order.id)


async def visible(client, world: World) -> set[int]:
    seen = set()
    for photo_id in (world.tech_photo, world.report_photo, world.other_photo):
        full, thumb = await client.get(f"/photos/{photo_id}"), await client.get(f"/photos/{photo_id}/thumb")
        assert full.status_code == thumb.status_code, photo_id
        if full.status_code == 200:
            seen.add(photo_id)
        else:  # someone else's photo answers exactly like one that does not exist
            missing = await client.get(f"/photos/{MISSING}")
            assert full.status_code == missing.status_code == 404
    return seen


async def test_each_role_sees_exactly_its_photos_on_the_pages_that_show_them(
    client, session, world, resident, other_resident, technician, csr
) -> None:
    w = world
    # signed in as the resident already (the fixture sent the report)
    assert await visible(client, w) == {w.report_photo}
    requests_page = (await client.get("/my/requests")).text
    assert f"/photos/{w.report_photo}/thumb" in requests_page and f"/photos/{w.tech_photo}" not in requests_page
    assert 'loading="lazy"' in requests_page and "Your photo of the problem, sent" in requests_page

    await switch(client, session, other_resident.user)
    assert await visible(client, w) == set()

    await switch(client, session, technician)
    assert await visible(client, w) == {w.tech_photo, w.report_photo}
    order_page = (await client.get(f"/field/orders/{w.tech_order}")).text
    assert f'href="/photos/{w.tech_photo}"' in order_page and f'src="/photos/{w.tech_photo}/thumb"' in order_page
    assert f"Photo 1 of order {w.tech_order}, taken Dec 4, 2026" in order_page
    assert 'width="320" height="240"' in order_page
    assert (await client.get(f"/field/orders/{w.other_order}")).status_code == 404

    await switch(client, session, csr)
    assert await visible(client, w) == {w.tech_photo, w.report_photo, w.other_photo}
    account_page = (await client.get(f"/staff/accounts/{resident.account.number}/")).text
    assert f"/photos/{w.tech_photo}/thumb" in account_page and f"/photos/{w.report_photo}/thumb" in account_page
    assert f"/photos/{w.other_photo}/" not in account_page
    dispatch = (await client.get("/staff/dispatch/")).text
    exceptions = dispatch.split('id="exceptions"')[1]
    assert f'src="/photos/{w.other_photo}/thumb"' in exceptions

    await post_form(client, "/signout")
    client.cookies.clear()
    assert (await client.get(f"/photos/{w.tech_photo}", follow_redirects=False)).status_code != 200


async def test_a_photo_is_private_to_the_browser_typed_and_its_thumbnail_made_once(
    client, session, world, csr, tmp_path, monkeypatch
) -> None:
    await switch(client, session, csr)
    full = await client.get(f"/photos/{world.tech_photo}")
    assert full.status_code == 200
    assert full.headers["content-type"] == "image/jpeg"
    assert full.headers["cache-control"] == "private, max-age=3600"
    assert full.headers["x-content-type-options"] == "nosniff"
    with Image.open(io.BytesIO(full.content)) as image:
        assert image.size == (1600, 1200) and len(image.getexif()) == 0
    again = await client.get(f"/photos/{world.tech_photo}", headers={"if-none-match": full.headers["etag"]})
    assert again.status_code == 304 and again.content == b""

    thumb = await client.get(f"/photos/{world.tech_photo}/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.headers["cache-control"] == "private, max-age=3600" and thumb.headers["etag"] != full.headers["etag"]
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert image.size == (320, 240)
    stored = await session.get(Photo, world.tech_photo)
    assert (tmp_path / photos.thumb_key(stored.storage_key)).read_bytes() == thumb.content
    monkeypatch.setattr(photos, "make_thumbnail", lambda *a, **k: pytest.fail("the thumbnail was made twice"))
    assert (await client.get(f"/photos/{world.tech_photo}/thumb")).content == thumb.content
    # a page stays no-store: only the photo itself says private
    assert (await client.get("/staff/dispatch/")).headers["cache-control"] == "no-store"


async def test_alt_text_is_in_the_viewers_language(client, session, world, technician) -> None:
    await switch(client, session, technician)
    client.cookies.set("lang", "es", domain="portal.test")
    page = (await client.get(f"/field/orders/{world.tech_order}")).text
    assert f"Foto 1 de la orden {world.tech_order}, tomada el 4 dic 2026" in page
    assert "Photo 1 of order" not in page


async def test_photos_kept_in_s3_are_served_and_their_thumbnail_kept_there(
    client, session, app, technician, csr
) -> None:
    moto = pytest.importorskip("moto")
    import boto3

    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="city-photos")
        app.state.photo_store = photos.store_from_setting("s3://city-photos/portal?region=us-east-1")
        order = await make_field_order(session, technician)
        await session.commit()
        await switch(client, session, technician)
        data, client_id = jpeg(1200, 1600), str(uuid.uuid4())
        headers = {"x-csrftoken": await csrf(client), "content-type": "image/jpeg", "accept": "application/json"}
        sent = await client.put(
            f"/field/photos/{client_id}?order_id={order.id}&sha256={hashlib.sha256(data).hexdigest()}",
            content=data,
            headers=headers,
        )
        assert sent.status_code == 200, sent.text
        photo = await session.scalar(select(Photo).where(Photo.client_id == client_id))

        await switch(client, session, csr)
        full = await client.get(f"/photos/{photo.id}")
        thumb = await client.get(f"/photos/{photo.id}/thumb")
        assert full.status_code == thumb.status_code == 200
        assert full.content == s3.get_object(Bucket="city-photos", Key=f"portal/{photo.storage_key}")["Body"].read()
        with Image.open(io.BytesIO(thumb.content)) as image:
            assert image.size == (240, 320)
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="city-photos")["Contents"]}
        assert keys == {f"portal/{photo.storage_key}", f"portal/{photos.thumb_key(photo.storage_key)}"}
