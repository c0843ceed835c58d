"""Acting for a caller: the checks on a signed paper form (PPD) and a recorded call (TEL), the scan of a form, and the
actor that says a CSR acted for the customer."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from portal.accounts import documents
from portal.accounts.actor import Actor
from portal.accounts.models import Origin, Role
from portal.accounts.policy import Policy
from portal.payments import rules

TODAY = dt.date(2026, 12, 4)
NOW = dt.datetime(2026, 12, 4, 18, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def paper(**change):
    given = {"signer": "Ana Ruiz", "signed_on": TODAY, "version": "PPD-2026-12-ES", "numbers_covered": True}
    return rules.paper_form_problems(**{**given, **change}, today=TODAY)


def phone(**change):
    given = {"caller": "Ana Ruiz", "called_at": NOW - dt.timedelta(hours=2), "recording_ref": "R-1"}
    return rules.phone_call_problems(**{**given, **change}, now=NOW)


def test_a_good_paper_form_passes_and_each_fault_names_its_field() -> None:
    assert paper() == []
    assert paper(signed_on=TODAY - dt.timedelta(days=rules.FORM_MAX_AGE_DAYS)) == []
    cases = {
        "signer": paper(signer="   "),
        "signed_on": paper(signed_on=TODAY + dt.timedelta(days=1)),
        "version": paper(version="PPD-2019"),
        "numbers_covered": paper(numbers_covered=False),
    }
    for field, found in cases.items():
        assert [p.field for p in found] == [field]
    assert [p.field for p in paper(signed_on=TODAY - dt.timedelta(days=rules.FORM_MAX_AGE_DAYS + 1))] == ["signed_on"]
    assert [p.field for p in paper(signer="x" * (rules.NAME_MAX + 1))] == ["signer"]
    assert len(paper(signer="", numbers_covered=False, version="")) == 3


def test_a_phone_record_needs_a_caller_a_recent_call_and_a_recording() -> None:
    assert phone() == []
    assert phone(called_at=NOW + dt.timedelta(minutes=4)) == []  # clocks a little apart
    assert [p.field for p in phone(called_at=NOW + dt.timedelta(hours=1))] == ["called_at"]
    assert [p.field for p in phone(called_at=NOW - dt.timedelta(days=rules.CALL_MAX_AGE_DAYS, minutes=1))] == [
        "called_at"
    ]
    assert [p.field for p in phone(recording_ref=" ")] == ["recording_ref"]
    assert [p.field for p in phone(recording_ref="R\n1")] == ["recording_ref"]
    assert [p.field for p in phone(recording_ref="R" * (rules.RECORDING_REF_MAX + 1))] == ["recording_ref"]
    assert [p.field for p in phone(caller="")] == ["caller"]


def test_every_printed_form_is_in_a_language_we_speak() -> None:
    assert set(rules.PPD_FORMS.values()) == {"en", "es"}


def _png(size=(400, 500)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, "PNG")
    return out.getvalue()


def test_a_scan_is_a_whole_plain_pdf_or_a_real_image() -> None:
    policy = Policy()
    assert documents.checked_scan(policy, PDF, "application/pdf", 1_000_000) == documents.Scan(PDF, "application/pdf")
    assert documents.checked_scan(policy, PDF, "application/octet-stream", 1_000_000).content_type == "application/pdf"
    assert documents.checked_scan(policy, PDF, None, 1_000_000).content_type == "application/pdf"
    image = documents.checked_scan(policy, _png(), "image/png", 1_000_000)
    assert image.content_type == "image/jpeg" and image.data.startswith(b"\xff\xd8\xff")  # cleaned like a photo
    refused = {
        "scan_empty": (b"", "application/pdf"),
        "scan_too_large": (PDF + b"x" * 1_000_000, "application/pdf"),
        "scan_type": (b"GIF89a....", "image/gif"),
        "scan_incomplete": (PDF[:-7], "application/pdf"),
        "scan_active": (PDF.replace(b"/Catalog", b"/Catalog /Names << /EmbeddedFile 2 0 R >>"), "application/pdf"),
        "scan_image": (_png((20, 20)), "image/png"),
    }
    for code, (data, kind) in refused.items():
        with pytest.raises(documents.ScanRejected) as caught:
            documents.checked_scan(policy, data, kind, 1_000_000)
        assert caught.value.code == code and caught.value.field == "scan"
    with pytest.raises(documents.ScanRejected):  # says PDF, is a PNG
        documents.checked_scan(policy, _png(), "application/pdf", 1_000_000)


def test_a_csr_acting_for_the_customer_is_the_same_person_said_so() -> None:
    csr = Actor(user_id=7, label="jane@city.example", origin=Origin.WEB, role=Role.CSR, ip="10.0.0.5")
    phone_actor = csr.for_customer("phone")
    assert phone_actor.label == "jane@city.example for the customer, by phone"
    assert (phone_actor.user_id, phone_actor.role, phone_actor.ip) == (7, Role.CSR, "10.0.0.5")
    assert csr.for_customer("counter").label.endswith("for the customer, at the counter")
    with pytest.raises(KeyError):
        csr.for_customer("email")
