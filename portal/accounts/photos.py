"""Photos people send (a technician's completed-order photo, a resident's problem report): checked to be a real
image within limits, EXIF time and location moved into fields and every other piece of metadata stripped, then kept
through a photo store (a local folder by default, an S3-compatible bucket by setting). A thumbnail is made on first
view and kept in the same store under `thumbs/`. All image work (decode, clean, thumbnail) and every store call run
in a worker thread (`asyncio.to_thread`), never on the event loop.

A photo is keyed by the client's id (a UUID made on the phone) and checked against the SHA-256 the client computed:
a retried upload stores nothing new, and a different photo under the same id is refused.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import re
import uuid
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, SupportsFloat
from urllib.parse import parse_qs, urlsplit

from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _

from .actor import Actor
from .audit import record
from .errors import Conflict, DomainError
from .models import Photo
from .policy import Policy

ALLOWED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class PhotoRejected(DomainError):
    status_code = 422


@dataclass(frozen=True)
class CleanPhoto:
    """What is kept of an upload: JPEG bytes without metadata, and the facts taken from its EXIF."""

    data: bytes
    content_type: str
    width: int
    height: int
    taken_at: dt.datetime | None
    lat: float | None
    lon: float | None


def _rational(value: SupportsFloat | tuple[float, float]) -> float:
    if isinstance(value, tuple) and len(value) == 2:  # (numerator, denominator)
        return value[0] / value[1] if value[1] else 0.0
    return float(value)


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # a broken GPS block is simply no location
        return None, None
    try:

        def degrees(parts: Iterable[SupportsFloat | tuple[float, float]], ref: object, negative: str) -> float:
            d, m, s = (_rational(p) for p in parts)
            value = d + m / 60 + s / 3600
            return -value if str(ref).upper().startswith(negative) else value

        lat = degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef, "N"), "S")
        lon = degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return round(lat, 6), round(lon, 6)


def _taken_at(exif: Image.Exif) -> dt.datetime | None:
    try:
        raw = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
        if not raw:
            return None
        # EXIF has no time zone: take the camera's clock as UTC rather than guess the phone's zone.
        return dt.datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except (ValueError, TypeError, KeyError):
        return None


def _incomplete() -> str:
    return _(
        "Only part of this photo arrived (the file is cut off), so we cannot use it. Send it again, or take a new one."
    )


def _ends_in_fill(image: Image.Image) -> bool:
    """A baseline JPEG cut short and closed with an end marker decodes without error, its missing blocks filled with
    flat mid-grey: the last block decoded (bottom right) being exactly that grey is the tell. (A progressive JPEG
    cut short loses detail, not area, and passes.)"""
    if image.format != "JPEG" or image.info.get("progressive") or image.info.get("progression"):
        return False
    width, height = image.size
    grey = ((128, 128), (128, 128), (128, 128))
    corner = image.crop((max(width - 8, 0), max(height - 8, 0), width, height)).convert("RGB")
    # ... unless the whole picture is that grey (a grey wall, a test card): then nothing says a part is missing
    return corner.getextrema() == grey and image.convert("RGB").getextrema() != grey


def clean_image(policy: Policy, data: bytes, declared_type: str | None = None) -> CleanPhoto:
    """Refuse what is not a real image within limits; return it re-encoded without metadata (EXIF, XMP, ICC
    comments), turned upright, and no larger than the stored size."""
    if not data:
        raise PhotoRejected(_("The photo is empty. Take it again."), code="photo_empty")
    if len(data) > policy.photo_max_bytes:
        raise PhotoRejected(
            _("The photo is too large (at most %(mb)s MB).") % {"mb": policy.photo_max_bytes // 1_000_000},
            code="photo_too_large",
        )
    if declared_type and declared_type.split(";")[0].strip().lower() not in ALLOWED.values():
        raise PhotoRejected(_("Send a JPEG, PNG or WebP photo."), code="photo_type")
    limit = policy.photo_max_side_px
    # weasyprint turns this on for the whole process when it is first imported (bill PDFs); with it on, a cut-off
    # upload decodes "successfully" with its missing part painted grey. A photo must decode whole.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ALLOWED:
                    raise PhotoRejected(_("Send a JPEG, PNG or WebP photo."), code="photo_type")
                width, height = probe.size
                if max(width, height) > limit or width * height > limit * limit:
                    raise PhotoRejected(
                        _("The photo is too big (at most %(px)s pixels a side).") % {"px": limit},
                        code="photo_dimensions",
                    )
                if min(width, height) < policy.photo_min_side_px:
                    raise PhotoRejected(_("The photo is too small to show anything."), code="photo_dimensions")
                probe.verify()  # structure and checksums, before decoding any pixels
            with Image.open(io.BytesIO(data)) as image:
                exif = image.getexif()
                taken_at, (lat, lon) = _taken_at(exif), _gps(exif)
                image.load()
                if _ends_in_fill(image):
                    raise PhotoRejected(_incomplete(), code="photo_incomplete")
                upright = ImageOps.exif_transpose(image)
    except PhotoRejected:
        raise
    except OSError as exc:
        if "truncated" in str(exc):
            raise PhotoRejected(_incomplete(), code="photo_incomplete") from None
        raise PhotoRejected(
            _("That file is not a photo we can read. Take it again."), code="photo_unreadable"
        ) from None
    except (
        UnidentifiedImageError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise PhotoRejected(
            _("That file is not a photo we can read. Take it again."), code="photo_unreadable"
        ) from None
    rgb = upright.convert("RGB")
    rgb.thumbnail((policy.photo_stored_side_px, policy.photo_stored_side_px), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=policy.photo_jpeg_quality, optimize=True)  # no exif=, no icc_profile=: none kept
    return CleanPhoto(out.getvalue(), "image/jpeg", rgb.width, rgb.height, taken_at, lat, lon)


# ---- where the bytes go --------------------------------------------------------------------------------------


class PhotoStore(Protocol):
    """Where photo bytes live. Both calls are blocking (callers run them in a thread). Keys are relative paths such
    as `2026/12/<uuid>.jpg` (the photo) and `thumbs/320/2026/12/<uuid>.jpg` (its thumbnail); `put` of an existing key
    overwrites it; `get` of a key nothing was stored under raises FileNotFoundError."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...


