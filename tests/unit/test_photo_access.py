"""Who may look at a photo (a plain rule over plain facts), and the thumbnail kept once in the store."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from portal.accounts.models import Role
from portal.accounts.photo_access import PhotoFacts, ReportFacts, Viewer, may_see, thumb_size
from portal.accounts.photos import LocalPhotoStore, make_thumbnail, store_from_setting, thumb_key, thumbnail_of
from tests.unit.test_photos import jpeg

TECH, OTHER_TECH = 7, 8
ORDER_PHOTO = PhotoFacts(photo_id=1, order_assignee_id=TECH)
# photo 2 is the one the resident attached to their report on account 40; photo 3 a technician's on the same order
REPORTED = (ReportFacts(frozenset({40}), photo_id=2),)
RESIDENT_PHOTO = PhotoFacts(photo_id=2, order_assignee_id=TECH, reports=REPORTED)
CREW_PHOTO_ON_REPORT = PhotoFacts(photo_id=3, order_assignee_id=TECH, reports=REPORTED)


@pytest.mark.parametrize("role", [Role.CSR, Role.SUPERVISOR, Role.ADMIN])
def test_staff_see_every_photo(role: Role) -> None:
    staff = Viewer(1, role)
    assert all(may_see(staff, f) for f in (ORDER_PHOTO, RESIDENT_PHOTO, CREW_PHOTO_ON_REPORT, PhotoFacts(9, None)))


def test_a_technician_sees_the_photos_of_the_orders_assigned_to_them_only() -> None:
    assert may_see(Viewer(TECH, Role.FIELD), ORDER_PHOTO)
    assert may_see(Viewer(TECH, Role.FIELD), RESIDENT_PHOTO)  # what the resident sent helps the crew find it
    assert not may_see(Viewer(OTHER_TECH, Role.FIELD), ORDER_PHOTO)
    assert not may_see(Viewer(TECH, Role.FIELD), PhotoFacts(1, None))  # unassigned: nobody's


def test_a_resident_sees_only_the_photo_of_their_own_report() -> None:
    own = Viewer(5, Role.CUSTOMER, frozenset({40, 41}))
    assert may_see(own, RESIDENT_PHOTO)
    assert not may_see(own, CREW_PHOTO_ON_REPORT)  # the crew's photos of the visit stay with staff
    assert not may_see(own, ORDER_PHOTO)
    assert not may_see(Viewer(6, Role.CUSTOMER, frozenset({99})), RESIDENT_PHOTO)
    assert not may_see(Viewer(6, Role.CUSTOMER), RESIDENT_PHOTO)
    # a resident's user id equal to the technician's id means nothing
    assert not may_see(Viewer(TECH, Role.CUSTOMER, frozenset({99})), ORDER_PHOTO)


def test_thumb_size_matches_what_pillow_makes() -> None:
    assert thumb_size(1600, 1200) == (320, 240)
    assert thumb_size(1200, 1600) == (240, 320)
    assert thumb_size(200, 100) == (200, 100)
    with Image.open(io.BytesIO(make_thumbnail(jpeg(1600, 1200)))) as thumb:
        assert thumb.size == (320, 240) and thumb.format == "JPEG" and len(thumb.getexif()) == 0


def test_a_thumbnail_is_made_once_then_read_from_the_store(tmp_path, monkeypatch) -> None:
    store = LocalPhotoStore(tmp_path)
    store.put("2026/12/a.jpg", jpeg(800, 600), "image/jpeg")
    first = thumbnail_of(store, "2026/12/a.jpg")
    assert (tmp_path / thumb_key("2026/12/a.jpg")).read_bytes() == first
    monkeypatch.setattr("portal.accounts.photos.make_thumbnail", lambda *a, **k: pytest.fail("made twice"))
    assert thumbnail_of(store, "2026/12/a.jpg") == first
    with pytest.raises(FileNotFoundError):
        store.get("2026/12/missing.jpg")


def test_the_s3_store_answers_a_missing_key_like_the_local_one() -> None:
    moto = pytest.importorskip("moto")
    import boto3

    with moto.mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="photos")
        store = store_from_setting("s3://photos/p?region=us-east-1")
        with pytest.raises(FileNotFoundError):
            store.get("2026/12/none.jpg")
        store.put("2026/12/a.jpg", jpeg(), "image/jpeg")
        assert thumbnail_of(store, "2026/12/a.jpg") == store.get(thumb_key("2026/12/a.jpg"))
