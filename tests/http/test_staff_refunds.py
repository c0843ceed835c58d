"""Refunding a credit balance from the console: to the card on file or by check, with a reason and an audit row;
over the limit it waits for a supervisor who did not ask. A double submit refunds once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from portal.accounts import deposits, ledger
from portal.accounts.actor import Actor
from portal.accounts.models import (
    AccountStatus,
    AuditEvent,
    Customer,
    Deposit,
    DepositStatus,
    LedgerEntry,
    LedgerKind,
    PaymentRefund,
    RefundRequest,
    RefundStatus,
    Role,
)
from portal.payments import services
from portal.settings import Settings
from tests import factories
from tests.http.helpers import post_form, sign_in
from tests.stripe_harness import confirm_card, stripe_settings_for

JOB = Actor.job("test")
WEB = Actor(user_id=None, label="visitor", origin="web")


async def approve(client, path: str, data: dict | None = None):
    """Approve through the preview: the first post shows it, the confirm posts its fingerprint; (response, fingerprint)."""
    first = await post_form(client, path, data)
    if first.status_code != 303:
        return first, None
    preview = await client.get(first.headers["location"])
    assert preview.status_code == 200, preview.text
    found = re.search(r'name="fingerprint" value="([0-9a-f]+)"', preview.text)
    if found is None:  # the preview refuses (the four-eyes rule): nothing to confirm
        return preview, None
    return await post_form(client, path, {**(data or {}), "fingerprint": found[1]}), found[1]


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


async def _overpaid_by_card(session, payments_ctx, account, owed: int = 1_000, paid: int = 6_000) -> None:
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=owed,
        source_key=f"charge:{account.id}",
        effective_on=dt.date.today() - dt.timedelta(days=10),
    )
    await session.commit()
    payment = await services.start_payment(
        session,
        payments_ctx,
        WEB,
        account=account,
        amount_cents=paid,
        method="card",
        channel="signed_in",
        claim_key=f"web:{account.id}",
        receipt_email=None,
    )
    await session.commit()
    await confirm_card(payments_ctx, payment.intent_id)
    await services.sync_intent(session, payments_ctx, WEB, payment.intent_id)
    await session.commit()


async def _final_with_applied_deposit(session, account, cents: int = 30_000) -> Deposit:
    """A final account whose $300 deposit was applied to a zero balance: $300 of credit is left."""
    account.status = AccountStatus.FINAL
    customer = await session.get(Customer, account.customer_id)
    customer.mailing_address = "88 New Home Rd, Austin TX 78701"
    deposit = Deposit(
        account_id=account.id,
        required_cents=cents,
        rule="average_12m",
        reason="2x average",
        status=DepositStatus.APPLIED,
        paid_cents=cents,
    )
    session.add(deposit)
    await session.flush()
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.DEPOSIT_APPLIED,
        amount_cents=-cents,
        source_key=deposits.applied_key(deposit.id),
        effective_on=dt.date.today(),
    )
    await session.commit()
    return deposit


async def _count(session, model, *where) -> int:
    await session.commit()
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def test_a_credit_goes_back_to_the_card_once_with_a_reason_and_audit(
    client, session, payments_ctx, csr, resident
) -> None:
    await _overpaid_by_card(session, payments_ctx, resident.account)
    assert await ledger.balance(session, resident.account.id) == -5_000
    await sign_in(client, session, csr)
    account_page = await client.get(f"/staff/accounts/{resident.account.number}")
    assert f'href="/staff/accounts/{resident.account.number}/refund"' in account_page.text
    page = await client.get(f"/staff/accounts/{resident.account.number}/refund")
    assert page.status_code == 200 and "$50.00" in page.text and "$60.00" in page.text
    form = {"amount": "50.00", "method": "online", "reason": "Paid twice by mistake", "claim": "k1"}
    assert (await post_form(client, f"/staff/accounts/{resident.account.number}/refund", form)).status_code == 303
    assert (
        await post_form(client, f"/staff/accounts/{resident.account.number}/refund", form)
    ).status_code == 303  # twice
    assert await ledger.balance(session, resident.account.id) == 0
    assert await _count(session, PaymentRefund) == 1 and await _count(session, RefundRequest) == 1
    request = await session.scalar(select(RefundRequest))
    assert (request.status, request.kind, request.requested_by_id) == (RefundStatus.SENT, "credit", csr.id)
    refund_entry = await session.scalar(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.REFUND))
    assert refund_entry.amount_cents == 5_000 and refund_entry.source_key.startswith("re_")
    actions = set(await session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "refund_request")))
    assert actions == {"refund.request", "refund.send"}


async def test_a_refund_over_the_credit_or_the_card_payments_is_refused_and_changes_nothing(
    client, session, payments_ctx, csr, resident
) -> None:
    await _overpaid_by_card(session, payments_ctx, resident.account, owed=1_000, paid=3_000)
    await sign_in(client, session, csr)
    url = f"/staff/accounts/{resident.account.number}/refund"
    too_much = await post_form(client, url, {"amount": "25.00", "method": "check", "reason": "x", "claim": "k2"})
    assert too_much.status_code == 400 and 'href="#amount"' in too_much.text and "refund at most that" in too_much.text
    no_reason = await post_form(client, url, {"amount": "20.00", "method": "check", "reason": "", "claim": "k3"})
    assert no_reason.status_code == 400 and 'href="#reason"' in no_reason.text
    fraction = await post_form(client, url, {"amount": "20.005", "method": "check", "reason": "x", "claim": "k4"})
    assert fraction.status_code == 400 and "dollars and cents" in fraction.text
    assert await _count(session, RefundRequest) == 0 and await ledger.balance(session, resident.account.id) == -2_000


async def test_a_leftover_deposit_over_the_limit_waits_for_another_supervisor_then_goes_by_check(
    client, session, csr, supervisor, resident
) -> None:
    await _final_with_applied_deposit(session, resident.account)
    other = await factories.make_user(session, Role.SUPERVISOR, email="boss2@riverton.example", name="Ray Boss")
    await session.commit()
    await sign_in(client, session, supervisor)
    url = f"/staff/accounts/{resident.account.number}/refund"
    online = await post_form(
        client, url, {"amount": "300.00", "method": "online", "reason": "Deposit left over", "claim": "k5"}
    )
    assert online.status_code == 400 and 'href="#method"' in online.text and "send a check instead" in online.text
    asked = await post_form(
        client,
        url,
        {
            "amount": "300.00",
            "method": "check",
            "reason": "Deposit left over after the final bill",
            "check_number": "10442",
            "claim": "k6",
        },
    )
    assert asked.status_code == 303
    request = await session.scalar(select(RefundRequest))
    assert request.status == RefundStatus.PENDING_APPROVAL and request.kind == "deposit"
    assert request.mail_to == "88 New Home Rd, Austin TX 78701"
    assert await ledger.balance(session, resident.account.id) == -30_000
    queue = await client.get("/staff/approvals")
    assert (
        "Deposit left over after the final bill" in queue.text
        and f'action="/staff/refunds/{request.id}/approve"' in queue.text
    )
    own, fingerprint = await approve(client, f"/staff/refunds/{request.id}/approve")
    assert fingerprint is None and "Someone other than the person who asked" in own.text
    client.cookies.clear()
    await sign_in(client, session, csr)
    assert (await post_form(client, f"/staff/refunds/{request.id}/approve")).status_code == 403
    client.cookies.clear()
    await sign_in(client, session, other)
    preview = await client.get(f"/staff/approvals/refunds/{request.id}/approve")
    assert "This sends a refund of $300.00" in preview.text and "Money sent cannot be called back." in preview.text
    sent, fingerprint = await approve(
        client, f"/staff/refunds/{request.id}/approve", {"note": "Checked the final bill"}
    )
    assert sent.status_code == 303
    await session.refresh(request)
    assert (request.status, request.decided_by_id, request.decision_note) == (
        RefundStatus.SENT,
        other.id,
        "Checked the final bill",
    )
    entry = await session.scalar(
        select(LedgerEntry).where(LedgerEntry.source_key == f"refund-request:{request.id}:check")
    )
    assert (entry.kind, entry.amount_cents) == (LedgerKind.DEPOSIT_REFUNDED, 30_000) and "10442" in entry.memo
    assert await ledger.balance(session, resident.account.id) == 0
    again = await post_form(client, f"/staff/refunds/{request.id}/approve", {"fingerprint": fingerprint})
    assert again.status_code == 409


async def test_a_rejected_refund_moves_no_money(client, session, csr, supervisor, resident) -> None:
    await _final_with_applied_deposit(session, resident.account)
    await sign_in(client, session, csr)
    form = {"amount": "300.00", "method": "check", "reason": "Deposit left over", "claim": "k7"}
    assert (await post_form(client, f"/staff/accounts/{resident.account.number}/refund", form)).status_code == 303
    request = await session.scalar(select(RefundRequest))
    client.cookies.clear()
    await sign_in(client, session, supervisor)
    assert (
        await post_form(client, f"/staff/refunds/{request.id}/reject", {"note": "Collections owes first"})
    ).status_code == 303
    await session.refresh(request)
    assert request.status == RefundStatus.REJECTED
    assert await ledger.balance(session, resident.account.id) == -30_000


async def test_technicians_and_residents_cannot_refund(client, session, technician, resident) -> None:
    await _final_with_applied_deposit(session, resident.account)
    await sign_in(client, session, technician)
    url = f"/staff/accounts/{resident.account.number}/refund"
    assert (await client.get(url)).status_code == 403
    assert (
        await post_form(client, url, {"amount": "10.00", "method": "check", "reason": "x", "claim": "k8"})
    ).status_code == 403
    client.cookies.clear()
    await sign_in(client, session, resident.user)
    assert (await client.get(url)).status_code == 403
    assert await _count(session, RefundRequest) == 0