class LocalPhotoStore:
    """A folder: keys are relative paths, written atomically (temp file, then rename)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"bad photo key {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(path.suffix + f".{uuid.uuid4().hex}.tmp")
        temp.write_bytes(data)
        temp.replace(path)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()


class S3PhotoStore:
    """An S3-compatible bucket (AWS, MinIO, Ceph...) through boto3, installed with the `s3` extra."""

    def __init__(
        self, bucket: str, prefix: str = "", endpoint_url: str | None = None, region: str | None = None
    ) -> None:
        import boto3  # optional dependency: only a city that keeps photos in a bucket needs it

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None  # the same as the local store: callers need not know boto
        return body


def store_from_setting(setting: str) -> PhotoStore:
    """`file:var/photos` (or a bare path) or `s3://bucket/prefix?endpoint=http://host:9000&region=us-east-1`."""
    if setting.startswith("s3://"):
        parts = urlsplit(setting)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return S3PhotoStore(parts.netloc, parts.path, endpoint_url=query.get("endpoint"), region=query.get("region"))
    return LocalPhotoStore(setting.removeprefix("file:"))


# ---- showing them ----------------------------------------------------------------------------------------------

THUMB_SIDE_PX = 320  # twice the 160 CSS pixels a thumbnail takes on a page, for sharp phone screens
THUMB_QUALITY = 80


def thumb_key(key: str) -> str:
    """Where a photo's thumbnail is kept: derived data, safe to delete (it is made again on the next view)."""
    return f"thumbs/{THUMB_SIDE_PX}/{key}"


