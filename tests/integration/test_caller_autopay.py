"""A bank draft given to a CSR, through the services: a signed paper form (the scan kept, the PPD wording of the
form's version and language), a recorded call (the TEL script, confirmed in writing once the bank is set up, once
however many times the setup is synced), refusals that write nothing, and a problem report filed for a caller."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.accounts import documents, extensions, numbers, photos, problems
from portal.accounts.actor import Actor
from portal.accounts.errors import DomainError
from portal.accounts.models import (
    AuditEvent,
    BankDraft,
    BankDraftStatus,
    Customer,
    MailMessage,
    Origin,
    Role,
    ServiceRequest,
)
from portal.accounts.policy import Policy
from portal.payments import autopay
from tests import factories
from tests.stripe_harness import confirm_bank_setup

CSR = Actor(user_id=None, label="jane@city.example", origin=Origin.WEB, role=Role.CSR, ip="10.0.0.5")
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
TODAY = dt.date(2026, 12, 4)


async def test_a_paper_form_keeps_its_scan_and_its_wording_in_the_forms_language(
    session, payments_ctx, tmp_path
) -> None:
    account = await factories.make_account(session)
    store = photos.LocalPhotoStore(tmp_path)
    draft, secret = await autopay.enrol_by_paper(
        session,
        payments_ctx,
        CSR.for_customer("counter"),
        store,
        account=account,
        signer=" Ana Ruiz ",
        signed_on=TODAY - dt.timedelta(days=3),
        version="PPD-2026-12-ES",
        numbers_covered=True,
        scan=documents.Scan(PDF, documents.PDF),
        ip="10.0.0.5",
        today=TODAY,
    )
    await session.commit()
    assert secret.startswith(draft.stripe_setup_intent_id)
    assert draft.channel == "paper" and draft.status == BankDraftStatus.PENDING
    assert (
        draft.authorization_text.startswith("Autorizo a")
        and numbers.display(account.number) in draft.authorization_text
    )
    record = draft.authorization_record
    assert record["signer"] == "Ana Ruiz" and record["signed_on"] == "2026-12-01" and record["language"] == "es"
    assert (
        store.get(record["scan"]["key"]) == PDF
        and record["scan"]["sha256"] == documents.hashlib.sha256(PDF).hexdigest()
    )
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "bank_draft.authorize"))
    assert event.actor_label == "jane@city.example for the customer, at the counter"
    assert event.after["channel"] == "paper" and event.after["record"]["wording_version"] == "PPD-2026-12-ES"
    await confirm_bank_setup(payments_ctx, draft.stripe_setup_intent_id)
    await autopay.sync_setup_intent(session, payments_ctx, CSR, draft.stripe_setup_intent_id)
    await session.commit()
    assert draft.status == BankDraftStatus.ACTIVE
    assert await session.scalar(select(func.count()).select_from(MailMessage)) == 0  # the signer has the words


async def test_a_refused_form_or_call_writes_nothing_and_calls_nobody(session, payments_ctx, tmp_path) -> None:
    account = await factories.make_account(session)
    with pytest.raises(DomainError) as caught:
        await autopay.enrol_by_paper(
            session,
            payments_ctx,
            CSR,
            photos.LocalPhotoStore(tmp_path),
            account=account,
            signer="Ana Ruiz",
            signed_on=TODAY,
            version="PPD-2026-12-EN",
            numbers_covered=False,
            scan=documents.Scan(PDF, documents.PDF),
            ip="10.0.0.5",
            today=TODAY,
        )
    assert caught.value.field == "numbers_covered"
    now = dt.datetime(2026, 12, 4, 18, 0, tzinfo=dt.UTC)
    with pytest.raises(DomainError) as caught:
        await autopay.enrol_by_phone(
            session,
            payments_ctx,
            CSR,
            account=account,
            caller="Ana Ruiz",
            called_at=now - dt.timedelta(days=10),
            recording_ref="R-1",
            language="en",
            ip="10.0.0.5",
            now=now,
        )
    assert caught.value.field == "called_at"
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(BankDraft)) == 0
    assert not (tmp_path / "forms").exists()


async def test_a_phone_authorization_is_confirmed_in_writing_once(session, payments_ctx) -> None:
    account = await factories.make_account(session)
    customer = await session.get(Customer, account.customer_id)
    now = dt.datetime.now(dt.UTC)
    draft, _secret = await autopay.enrol_by_phone(
        session,
        payments_ctx,
        CSR.for_customer("phone"),
        account=account,
        caller="María Lopez",
        called_at=now - dt.timedelta(minutes=20),
        recording_ref="REC-77",
        language="en",
        ip="10.0.0.5",
        now=now,
    )
    await session.commit()
    assert draft.authorization_text.startswith("You authorize") and "This call is recorded" in draft.authorization_text
    await confirm_bank_setup(payments_ctx, draft.stripe_setup_intent_id)
    for _ in range(3):  # the return page, the webhook, a retry
        await autopay.sync_setup_intent(session, payments_ctx, Actor.webhook(), draft.stripe_setup_intent_id)
        await session.commit()
    sent = list(await session.scalars(select(MailMessage)))
    assert [m.to_addr for m in sent] == [customer.email]
    assert draft.last4 in sent[0].text_body and "REC-77" not in sent[0].text_body
    assert draft.authorization_record["confirmation"]["channel"] == "email"
    assert await session.scalar(select(func.count()).where(AuditEvent.action == "bank_draft.confirm")) == 1


async def test_a_problem_filed_for_a_caller_is_the_residents_request(session) -> None:
    account = await factories.make_account(session)
    policy = Policy()
    request = await problems.report_problem(
        session,
        CSR.for_customer("phone"),
        policy,
        account,
        kind="leak",
        description="Water running by the curb",
        phone="254-555-0101",
        today=TODAY,
    )
    await session.commit()
    assert await session.get(ServiceRequest, request.id) is not None and request.customer_id == account.customer_id
    labels = set(await session.scalars(select(AuditEvent.actor_label).where(AuditEvent.account_id == account.id)))
    assert labels == {"jane@city.example for the customer, by phone"}
    standing = await extensions.standing(session, policy, account, TODAY)
    assert standing["verdict"].refused and standing["history"] == []  # nothing past due: nothing to extend
