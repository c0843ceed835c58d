"""Acting for a caller or a walk-in: a bank draft from a signed paper form (the scan checked and kept, the PPD wording
by the form's version) or a recorded call (the TEL script in the customer's language, the written confirmation
queued once the bank is set up), and an extension or a problem report through the resident's services, each audit
row saying the CSR acted for the customer. Roles, CSRF, bad input and upload checks."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.accounts import numbers, photos
from portal.accounts.models import (
    AuditEvent,
    BankDraft,
    BankDraftStatus,
    Customer,
    MailMessage,
    PaymentExtension,
    ServiceRequest,
    WorkOrder,
)
from portal.settings import Settings
from tests import factories
from tests.http.helpers import local_today, post_form, sign_in
from tests.stripe_harness import confirm_bank_setup, stripe_settings_for

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TZ = ZoneInfo("America/Chicago")


@pytest.fixture
def settings(database_url: str, stripe_clean: str) -> Settings:
    base = Settings(
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdef0123456789",
        public_url="http://portal.test",
        demo=False,
        utility_name="City of Riverton Utilities",
    )
    return stripe_settings_for(base, stripe_clean)


@pytest.fixture
def store(app, tmp_path):
    app.state.photo_store = photos.LocalPhotoStore(tmp_path)
    return tmp_path


def scan_jpeg() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((850, 1100), 40).convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


async def send_paper(client, number: str, scan: bytes | None, content_type: str = "application/pdf", **extra: str):
    data = {
        "signer": "María Lopez",
        "signed_on": local_today().isoformat(),
        "version": "PPD-2026-12-EN",
        "numbers_covered": "y",
        "_csrf_token": client.cookies["csrftoken"],
        **extra,
    }
    files = {"scan": ("form.pdf", scan, content_type)} if scan is not None else None
    return await client.post(
        f"/staff/accounts/{number}/bank-draft/paper", data=data, files=files, follow_redirects=False
    )


def call_time(hours_ago: float = 0.5) -> str:
    return (dt.datetime.now(TZ) - dt.timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M")


PHONE = {"caller": "María Lopez", "recording_ref": "REC-2026-000123", "read_aloud": "y"}


async def _labels(session, action: str) -> list[str]:
    return list(await session.scalars(select(AuditEvent.actor_label).where(AuditEvent.action == action)))


async def test_the_caller_screens_are_for_staff_only(client, session, resident, technician, csr) -> None:
    number = resident.account.number
    pages = [f"/staff/accounts/{number}/bank-draft/", f"/staff/accounts/{number}/for-customer/"]
    for page in pages:
        response = await client.get(page, follow_redirects=False)
        assert response.status_code in (302, 303) and "/signin" in response.headers["location"]
    await sign_in(client, session, resident.user)
    for page in pages:
        assert (await client.get(page)).status_code == 403
    assert (await post_form(client, f"/staff/accounts/{number}/bank-draft/phone", PHONE)).status_code == 403
    client.cookies.clear()
    await sign_in(client, session, technician)
    assert (await client.get(pages[1])).status_code == 403
    client.cookies.clear()
    await sign_in(client, session, csr)
    for page in pages:
        assert (await client.get(page)).status_code == 200
    assert (await client.get("/staff/accounts/123456789/bank-draft/")).status_code == 404
    account_page = await client.get(f"/staff/accounts/{number}/")
    assert f"/staff/accounts/{number}/bank-draft" in account_page.text
    assert f"/staff/accounts/{number}/for-customer" in account_page.text
    # every form needs its CSRF token
    refused = await client.post(f"/staff/accounts/{number}/bank-draft/phone", data=PHONE, follow_redirects=False)
    assert refused.status_code == 403


async def test_a_signed_paper_form_is_kept_and_the_bank_goes_to_stripe(
    client, session, resident, csr, store, payments_ctx
) -> None:
    await sign_in(client, session, csr)
    number = resident.account.number
    page = await client.get(f"/staff/accounts/{number}/bank-draft/")
    assert "PPD-2026-12-EN" in page.text and "named on this form" in page.text
    response = await send_paper(client, number, PDF)
    assert response.status_code == 303, response.text[:800]
    await session.commit()
    draft = await session.scalar(select(BankDraft))
    assert draft.status == BankDraftStatus.PENDING and draft.channel == "paper" and draft.taken_by_id == csr.id
    record = draft.authorization_record
    assert record["signer"] == "María Lopez" and record["wording_version"] == "PPD-2026-12-EN"
    assert record["scan"]["content_type"] == "application/pdf" and (store / record["scan"]["key"]).read_bytes() == PDF
    assert "named on this form" in draft.authorization_text and numbers.display(number) in draft.authorization_text
    assert await _labels(session, "bank_draft.authorize") == ["csr@riverton.example for the customer, at the counter"]
    bank = await client.get(response.headers["location"])
    assert bank.status_code == 200 and "/js.stripe.com/v3/" in bank.text and "bank-routing" in bank.text
    assert 'class="staff"' in bank.text or "staff" in bank.text.split("<body", 1)[1].split(">", 1)[0]
    scan = await client.get(f"/staff/accounts/{number}/bank-draft/{draft.id}/form")
    assert scan.status_code == 200 and scan.content == PDF
    assert scan.headers["content-disposition"].startswith("attachment") and scan.headers["cache-control"] == "no-store"
    await confirm_bank_setup(payments_ctx, draft.stripe_setup_intent_id)
    done = await client.get(f"/staff/accounts/{number}/bank-draft/{draft.id}/return")
    assert "Automatic bank draft is on for this account." in done.text
    await session.refresh(draft)
    assert draft.status == BankDraftStatus.ACTIVE and draft.last4
    account_page = await client.get(f"/staff/accounts/{number}/")
    assert "signed paper form" in account_page.text and draft.last4 in account_page.text
    # paper needs no written confirmation: the customer signed the words
    assert (
        await session.scalar(
            select(func.count()).select_from(MailMessage).where(MailMessage.subject.like("%authorization%"))
        )
        == 0
    )
    # the resident sees the enrolment on their own page, and the CSR cancels at their word
    cancel = await post_form(client, f"/staff/accounts/{number}/bank-draft/cancel", {"channel": "phone"})
    assert cancel.status_code == 303
    await session.refresh(draft)
    assert draft.status == BankDraftStatus.CANCELLED
    assert await _labels(session, "bank_draft.cancelled") == ["csr@riverton.example for the customer, by phone"]
    page = (await client.get(cancel.headers["location"])).text
    assert "the customer is emailed a confirmation" in page  # the CSR knows the customer has it in writing


async def test_the_form_to_sign_is_printed_in_its_language(client, session, resident, csr) -> None:
    await sign_in(client, session, csr)
    number = resident.account.number
    page = await client.get(f"/staff/accounts/{number}/bank-draft/")
    assert f"/staff/accounts/{number}/bank-draft/print/PPD-2026-12-ES" in page.text
    printed = await client.get(f"/staff/accounts/{number}/bank-draft/print/PPD-2026-12-ES")
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF-")
    assert printed.headers["content-type"] == "application/pdf"
    assert (await client.get(f"/staff/accounts/{number}/bank-draft/print/PPD-1999")).status_code == 404


async def test_the_scan_of_another_account_is_not_found(client, session, resident, other_resident, csr, store) -> None:
    await sign_in(client, session, csr)
    assert (await send_paper(client, resident.account.number, PDF)).status_code == 303
    await session.commit()
    draft = await session.scalar(select(BankDraft))
    other = await client.get(f"/staff/accounts/{other_resident.account.number}/bank-draft/{draft.id}/form")
    assert other.status_code == 404
    assert (await client.get(f"/staff/accounts/{resident.account.number}/bank-draft/999999/bank")).status_code == 404


@pytest.mark.parametrize(
    ("scan", "content_type", "extra", "message"),
    [
        (None, "application/pdf", {}, "Attach the scan of the signed form."),
        (b"just some text", "application/pdf", {}, "Send the scan as a PDF, JPEG or PNG file."),
        (PDF, "image/png", {}, "Send the scan as a PDF, JPEG or PNG file."),
        (PDF[:-8], "application/pdf", {}, "Only part of the PDF arrived."),
        (PDF.replace(b"/Catalog", b"/Catalog /OpenAction << /S /JavaScript >>"), "application/pdf", {}, "scripts"),
        (b"%PDF-1.4\n" + b"0" * 10_000_001 + b"\n%%EOF\n", "application/pdf", {}, "too large"),
        (b"\xff\xd8\xff\xe0broken", "image/jpeg", {}, "not a photo we can read"),
        (PDF, "application/pdf", {"numbers_covered": ""}, "Cover the routing and account numbers"),
        (PDF, "application/pdf", {"version": "PPD-1999-EN"}, "Not a valid choice"),
        (PDF, "application/pdf", {"signed_on": (local_today() + dt.timedelta(days=1)).isoformat()}, "after today"),
        (PDF, "application/pdf", {"signed_on": "2999-01-01"}, "Enter a date between 1900 and 2100."),
        (PDF, "application/pdf", {"signed_on": "2020-01-01"}, "ask the customer to sign a new one"),
        (PDF, "application/pdf", {"signed_on": "next week"}, "Not a valid date value"),
        (PDF, "application/pdf", {"signer": ""}, "Enter the name as the customer signed it."),
        (PDF, "application/pdf", {"signer": "x" * 121}, "121"),
    ],
)
async def test_a_bad_paper_form_is_refused_with_its_reason_and_nothing_kept(
    client, session, resident, csr, store, scan, content_type, extra, message
) -> None:
    await sign_in(client, session, csr)
    response = await send_paper(client, resident.account.number, scan, content_type, **extra)
    assert response.status_code in (400, 413), response.text[:300]
    if response.status_code == 400:
        assert message in response.text or (message == "121" and "120" in response.text), response.text[-3000:]
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(BankDraft)) == 0
    assert not list(store.rglob("*.pdf"))


async def test_a_scanned_jpeg_is_cleaned_and_kept(client, session, resident, csr, store) -> None:
    await sign_in(client, session, csr)
    response = await send_paper(client, resident.account.number, scan_jpeg(), "image/jpeg")
    assert response.status_code == 303, response.text[-2000:]
    await session.commit()
    draft = await session.scalar(select(BankDraft))
    assert draft.authorization_record["scan"]["content_type"] == "image/jpeg"
    shown = await client.get(f"/staff/accounts/{resident.account.number}/bank-draft/{draft.id}/form")
    assert shown.status_code == 200 and shown.headers["content-disposition"].startswith("inline")


async def test_a_phone_authorization_reads_in_spanish_and_is_confirmed_in_writing(
    client, session, resident, csr, payments_ctx
) -> None:
    customer = await session.get(Customer, resident.account.customer_id)
    customer.language = "es"
    await session.commit()
    await sign_in(client, session, csr)
    number = resident.account.number
    page = await client.get(f"/staff/accounts/{number}/bank-draft/")
    assert "Usted autoriza a City of Riverton Utilities" in page.text and "The same in English" in page.text
    response = await post_form(
        client, f"/staff/accounts/{number}/bank-draft/phone", {**PHONE, "called_at": call_time()}
    )
    assert response.status_code == 303, response.text[-2000:]
    await session.commit()
    draft = await session.scalar(select(BankDraft))
    assert draft.channel == "phone" and draft.authorization_text.startswith("Usted autoriza")
    record = draft.authorization_record
    assert record["recording_ref"] == "REC-2026-000123" and record["wording_version"] == "TEL-2026-12"
    assert record["language"] == "es" and record["caller"] == "María Lopez"
    assert await _labels(session, "bank_draft.authorize") == ["csr@riverton.example for the customer, by phone"]
    await confirm_bank_setup(payments_ctx, draft.stripe_setup_intent_id)
    await client.get(f"/staff/accounts/{number}/bank-draft/{draft.id}/return")
    await client.get(f"/staff/accounts/{number}/bank-draft/{draft.id}/return")  # a second return sends nothing more
    await session.commit()
    await session.refresh(draft)
    assert draft.status == BankDraftStatus.ACTIVE and draft.authorization_record["confirmation"]["channel"] == "email"
    sent = list(await session.scalars(select(MailMessage).where(MailMessage.to_addr == customer.email)))
    assert len(sent) == 1 and sent[0].subject == "Su autorización de débito bancario automático"
    assert draft.last4 in sent[0].text_body and draft.authorization_text in sent[0].text_body


async def test_a_phone_authorization_without_email_is_confirmed_by_letter(
    client, session, resident, csr, payments_ctx
) -> None:
    customer = await session.get(Customer, resident.account.customer_id)
    customer.email = None
    await session.commit()
    await sign_in(client, session, csr)
    number = resident.account.number
    response = await post_form(
        client, f"/staff/accounts/{number}/bank-draft/phone", {**PHONE, "called_at": call_time()}
    )
    assert response.status_code == 303
    await session.commit()
    draft = await session.scalar(select(BankDraft))
    await confirm_bank_setup(payments_ctx, draft.stripe_setup_intent_id)
    await client.get(f"/staff/accounts/{number}/bank-draft/{draft.id}/return")
    await session.commit()
    letter = await session.scalar(select(MailMessage).where(MailMessage.channel == "letter"))
    assert letter is not None and letter.account_id == resident.account.id and "Oak St" in letter.to_addr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"read_aloud": ""}, "Read the authorization to the caller"),
        ({"called_at": call_time(24 * 5)}, "Record the call within 3 days"),
        ({"called_at": call_time(-5)}, "cannot be later than now"),
        ({"called_at": "9999-12-31T23:59"}, "Enter the date and time of the call."),
        ({"called_at": "yesterday"}, "Not a valid datetime value"),
        ({"recording_ref": ""}, "Enter the call recording&#39;s reference."),
        ({"recording_ref": "REC\x07"}, "letters, digits and dashes"),
        ({"caller": "  "}, "Enter the caller&#39;s name."),
    ],
)
async def test_a_bad_phone_record_is_refused(client, session, resident, csr, extra, message) -> None:
    await sign_in(client, session, csr)
    data = {**PHONE, "called_at": call_time(), **extra}
    response = await post_form(client, f"/staff/accounts/{resident.account.number}/bank-draft/phone", data)
    assert response.status_code == 400 and message in response.text, response.text[-3000:]
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(BankDraft)) == 0


async def test_cancel_needs_how_the_customer_asked(client, session, resident, csr) -> None:
    await sign_in(client, session, csr)
    response = await post_form(client, f"/staff/accounts/{resident.account.number}/bank-draft/cancel", {"channel": "x"})
    assert response.status_code == 400 and "Say how the customer asked." in response.text
    assert "Automatic bank draft is cancelled" not in response.text


async def _past_due(session, account) -> None:
    await factories.make_past_due_bill(session, account, cents=8_400, due_on=local_today() - dt.timedelta(days=10))
    await session.commit()


async def test_an_extension_for_a_caller_goes_through_the_residents_rule(client, session, resident, csr) -> None:
    await _past_due(session, resident.account)
    await sign_in(client, session, csr)
    number = resident.account.number
    page = await client.get(f"/staff/accounts/{number}/for-customer/")
    assert page.status_code == 200 and "$84.00" in page.text
    # In the clerk's words: the resident's "I will pay", "Tell us more" and "my report" were on this page.
    assert "The customer will pay the past-due amount by" in page.text and "What the customer describes" in page.text
    assert "I will pay" not in page.text and "Tell us more" not in page.text and "with my report" not in page.text
    promised = (local_today() + dt.timedelta(days=5)).isoformat()
    no_channel = await post_form(client, f"/staff/accounts/{number}/for-customer/extension", {"promised_on": promised})
    assert no_channel.status_code == 400 and "Say how the customer asked." in no_channel.text
    past = await post_form(
        client, f"/staff/accounts/{number}/for-customer/extension", {"promised_on": "2001-01-01", "channel": "phone"}
    )
    assert past.status_code == 400
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(PaymentExtension)) == 0
    done = await post_form(
        client, f"/staff/accounts/{number}/for-customer/extension", {"promised_on": promised, "channel": "phone"}
    )
    assert done.status_code == 303
    await session.commit()
    extension = await session.scalar(select(PaymentExtension))
    assert extension.amount_cents == 8_400 and extension.promised_on.isoformat() == promised
    labels = list(await session.scalars(select(AuditEvent.actor_label).where(AuditEvent.action.like("extension.%"))))
    assert labels == ["csr@riverton.example for the customer, by phone"]
    # the resident's own page shows it, as if they had asked
    client.cookies.clear()
    await sign_in(client, session, resident.user)
    assert 'data-extension="' in (await client.get("/my/extension")).text


async def test_a_problem_reported_at_the_counter_makes_the_residents_request(
    client, session, resident, csr, store
) -> None:
    await sign_in(client, session, csr)
    number = resident.account.number
    url = f"/staff/accounts/{number}/for-customer/problem"
    token = client.cookies["csrftoken"]
    bad = await client.post(
        url,
        data={"kind": "flood", "description": "x", "channel": "counter", "_csrf_token": token},
        follow_redirects=False,
    )
    assert bad.status_code == 400 and "Not a valid choice" in bad.text
    broken = await client.post(
        url,
        data={"kind": "leak", "description": "Water by the meter", "channel": "counter", "_csrf_token": token},
        files={"photo": ("leak.jpg", b"\xff\xd8\xffnot really", "image/jpeg")},
        follow_redirects=False,
    )
    assert broken.status_code == 400 and "not a photo we can read" in broken.text
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(ServiceRequest)) == 0
    response = await client.post(
        url,
        data={"kind": "no_water", "description": "Nothing from the taps", "channel": "counter", "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    await session.commit()
    request = await session.scalar(select(ServiceRequest))
    order = await session.get(WorkOrder, request.problem_order_id)
    assert request.requested_by_id == csr.id and request.from_account_id == resident.account.id
    # The account's orders say what was reported: the Note column was empty until the field wrote one.
    orders = (await client.get(f"/staff/accounts/{number}")).text.split('id="orders"', 1)[1]
    assert "Nothing from the taps" in orders.split("</table>", 1)[0]
    assert order.due_on == local_today() and "Nothing from the taps" in order.instructions
    assert await _labels(session, "request.problem") == ["csr@riverton.example for the customer, at the counter"]
    client.cookies.clear()
    await sign_in(client, session, resident.user)
    assert "Nothing from the taps" in (await client.get("/my/requests")).text
