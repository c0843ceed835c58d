"""A resident's problem-report photo: its location is kept only when they tick the box, and a cut-off photo is
refused with a message instead of being stored half grey."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.accounts import photos
from portal.accounts.models import Photo, ServiceRequest, WorkOrder
from tests.http.helpers import sign_in

GPS = {1: "N", 2: (31.0, 5.0, 24.0), 3: "W", 4: (97.0, 21.0, 36.0)}  # 31.09, -97.36


def phone_photo(*, gps: bool = True) -> bytes:
    image = Image.effect_noise((640, 480), 50).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if gps:
        exif.get_ifd(0x8825).update(GPS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


@pytest.fixture
def store(app, tmp_path):
    app.state.photo_store = photos.LocalPhotoStore(tmp_path)
    return app.state.photo_store


async def report(client, photo: bytes, **extra: str):
    data = {
        "kind": "leak",
        "description": "Water pooling by the meter box",
        "_csrf_token": client.cookies["csrftoken"],
        **extra,
    }
    return await client.post(
        "/my/report", data=data, files={"photo": ("leak.jpg", photo, "image/jpeg")}, follow_redirects=False
    )


async def test_a_photos_location_is_dropped_when_the_resident_does_not_tick_the_box(
    client, session, resident, store
) -> None:
    await sign_in(client, session, resident.user)
    form = await client.get("/my/report")
    assert (
        'name="share_location"' in form.text
        and "checked" not in form.text.split('name="share_location"')[1].split(">")[0]
    )
    response = await report(client, phone_photo())
    assert response.status_code == 303, response.text[:500]
    await session.commit()
    photo = await session.scalar(select(Photo))
    assert photo.lat is None and photo.lon is None
    with Image.open(io.BytesIO(store.get(photo.storage_key))) as kept:
        assert len(kept.getexif().get_ifd(0x8825)) == 0 and "exif" not in kept.info
    request = await session.scalar(select(ServiceRequest))
    assert request.details["photo_location_kept"] is False


async def test_a_photos_location_is_kept_when_the_resident_agrees_and_never_shown_to_residents(
    client, session, resident, other_resident, store
) -> None:
    await sign_in(client, session, resident.user)
    response = await report(client, phone_photo(), share_location="y")
    assert response.status_code == 303
    await session.commit()
    photo = await session.scalar(select(Photo))
    assert photo.lat == pytest.approx(31.09) and photo.lon == pytest.approx(-97.36)
    with Image.open(io.BytesIO(store.get(photo.storage_key))) as kept:
        assert len(kept.getexif().get_ifd(0x8825)) == 0  # the image itself never carries it
    own = (await client.get("/my/requests")).text
    assert "31.09" not in own and "97.36" not in own
    await client.post("/signout", data={"_csrf_token": client.cookies["csrftoken"]})
    await sign_in(client, session, other_resident.user)
    for url in ("/my", "/my/requests"):
        page = (await client.get(url)).text
        assert "31.09" not in page and "97.36" not in page and "pooling" not in page


async def test_a_cut_off_photo_is_refused_with_a_message_even_after_a_pdf_was_made(
    client, session, resident, store
) -> None:
    import weasyprint  # noqa: F401 - importing it turns Pillow's LOAD_TRUNCATED_IMAGES on for the process

    await sign_in(client, session, resident.user)
    whole = phone_photo(gps=False)
    for cut in (whole[: len(whole) * 2 // 3], whole[: len(whole) * 2 // 3] + b"\xff\xd9"):
        response = await report(client, cut)
        assert response.status_code == 400
        assert "Only part of this photo arrived" in response.text
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(WorkOrder)) == 0
    assert await session.scalar(select(func.count()).select_from(Photo)) == 0


async def test_the_location_box_is_in_spanish_too(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    client.cookies.set("lang", "es", domain="portal.test")
    page = (await client.get("/my/report")).text
    assert "Guardar con mi reporte el lugar donde se tomó la foto" in page
    assert "Keep the place where the photo was taken" not in page
