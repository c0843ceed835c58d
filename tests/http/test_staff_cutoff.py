"""The cut-off list page, notices, courtesy calls, bulk disconnect orders, the day-of recheck, and the CLI."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

from sqlalchemy import func, select

from portal.accounts import cases, ledger, numbers
from portal.accounts.actor import Actor
from portal.accounts.models import (
    Bill,
    CollectionContact,
    ContactKind,
    Customer,
    LedgerKind,
    MailMessage,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import Policy
from tests import factories
from tests.http.helpers import post_form, sign_in

DAY = dt.date(2026, 12, 8)  # a Tuesday, not near a holiday
JOB = Actor.job("test")


async def confirmed(client, path: str, query: str = "") -> tuple[str, object]:
    """Preview a bulk action (a first post redirects to it), then confirm it: (the preview's text, the response)."""
    first = await post_form(client, path, {"day": DAY.isoformat()})
    assert first.status_code == 303, first.text
    preview = await client.get(first.headers["location"])
    assert preview.status_code == 200, preview.text
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', preview.text)
    assert fingerprint is not None, preview.text
    done = await post_form(client, path, {"day": DAY.isoformat(), "fingerprint": fingerprint[1]})
    assert done.status_code == 303, done.text
    return preview.text, done


async def _delinquent(session, last_name: str, *, notice: bool = True, call: bool = True, cents: int = 12_000):
    account = await factories.make_account(session, last_name=last_name)
    due = DAY - dt.timedelta(days=45)
    bill = Bill(
        account_id=account.id,
        period_start=due - dt.timedelta(days=50),
        period_end=due - dt.timedelta(days=21),
        bill_date=due - dt.timedelta(days=21),
        due_date=due,
        usage=5000,
        total_cents=cents,
        document={},
    )
    session.add(bill)
    await session.flush()
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=cents,
        source_key=f"bill:{bill.id}",
        effective_on=bill.bill_date,
        bill_id=bill.id,
    )
    start = dt.datetime.combine(DAY, dt.time(13, 30), dt.UTC)
    if notice:
        session.add(
            CollectionContact(
                account_id=account.id,
                kind=ContactKind.CUTOFF_NOTICE,
                contacted_at=start - dt.timedelta(days=12),
                outcome="emailed",
            )
        )
    if call:
        session.add(
            CollectionContact(
                account_id=account.id,
                kind=ContactKind.COURTESY_CALL,
                contacted_at=start - dt.timedelta(days=2),
                outcome="voicemail",
            )
        )
    await session.flush()
    return account


async def test_the_list_shows_who_qualifies_and_why_others_do_not(client, session, csr) -> None:
    due = await _delinquent(session, "Cutright")
    medical = await _delinquent(session, "Medina")
    customer = await session.get(Customer, medical.customer_id)
    customer.medical_alert_until = DAY + dt.timedelta(days=20)
    await _delinquent(session, "Newman", notice=False)
    await session.commit()
    await sign_in(client, session, csr)
    page = await client.get(f"/staff/cutoff?day={DAY.isoformat()}")
    assert page.status_code == 200
    eligible = page.text.split('id="eligible-title"')[1].split('id="calls"')[0]
    assert due.number in eligible and medical.number not in eligible
    assert (
        "Medical certification on file until" in page.text
        and "No cut-off notice delivered or printed at least 10 days before." in page.text
    )
    friday = await client.get("/staff/cutoff?day=2026-12-11")
    assert "No disconnections on Fridays." in friday.text


