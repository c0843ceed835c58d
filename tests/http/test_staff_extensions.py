"""The extension review queue: requests the rule routed to a person, granted or denied by a CSR, each decided once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.accounts import extensions, ledger
from portal.accounts.actor import Actor
from portal.accounts.models import (
    AccountClass,
    AuditEvent,
    Bill,
    ExtensionStatus,
    LedgerKind,
    MailMessage,
    PaymentExtension,
)
from portal.accounts.policy import Policy
from portal.i18n import format_date
from tests import factories
from tests.http.helpers import local_today, post_form, sign_in

JOB = Actor.job("test")


async def _queued(session, last_name: str = "Okafor") -> PaymentExtension:
    """A business account's request: the rule is for homes only, so it waits for a CSR."""
    today = local_today()
    account = await factories.make_account(session, last_name=last_name, account_class=AccountClass.COMMERCIAL)
    due = today - dt.timedelta(days=10)
    bill = Bill(
        account_id=account.id,
        period_start=due - dt.timedelta(days=51),
        period_end=due - dt.timedelta(days=22),
        bill_date=due - dt.timedelta(days=21),
        due_date=due,
        total_cents=12_300,
        document={},
    )
    session.add(bill)
    await session.flush()
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=12_300,
        source_key=f"bill:{bill.id}",
        effective_on=bill.bill_date,
        bill_id=bill.id,
    )
    result = await extensions.request(
        session, JOB, Policy(), account, promised_on=today + dt.timedelta(days=7), today=today
    )
    assert result.extension.status == ExtensionStatus.PENDING_REVIEW
    await session.commit()
    return result.extension


async def test_the_queue_shows_each_request_with_why_it_needs_a_person(client, session, csr) -> None:
    ext = await _queued(session)
    await sign_in(client, session, csr)
    page = await client.get("/staff/extensions")
    assert page.status_code == 200
    assert "Okafor" in page.text and "$123.00" in page.text and ext.reason in page.text
    assert f'action="/staff/extensions/{ext.id}/approve"' in page.text
    assert 'href="/staff/extensions"' in (await client.get("/staff")).text
    account_page = await client.get(f"/staff/accounts/{(await _account_number(session, ext))}")
    assert f'href="/staff/extensions#ext-{ext.id}"' in account_page.text


async def _account_number(session, ext: PaymentExtension) -> str:
    from portal.accounts.models import Account

    return (await session.get(Account, ext.account_id)).number


async def test_a_csr_grants_a_request_and_it_holds_the_account_off_the_cutoff_list(client, session, csr) -> None:
    ext = await _queued(session)
    await sign_in(client, session, csr)
    response = await post_form(
        client, f"/staff/extensions/{ext.id}/approve", {"note": "Owner called: check in the mail"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff/extensions"
    await session.refresh(ext)
    assert (ext.status, ext.decided_by_id, ext.reason) == (
        ExtensionStatus.ACTIVE,
        csr.id,
        "Owner called: check in the mail",
    )
    assert await extensions.held_account_ids(session, [ext.account_id], local_today()) == {ext.account_id}
    assert await session.scalar(select(func.count()).where(AuditEvent.action == "extension.approve")) == 1
    assert "Nothing is waiting." in (await client.get("/staff/extensions")).text
    # The customer is told in writing: they asked days ago and are waiting for the answer.
    (told,) = (await session.scalars(select(MailMessage).where(MailMessage.subject.contains("extension")))).all()
    assert told.subject == "Your payment extension is granted"
    assert f"by {format_date(ext.promised_on)}" in told.text_body and "will not be cut off" in told.text_body


async def test_a_denied_request_is_closed_and_cannot_be_decided_again(client, session, csr) -> None:
    ext = await _queued(session)
    await sign_in(client, session, csr)
    assert (
        await post_form(client, f"/staff/extensions/{ext.id}/deny", {"note": "Third request this year"})
    ).status_code == 303
    await session.refresh(ext)
    assert ext.status == ExtensionStatus.DENIED and ext.closed_on == local_today()
    (told,) = (await session.scalars(select(MailMessage).where(MailMessage.subject.contains("more time")))).all()
    assert "could not grant more time" in told.text_body and "payment arrangement" in told.text_body
    again = await post_form(client, f"/staff/extensions/{ext.id}/approve")
    assert again.status_code == 400 and "already decided" in again.text
    await session.refresh(ext)
    assert ext.status == ExtensionStatus.DENIED


async def test_an_unknown_decision_or_request_changes_nothing(client, session, csr) -> None:
    ext = await _queued(session)
    await sign_in(client, session, csr)
    assert (await post_form(client, f"/staff/extensions/{ext.id}/maybe")).status_code == 404
    assert (await post_form(client, "/staff/extensions/999999/approve")).status_code == 404
    await session.refresh(ext)
    assert ext.status == ExtensionStatus.PENDING_REVIEW


async def test_technicians_and_residents_cannot_open_the_queue(client, session, technician, resident) -> None:
    ext = await _queued(session)
    await sign_in(client, session, technician)
    assert (await client.get("/staff/extensions")).status_code == 403
    assert (await post_form(client, f"/staff/extensions/{ext.id}/approve")).status_code == 403
    await client.get("/signout")
    client.cookies.clear()
    await sign_in(client, session, resident.user)
    assert (await client.get("/staff/extensions")).status_code == 403
    await session.refresh(ext)
    assert ext.status == ExtensionStatus.PENDING_REVIEW
