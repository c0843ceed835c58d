"""Scanned papers a customer signed (a bank draft authorization form): checked to be a PDF, JPEG or PNG within a size,
then kept in the photo store under `forms/`. A PDF is kept as it came (the signed record), once it is whole and
carries no script, launch action or attached file; a JPEG or PNG goes through the photo checks and is kept cleaned
(metadata stripped, no larger than the stored size), like every photo. Every store call runs in a worker thread."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

from portal.i18n import gettext as _

from . import photos
from .errors import DomainError
from .policy import Policy

PDF = "application/pdf"
_KINDS = {PDF: "pdf", "image/jpeg": "jpg", "image/png": "png"}
# What a PDF may not carry: it is a picture of a signed page, nothing that runs or unpacks.
_PDF_REFUSED = (b"/JavaScript", b"/Launch", b"/EmbeddedFile", b"/RichMedia")


class ScanRejected(DomainError):
    status_code = 422


@dataclass(frozen=True)
class Scan:
    data: bytes
    content_type: str


@dataclass(frozen=True)
class KeptScan:
    key: str
    sha256: str
    content_type: str
    size_bytes: int

    def as_record(self) -> dict[str, object]:
        return {"key": self.key, "sha256": self.sha256, "content_type": self.content_type, "bytes": self.size_bytes}


def _sniffed(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def checked_scan(policy: Policy, data: bytes, declared_type: str | None, max_bytes: int) -> Scan:
    """The scan to keep, or ScanRejected saying why not (empty, too large, not a PDF, JPEG or PNG, a type that is
    not what the file is, a PDF cut short or with active content, an image the photo checks refuse)."""
    if not data:
        raise ScanRejected(_("Attach the scan of the signed form."), code="scan_empty", field="scan")
    if len(data) > max_bytes:
        raise ScanRejected(
            _("The scan is too large (at most %(mb)s MB).", mb=max_bytes // 1_000_000),
            code="scan_too_large",
            field="scan",
        )
    kind = _sniffed(data)
    declared = (declared_type or "").split(";")[0].strip().lower()
    if kind is None or (declared and declared != "application/octet-stream" and declared != kind):
        raise ScanRejected(_("Send the scan as a PDF, JPEG or PNG file."), code="scan_type", field="scan")
    if kind == PDF:
        if b"%%EOF" not in data[-2048:]:
            raise ScanRejected(_("Only part of the PDF arrived. Send it again."), code="scan_incomplete", field="scan")
        if any(marker in data for marker in _PDF_REFUSED):
            raise ScanRejected(
                _("This PDF carries scripts or attached files. Scan the paper form again as a plain PDF or a picture."),
                code="scan_active",
                field="scan",
            )
        return Scan(data, PDF)
    try:
        clean = photos.clean_image(policy, data, kind)
    except photos.PhotoRejected as exc:
        raise ScanRejected(exc.message, code="scan_image", field="scan") from None
    return Scan(clean.data, clean.content_type)


async def keep_scan(store: photos.PhotoStore, scan: Scan, on: dt.datetime) -> KeptScan:
    """Put the scan in the store under a new key (a retried form makes a new record: nothing is overwritten)."""
    key = f"forms/{on:%Y/%m}/{uuid.uuid4()}.{_KINDS[scan.content_type]}"
    await asyncio.to_thread(store.put, key, scan.data, scan.content_type)
    return KeptScan(key, hashlib.sha256(scan.data).hexdigest(), scan.content_type, len(scan.data))


async def scan_bytes(store: photos.PhotoStore, key: str) -> bytes:
    return await asyncio.to_thread(store.get, key)