def make_thumbnail(data: bytes, side: int = THUMB_SIDE_PX) -> bytes:
    """A small JPEG of a stored photo (already cleaned at upload: upright, no metadata). Blocking: run in a thread."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (side, side))  # a JPEG decodes at a fraction of its size: much less work
        small = image.convert("RGB")
    small.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=THUMB_QUALITY, optimize=True)
    return out.getvalue()


def thumbnail_of(store: PhotoStore, key: str) -> bytes:
    """The kept thumbnail, or one made now and kept. Two instances making it at once write the same bytes under the
    same key, so the race is harmless. Blocking: run in a thread."""
    try:
        return store.get(thumb_key(key))
    except FileNotFoundError:
        pass
    thumb = make_thumbnail(store.get(key))
    store.put(thumb_key(key), thumb, "image/jpeg")
    return thumb


async def image_bytes(store: PhotoStore, key: str, *, thumbnail: bool = False) -> bytes:
    """A stored photo or its thumbnail, read (and the thumbnail made) off the event loop."""
    if thumbnail:
        return await asyncio.to_thread(thumbnail_of, store, key)
    return await asyncio.to_thread(store.get, key)


# ---- the service ---------------------------------------------------------------------------------------------


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def storage_key(client_id: str, on: dt.datetime) -> str:
    return f"{on:%Y/%m}/{client_id}.jpg"


async def photo_by_client_id(session: AsyncSession, client_id: str) -> Photo | None:
    return await session.scalar(select(Photo).where(Photo.client_id == client_id))


async def save_photo(
    session: AsyncSession,
    store: PhotoStore,
    policy: Policy,
    actor: Actor,
    *,
    client_id: str,
    data: bytes,
    sha256: str,
    content_type: str | None = None,
    work_order_id: int | None = None,
    taken_at: dt.datetime | None = None,
    lat: float | None = None,
    lon: float | None = None,
    keep_location: bool = False,
) -> tuple[Photo, bool]:
    """Keep one photo; (photo, True) when stored now, (the stored one, False) when this id was already kept.

    Where it was taken is kept only with `keep_location` (a technician's work photo; a resident who ticked the box):
    otherwise the location is dropped here, and the stored image never carries EXIF at all.

    `sha256` is the client's checksum of the bytes it sent: a mismatch means the upload was damaged on the way. The
    row keeps that checksum (what the client confirms before deleting its copy); the store keeps the cleaned image.
    """
    try:
        client_id = str(uuid.UUID(client_id))
    except (ValueError, AttributeError):
        raise PhotoRejected(_("This photo has no valid id."), code="photo_id") from None
    sha256 = (sha256 or "").lower()
    if not SHA256.match(sha256):
        raise PhotoRejected(_("This photo has no valid checksum."), code="photo_checksum")
    existing = await photo_by_client_id(session, client_id)
    if existing is not None:
        if existing.sha256 != sha256:
            raise Conflict(_("A different photo was already sent under this id."), code="photo_id_reused")
        return existing, False
    if sha256_of(data) != sha256:
        raise PhotoRejected(_("The photo arrived damaged. It will be sent again."), code="photo_checksum")
    clean = await asyncio.to_thread(
        clean_image, policy, data, content_type
    )  # a decode is 100+ ms of CPU: not on the loop
    now = dt.datetime.now(dt.UTC)
    key = storage_key(client_id, now)
    # the same key on a retry: a second put overwrites, never adds
    await asyncio.to_thread(store.put, key, clean.data, clean.content_type)
    photo = Photo(
        work_order_id=work_order_id,
        client_id=client_id,
        sha256=sha256,
        content_type=clean.content_type,
        size_bytes=len(clean.data),
        width=clean.width,
        height=clean.height,
        taken_at=clean.taken_at or taken_at,
        lat=(clean.lat if clean.lat is not None else lat) if keep_location else None,
        lon=(clean.lon if clean.lon is not None else lon) if keep_location else None,
        storage_key=key,
        uploaded_by_id=actor.user_id,
    )
    try:
        async with session.begin_nested():  # a retry racing this one: the unique client id decides
            session.add(photo)
            await session.flush()
    except IntegrityError:
        existing = await photo_by_client_id(session, client_id)
        if existing is None:
            raise
        if existing.sha256 != sha256:
            raise Conflict(_("A different photo was already sent under this id."), code="photo_id_reused") from None
        return existing, False
    await record(
        session,
        actor,
        "photo.store",
        "photo",
        photo.id,
        after={"client_id": client_id, "sha256": sha256, "work_order_id": work_order_id, "bytes": len(clean.data)},
    )
    return photo, True