async def test_orders_are_created_once_and_the_recheck_cancels_those_that_paid(client, session, csr) -> None:
    first = await _delinquent(session, "Able")
    second = await _delinquent(session, "Baker")
    await session.commit()
    await sign_in(client, session, csr)
    preview, _done = await confirmed(client, "/staff/cutoff/orders")
    assert "2 disconnect orders will be created" in preview and first.number in preview
    assert (await session.scalar(select(func.count()).select_from(WorkOrder))) == 2
    again = await client.get(f"/staff/cutoff/orders?day={DAY.isoformat()}")  # twice: nothing new
    assert "Nothing to do" in again.text and 'name="fingerprint"' not in again.text
    await session.commit()
    orders = list(await session.scalars(select(WorkOrder).where(WorkOrder.kind == WorkOrderKind.DISCONNECT)))
    assert sorted(o.account_id for o in orders) == sorted([first.id, second.id])
    # The technician collects nothing (the field app takes no payment): a customer who says they paid is a call.
    assert all("call dispatch before you disconnect" in (o.instructions or "") for o in orders)
    assert not any("Collect payment" in (o.instructions or "") for o in orders)
    # The first pays before the crews leave: payments' own effect may already cancel it; the recheck catches the rest.
    await ledger.post(
        session,
        JOB,
        account_id=first.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-12_000,
        source_key="pay:first",
        effective_on=DAY - dt.timedelta(days=1),
    )
    await session.commit()
    preview, _done = await confirmed(client, "/staff/cutoff/recheck")
    assert "1 disconnect order will be cancelled" in preview and "paid" in preview
    await session.commit()
    for order in orders:
        await session.refresh(order)
    by_account = {o.account_id: o for o in orders}
    assert by_account[first.id].status == WorkOrderStatus.CANCELLED and "paid" in by_account[first.id].cancel_reason
    assert by_account[second.id].status in (WorkOrderStatus.OPEN, WorkOrderStatus.ASSIGNED)


async def test_notices_are_emailed_once_and_a_courtesy_call_is_recorded(client, session, csr) -> None:
    account = await _delinquent(session, "Noticeme", notice=False, call=False)
    await session.commit()
    await sign_in(client, session, csr)
    preview, done = await confirmed(client, "/staff/cutoff/notices")
    assert (
        "1 cut-off notice will be sent: 1 by email, 0 by text message, 0 by letter" in preview
        and account.number in preview
    )
    assert "1 cut-off notice sent." in (await client.get(done.headers["location"])).text
    again = await client.get("/staff/cutoff/notices")
    assert "Nothing to do" in again.text
    await session.commit()
    notices = await session.scalar(
        select(func.count()).select_from(CollectionContact).where(CollectionContact.kind == ContactKind.CUTOFF_NOTICE)
    )
    assert notices == 1
    mail = await session.scalar(select(MailMessage).order_by(MailMessage.id.desc()))
    assert "disconnect" in mail.text_body.lower()
    response = await post_form(
        client,
        f"/staff/cutoff/calls/{account.number}",
        {"outcome": "reached", "note": "Will pay Friday", "day": DAY.isoformat()},
    )
    assert response.status_code == 303
    await session.commit()
    call = await session.scalar(select(CollectionContact).where(CollectionContact.kind == ContactKind.COURTESY_CALL))
    assert call.outcome == "reached" and call.note == "Will pay Friday"
    bad = await post_form(client, f"/staff/cutoff/calls/{account.number}", {"outcome": "shouted"})
    assert bad.status_code == 400


async def test_a_technician_cannot_see_the_cutoff_list(client, session, technician) -> None:
    await sign_in(client, session, technician)
    assert (await client.get("/staff/cutoff")).status_code == 403


