"""Recording a read (with its audit row) and keeping a photo once per client id, on SQLite and PostgreSQL."""

import datetime as dt
import hashlib
import uuid

import pytest
from sqlalchemy import func, select

from portal.accounts import photos, reads
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict
from portal.accounts.models import AuditEvent, Meter, MeterRead, Origin, Photo, Role
from portal.accounts.policy import Policy
from tests import factories
from tests.unit.test_photos import jpeg

POLICY = Policy()
UTC = dt.UTC


async def test_a_read_is_recorded_with_its_flags_and_audited_and_feeds_the_history(session) -> None:
    account = await factories.make_account(session)
    tech = await factories.make_user(session, Role.FIELD)
    actor = Actor(tech.id, tech.email, Origin.SYNC, Role.FIELD)
    meter = await session.scalar(select(Meter).where(Meter.premise_id == account.premise_id))
    start = dt.datetime(2026, 8, 1, 10, tzinfo=UTC)
    for months, value in [(0, 1_000), (1, 7_000), (2, 13_000)]:
        await reads.record_read(session, actor, meter, value=value, read_at=start + dt.timedelta(days=30 * months))
    history = await reads.history(session, POLICY, meter, start + dt.timedelta(days=90))
    assert history.previous_value == 13_000 and history.average_daily == pytest.approx(200.0)
    check = reads.check_read(POLICY, reads.facts_of(meter), history, 40_000, start + dt.timedelta(days=90))
    assert check.flags == ("high",)
    stored = await reads.record_read(
        session, actor, meter, value=40_000, read_at=start + dt.timedelta(days=90), flags=[*check.flags, "re_entered"]
    )
    assert stored.flags == ["high", "re_entered"] and stored.reader_id == tech.id
    assert (
        await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "meter_read.record")
        )
        == 4
    )
    with pytest.raises(ValueError):
        await reads.record_read(session, actor, meter, value=10**6, read_at=start)
    assert await session.scalar(select(func.count()).select_from(MeterRead)) == 4


async def test_a_photo_is_kept_once_per_client_id_and_a_different_photo_under_that_id_is_refused(
    session, tmp_path
) -> None:
    store = photos.LocalPhotoStore(tmp_path)
    actor = Actor.job("test")
    data = jpeg(gps=True)
    digest = hashlib.sha256(data).hexdigest()
    client_id = str(uuid.uuid4())
    photo, created = await photos.save_photo(
        session,
        store,
        POLICY,
        actor,
        client_id=client_id,
        data=data,
        sha256=digest,
        content_type="image/jpeg",
        keep_location=True,
    )
    assert created and photo.sha256 == digest and photo.lat == pytest.approx(31.09)
    assert store.get(photo.storage_key)[:2] == b"\xff\xd8"
    again, created = await photos.save_photo(
        session, store, POLICY, actor, client_id=client_id, data=data, sha256=digest
    )
    assert not created and again.id == photo.id
    other = jpeg(300, 300)
    with pytest.raises(Conflict):
        await photos.save_photo(
            session, store, POLICY, actor, client_id=client_id, data=other, sha256=hashlib.sha256(other).hexdigest()
        )
    with pytest.raises(photos.PhotoRejected) as caught:
        await photos.save_photo(session, store, POLICY, actor, client_id=str(uuid.uuid4()), data=data, sha256="0" * 64)
    assert caught.value.code == "photo_checksum"
    assert await session.scalar(select(func.count()).select_from(Photo)) == 1
    assert len(list(tmp_path.rglob("*.jpg"))) == 1


async def test_a_photos_location_is_dropped_unless_it_is_to_be_kept(session, tmp_path) -> None:
    store = photos.LocalPhotoStore(tmp_path)
    data = jpeg(gps=True)
    photo, _created = await photos.save_photo(
        session,
        store,
        POLICY,
        Actor.job("test"),
        client_id=str(uuid.uuid4()),
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        lat=31.1,
        lon=-97.4,
    )
    assert photo.lat is None and photo.lon is None  # neither the EXIF location nor the one passed along
    import io

    from PIL import Image

    with Image.open(io.BytesIO(store.get(photo.storage_key))) as stored:
        assert len(stored.getexif().get_ifd(0x8825)) == 0 and "exif" not in stored.info
