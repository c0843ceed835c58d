"""Photo checks: type, size, a real image, dimension limits; EXIF time and GPS kept as fields, all else stripped."""

import datetime as dt
import io

import pytest
from PIL import Image

from portal.accounts.photos import LocalPhotoStore, PhotoRejected, clean_image, store_from_setting
from portal.accounts.policy import Policy

POLICY = Policy()


def jpeg(
    width: int = 800,
    height: int = 600,
    *,
    gps: bool = False,
    when: str | None = None,
    orientation: int | None = None,
    fmt: str = "JPEG",
) -> bytes:
    image = Image.new("RGB", (width, height), (200, 40, 40))
    image.paste((20, 40, 200), (0, 0, width // 2, height))  # left half blue: tells an upright image from a turned one
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "Camera 1.0"  # Software
    if orientation:
        exif[0x0112] = orientation
    if when:
        exif.get_ifd(0x8769)[0x9003] = when  # DateTimeOriginal
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (31.0, 5.0, 24.0), 3: "W", 4: (97.0, 21.0, 36.0)})
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def test_exif_time_and_location_become_fields_and_everything_else_is_stripped() -> None:
    clean = clean_image(POLICY, jpeg(gps=True, when="2026:11:26 10:50:00"), "image/jpeg")
    assert clean.taken_at == dt.datetime(2026, 11, 26, 10, 50, tzinfo=dt.UTC)
    assert clean.lat == pytest.approx(31.09) and clean.lon == pytest.approx(-97.36)
    with Image.open(io.BytesIO(clean.data)) as stored:
        assert stored.format == "JPEG"
        assert len(stored.getexif()) == 0 and "exif" not in stored.info and "icc_profile" not in stored.info
    assert b"PhoneMaker" not in clean.data and b"Camera 1.0" not in clean.data


def test_a_photo_is_turned_upright_and_kept_at_most_the_stored_size() -> None:
    clean = clean_image(POLICY, jpeg(4000, 3000, orientation=6))  # orientation 6: rotate 90 degrees
    assert (clean.width, clean.height) == (1200, 1600)


def test_png_and_webp_are_accepted_and_kept_as_jpeg() -> None:
    assert clean_image(POLICY, jpeg(fmt="PNG"), "image/png").content_type == "image/jpeg"
    assert clean_image(POLICY, jpeg(fmt="WEBP"), "image/webp").width == 800


@pytest.mark.parametrize(
    ("data", "declared", "code"),
    [
        (b"", "image/jpeg", "photo_empty"),
        (b"%PDF-1.4 not a photo", "image/jpeg", "photo_unreadable"),
        (jpeg()[:500], "image/jpeg", "photo_unreadable"),
        (jpeg(), "application/pdf", "photo_type"),
        (jpeg(40, 40), "image/jpeg", "photo_dimensions"),
    ],
)
def test_what_is_not_a_usable_photo_is_refused(data: bytes, declared: str, code: str) -> None:
    with pytest.raises(PhotoRejected) as caught:
        clean_image(POLICY, data, declared)
    assert caught.value.code == code


def test_a_gif_is_refused_even_when_it_says_it_is_a_jpeg() -> None:
    out = io.BytesIO()
    Image.new("RGB", (100, 100)).save(out, "GIF")
    with pytest.raises(PhotoRejected) as caught:
        clean_image(POLICY, out.getvalue(), "image/jpeg")
    assert caught.value.code == "photo_type"


def test_size_and_dimension_limits_come_from_the_policy() -> None:
    with pytest.raises(PhotoRejected) as caught:
        clean_image(Policy(photo_max_bytes=1000), jpeg())
    assert caught.value.code == "photo_too_large"
    with pytest.raises(PhotoRejected) as caught:
        clean_image(Policy(photo_max_side_px=700), jpeg(800, 600))
    assert caught.value.code == "photo_dimensions"


def test_the_local_store_keeps_bytes_under_its_folder_only(tmp_path) -> None:
    store = store_from_setting(f"file:{tmp_path}")
    assert isinstance(store, LocalPhotoStore)
    store.put("2026/11/a.jpg", b"abc", "image/jpeg")
    assert store.get("2026/11/a.jpg") == b"abc" and (tmp_path / "2026/11/a.jpg").read_bytes() == b"abc"
    with pytest.raises(ValueError):
        store.put("../escape.jpg", b"x", "image/jpeg")


def test_the_s3_store_puts_and_gets_through_boto3() -> None:
    moto = pytest.importorskip("moto")
    import boto3

    with moto.mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="photos")
        store = store_from_setting("s3://photos/field?region=us-east-1")
        store.put("2026/11/b.jpg", b"bytes", "image/jpeg")
        assert store.get("2026/11/b.jpg") == b"bytes"
        listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket="photos")["Contents"]
        assert [o["Key"] for o in listed] == ["field/2026/11/b.jpg"]


def _noisy_jpeg(progressive: bool = False) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((640, 480), 50).convert("RGB").save(out, "JPEG", quality=90, progressive=progressive)
    return out.getvalue()


def test_a_cut_off_jpeg_is_refused_even_when_another_library_turned_truncated_loading_on() -> None:
    from PIL import ImageFile

    whole = _noisy_jpeg()
    ImageFile.LOAD_TRUNCATED_IMAGES = True  # what importing weasyprint does to the whole process
    try:
        with pytest.raises(PhotoRejected) as caught:
            clean_image(POLICY, whole[: len(whole) // 2], "image/jpeg")
        assert caught.value.code == "photo_incomplete" and "Only part of this photo arrived" in caught.value.message
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False


def test_a_cut_off_jpeg_closed_with_an_end_marker_is_refused() -> None:
    whole = _noisy_jpeg()
    for fraction in (0.3, 0.6, 0.95):
        with pytest.raises(PhotoRejected) as caught:
            clean_image(POLICY, whole[: int(len(whole) * fraction)] + b"\xff\xd9", "image/jpeg")
        assert caught.value.code == "photo_incomplete"


def test_a_photo_that_is_all_the_decoders_grey_is_accepted() -> None:
    """A flat grey picture (a grey wall, a test card) was refused as "only part of this photo arrived": its corner is
    the fill's exact grey, but so is all of it, so nothing says a part is missing."""
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (128, 128, 128)).save(out, "JPEG", quality=90)
    assert clean_image(POLICY, out.getvalue(), "image/jpeg").width == 640


def test_a_whole_photo_with_a_grey_corner_is_still_accepted() -> None:
    image = Image.effect_noise((640, 480), 50).convert("RGB")
    image.paste((120, 120, 120), (600, 440, 640, 480))  # a grey patch, but not the decoder's exact fill
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    assert clean_image(POLICY, out.getvalue(), "image/jpeg").width == 640