def _portal(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x" * 40}
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


async def test_the_cli_prints_the_list_and_creates_orders_once(session, database_url) -> None:
    account = await _delinquent(session, "Clinton")
    await session.commit()
    result = _portal(database_url, "cutoff-list", "--date", DAY.isoformat(), "--create-orders")
    assert result.returncode == 0, result.stderr
    assert "1 eligible" in result.stdout and "Created 1 disconnect orders." in result.stdout
    again = _portal(database_url, "cutoff-list", "--date", DAY.isoformat(), "--create-orders")
    assert "already ran" in again.stdout  # the run ledger: that day's orders were made
    weather = _portal(database_url, "cutoff-list", "--date", DAY.isoformat(), "--forecast-high", "20")
    assert "Weather hold" in weather.stdout
    await session.commit()
    assert (
        await session.scalar(select(func.count()).select_from(WorkOrder).where(WorkOrder.account_id == account.id)) == 1
    )


async def test_a_customer_without_email_gets_a_printable_letter_in_their_language(client, session, csr) -> None:
    from tests.http.test_bills import pdf_text

    english = await _delinquent(session, "Lettered", notice=False, call=False)
    spanish = await _delinquent(session, "Carta", notice=False, call=False, cents=9_900)
    for account, language in ((english, "en"), (spanish, "es")):
        customer = await session.get(Customer, account.customer_id)
        customer.email, customer.language = None, language
    await session.commit()
    await sign_in(client, session, csr)
    preview, _done = await confirmed(client, "/staff/cutoff/notices")
    assert "2 cut-off notices will be sent: 0 by email, 0 by text message, 2 by letter" in preview
    await session.commit()
    contacts = {c.account_id: c for c in await session.scalars(select(CollectionContact))}
    assert {c.outcome for c in contacts.values()} == {"letter"}
    assert contacts[spanish.id].amount_cents == 9_900
    sent = list(
        await session.execute(
            select(MailMessage.channel, MailMessage.status, MailMessage.about).where(
                MailMessage.kind == "cutoff_notice"
            )
        )
    )
    assert sorted(sent) == sorted(("letter", "queued", f"collection_contact:{c.id}") for c in contacts.values())
    page = await client.get("/staff/cutoff")
    day = contacts[spanish.id].contacted_at.astimezone(__import__("zoneinfo").ZoneInfo("America/Chicago")).date()
    assert f'href="/staff/cutoff/letters/pdf?day={day.isoformat()}"' in page.text and "2 letters sent on" in page.text
    batch = await client.get(f"/staff/cutoff/letters/pdf?day={day.isoformat()}")
    assert batch.status_code == 200 and batch.headers["content-type"] == "application/pdf"
    text = pdf_text(batch.content)
    assert b"/Title (Cut-off letters to mail, 2)" in text and b"/StructTreeRoot" in text and b"/Lang (en)" in text
    assert b"/Title (Service disconnection notice for account" in text  # the English letter's heading
    assert "Aviso".encode("utf-16-be").hex().encode() in text  # and the Spanish one's, in Spanish
    one = await client.get(f"/staff/cutoff/letters/{contacts[spanish.id].id}/pdf")
    assert (
        one.status_code == 200 and b"/Lang (es)" in pdf_text(one.content) and b"/Lang (en)" not in pdf_text(one.content)
    )
    account_page = await client.get(f"/staff/accounts/{spanish.number}")
    assert f'href="/staff/cutoff/letters/{contacts[spanish.id].id}/pdf"' in account_page.text


async def test_a_technician_cannot_print_letters(client, session, technician) -> None:
    await sign_in(client, session, technician)
    assert (await client.get("/staff/cutoff/letters/pdf")).status_code == 403


async def test_a_letter_that_does_not_exist_answers_not_found(client, session, csr) -> None:
    await sign_in(client, session, csr)
    assert (await client.get("/staff/cutoff/letters/99999/pdf")).status_code == 404
    assert (await client.get("/staff/cutoff/letters/pdf?day=2020-01-01")).status_code == 404


async def test_a_notice_recorded_before_notices_kept_their_amount_prints_with_what_was_past_due(
    client, session, csr
) -> None:
    from portal.staff import cutoff

    account = await _delinquent(session, "Older", notice=False, call=False, cents=7_700)
    contact = CollectionContact(
        account_id=account.id,
        kind=ContactKind.CUTOFF_NOTICE,
        outcome="letter",
        contacted_at=dt.datetime.combine(DAY, dt.time(15), dt.UTC),
    )
    session.add(contact)
    await session.commit()
    [letter] = await cutoff.letters(session, contact_id=contact.id)
    assert (letter.amount_cents, letter.cutoff_on) == (7_700, None)
    await sign_in(client, session, csr)
    response = await client.get(f"/staff/cutoff/letters/{contact.id}/pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


async def test_a_changed_list_between_preview_and_confirm_does_nothing(client, session, csr) -> None:
    await _delinquent(session, "Early")
    await session.commit()
    await sign_in(client, session, csr)
    preview = await client.get(f"/staff/cutoff/orders?day={DAY.isoformat()}")
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', preview.text)[1]
    late = await _delinquent(session, "Late")  # joins the list after the preview
    await session.commit()
    stale = await post_form(client, "/staff/cutoff/orders", {"day": DAY.isoformat(), "fingerprint": fingerprint})
    assert stale.status_code == 303 and "/staff/cutoff/orders?" in stale.headers["location"]
    assert await session.scalar(select(func.count()).select_from(WorkOrder)) == 0
    shown = await client.get(stale.headers["location"])
    assert "The list changed since the preview: nothing was done." in shown.text
    assert "2 disconnect orders will be created" in shown.text and late.number in shown.text


async def test_the_page_opens_on_the_next_allowed_day_and_groups_the_reasons(client, session, csr, monkeypatch) -> None:
    from portal.web import clock

    caller = await _delinquent(session, "Called", call=False)
    medical = await _delinquent(session, "Medic")
    customer = await session.get(Customer, medical.customer_id)
    customer.medical_alert_until = DAY + dt.timedelta(days=20)
    await session.commit()
    await sign_in(client, session, csr)
    assert (
        await post_form(client, f"/staff/cutoff/calls/{caller.number}", {"outcome": "voicemail", "day": "2026-12-07"})
    ).status_code == 303
    friday = dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "now", lambda: friday)
    page = await client.get("/staff/cutoff")
    assert "No disconnections today (Friday). Showing Monday, December 7, 2026." in page.text
    assert 'value="2026-12-07"' in page.text
    assert (
        '<details class="group" id="why-medical">' in page.text
        and "Medical certification on file · 1 account" in page.text
    )
    # marked on the caller's row, wherever the call left it (on the list, or still waiting for a call in time)
    mark = page.text.split(f">{numbers.display(caller.number)}<")[1].split("</tr>")[0]
    assert f"Called by {csr.display_name}, " in mark and ": Left a voicemail" in mark and csr.email not in mark
    chosen = await client.get("/staff/cutoff?day=2026-12-11")  # a day can still be chosen
    assert "No disconnections on Fridays." in chosen.text and "Showing" not in chosen.text


async def test_a_notice_and_the_list_ask_only_for_the_past_due_beyond_an_open_dispute(client, session, csr) -> None:
    account = await _delinquent(session, "Disputer", notice=False, call=False, cents=30_000)
    await cases.open_case(
        session, JOB, Policy(), account, kind="dispute", reason="October bill", today=DAY, disputed_cents=10_000
    )
    await session.commit()
    await sign_in(client, session, csr)
    page = (await client.get(f"/staff/cutoff?day={DAY.isoformat()}")).text
    assert "$200.00" in page and "$100.00 disputed" in page
    preview, done = await confirmed(client, "/staff/cutoff/notices")
    assert account.number in preview and "$200.00" in preview and "$300.00" not in preview
    await session.commit()
    contact = await session.scalar(
        select(CollectionContact).where(
            CollectionContact.account_id == account.id, CollectionContact.kind == ContactKind.CUTOFF_NOTICE
        )
    )
    assert contact.amount_cents == 20_000
    mail = await session.scalar(select(MailMessage).where(MailMessage.account_id == account.id))
    assert "$200.00" in mail.text_body and "$300.00" not in mail.text_body
