"""A cut-off notice counts only once it reached the resident: a queued email does not, a sent one does until it
bounces, the letter it falls back to counts once printed; a text counts once delivered. A pending notice is not
sent again."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from portal import mail
from portal.accounts import ledger
from portal.accounts.actor import Actor
from portal.accounts.models import Bill, CollectionContact, ContactKind, Customer, LedgerKind, MailMessage, utcnow
from portal.accounts.policy import Policy
from portal.db import make_sessionmaker
from portal.staff import cutoff, rules
from tests import factories
from tests.outbox_harness import outbox_settings

POLICY = Policy()
JOB = Actor.job("test")
TZ = "America/Chicago"
PHONE = "555-0100"


async def _delinquent(session, cut: dt.date):
    account = await factories.make_account(session)
    due = cut - dt.timedelta(days=45)
    bill = Bill(
        account_id=account.id,
        period_start=due - dt.timedelta(days=50),
        period_end=due - dt.timedelta(days=21),
        bill_date=due - dt.timedelta(days=21),
        due_date=due,
        usage=5000,
        total_cents=12_000,
        document={},
    )
    session.add(bill)
    await session.flush()
    await ledger.post(
        session, JOB, account_id=account.id, kind=LedgerKind.CHARGE, amount_cents=12_000,
        source_key=f"bill:{bill.id}", effective_on=bill.bill_date, bill_id=bill.id,
    )  # fmt: skip
    call_at = dt.datetime.combine(cut, dt.time(12), dt.UTC) - dt.timedelta(days=2)
    session.add(
        CollectionContact(
            account_id=account.id, kind=ContactKind.COURTESY_CALL, contacted_at=call_at, outcome="reached"
        )
    )
    await session.flush()
    return account


async def _codes(session, account_id: int, cut: dt.date) -> tuple[str, ...]:
    session.expunge_all()
    listing = await cutoff.build(session, POLICY, cut, TZ)
    return next(row.decision.codes for row in listing.rows if row.account.id == account_id)


async def test_an_email_notice_counts_when_sent_stops_on_a_bounce_and_its_letter_counts_once_printed(
    session,
) -> None:
    today = utcnow().date()
    cut = rules.next_disconnect_day(POLICY, today + dt.timedelta(days=14))
    account = await _delinquent(session, cut)
    await session.commit()
    assert await cutoff.send_notices(session, JOB, POLICY, today, TZ, cut, texts=True, phone=PHONE) == 1
    assert (
        await cutoff.send_notices(session, JOB, POLICY, today, TZ, cut, texts=True, phone=PHONE) == 0
    )  # replayed: nothing new
    await session.commit()
    assert "no_notice" in await _codes(session, account.id, cut)  # queued is not told
    listing = await cutoff.build(session, POLICY, today, TZ)
    assert cutoff.notice_plan(POLICY, listing, texts=True).items == ()  # but it is on its way: not sent again

    # The mail server takes it (a relay bounces later): it counts from then.
    message = await session.scalar(select(MailMessage).where(MailMessage.kind == "cutoff_notice"))
    await mail.set_status(session, message, "sent", provider_id="<m1@utility.example>")
    await session.commit()
    assert "no_notice" not in await _codes(session, account.id, cut)

    # The bounce comes back: it no longer counts, and a letter is queued for the print batch.
    await mail.record_provider_status(session, "<m1@utility.example>", "bounced", "550 no such mailbox")
    await session.commit()
    assert "no_notice" in await _codes(session, account.id, cut)
    letters = await mail.letters_to_print(session)
    assert len(letters) == 1 and letters[0].about == message.about and "disconnect" in letters[0].text_body
    await mail.mark_printed(session, [letters[0].id], "print-2026-12-04")
    await session.commit()
    assert "no_notice" not in await _codes(session, account.id, cut)


async def test_an_email_refused_by_the_smtp_server_falls_back_to_a_letter(session, engine, settings, smtp) -> None:
    today = utcnow().date()
    cut = rules.next_disconnect_day(POLICY, today + dt.timedelta(days=14))
    account = await _delinquent(session, cut)
    (await session.get(Customer, account.customer_id)).email = "bounce@example.com"
    await session.commit()
    await cutoff.send_notices(session, JOB, POLICY, today, TZ, cut, texts=True, phone=PHONE)
    await session.commit()
    await mail.deliver_pending(make_sessionmaker(engine), outbox_settings(settings, smtp))
    session.expunge_all()
    rows = {m.channel: m for m in await session.scalars(select(MailMessage).where(MailMessage.kind.is_not(None)))}
    assert rows["email"].status == "bounced" and rows["letter"].status == "queued"
    assert "no_notice" in await _codes(session, account.id, cut)


async def test_a_text_notice_counts_once_delivered(session) -> None:
    today = utcnow().date()
    cut = rules.next_disconnect_day(POLICY, today + dt.timedelta(days=14))
    account = await _delinquent(session, cut)
    customer = await session.get(Customer, account.customer_id)
    customer.email, customer.phone, customer.notify_sms = None, "512-867-5309", True
    await session.commit()
    await cutoff.send_notices(session, JOB, POLICY, today, TZ, cut, texts=True, phone=PHONE)
    await session.commit()
    text = await session.scalar(select(MailMessage).where(MailMessage.kind == "cutoff_notice"))
    assert (text.channel, text.to_addr) == ("sms", "+15128675309")
    contact = await session.scalar(select(CollectionContact).where(CollectionContact.kind == ContactKind.CUTOFF_NOTICE))
    assert contact.outcome == "texted" and contact.mail_message_id == text.id
    await mail.set_status(session, text, "sent", provider_id="SM1")
    await session.commit()
    assert "no_notice" in await _codes(session, account.id, cut)  # handed to the carrier is not delivered
    await mail.record_provider_status(session, "SM1", "delivered")
    await session.commit()
    assert "no_notice" not in await _codes(session, account.id, cut)


async def test_without_twilio_a_texts_preference_falls_back_to_email_or_a_letter(session) -> None:
    today = utcnow().date()
    cut = rules.next_disconnect_day(POLICY, today + dt.timedelta(days=14))
    texter = await _delinquent(session, cut)
    emailer = await _delinquent(session, cut)
    for account, email in ((texter, None), (emailer, "ana@example.com")):
        customer = await session.get(Customer, account.customer_id)
        customer.email, customer.phone, customer.notify_sms = email, "512-867-5309", True
    await session.commit()
    listing = await cutoff.build(session, POLICY, today, TZ)
    plan = cutoff.notice_plan(POLICY, listing, texts=False)
    assert {item.key: item.detail for item in plan.items} == {texter.id: "letter", emailer.id: "email"}
    assert await cutoff.send_notices(session, JOB, POLICY, today, TZ, cut, texts=False, phone=PHONE) == 2
    await session.commit()
    channels = {(m.account_id, m.channel) for m in await session.scalars(select(MailMessage))}
    assert channels == {(texter.id, "letter"), (emailer.id, "email")}  # no text that no sender would send


async def test_a_notice_is_recorded_once_per_account_and_day_whatever_the_channels(session, monkeypatch) -> None:
    today = utcnow().date()
    cut = rules.next_disconnect_day(POLICY, today + dt.timedelta(days=14))
    account = await _delinquent(session, cut)
    other = await _delinquent(session, cut)
    await session.commit()
    # A second run that read the list before the first one's notices were there (the job and a supervisor at
    # once), with the resident's preferences changed in between: email, then texts.
    stale = await cutoff.build(session, POLICY, today, TZ)
    assert await cutoff.send_notices(session, JOB, POLICY, today, TZ, cut, texts=True, phone=PHONE) == 2
    await session.commit()
    customer = await session.get(Customer, account.customer_id)
    customer.email, customer.phone, customer.notify_sms = None, "512-867-5309", True
    await session.commit()

    async def stale_build(*_args, **_kwargs):
        return stale

    monkeypatch.setattr(cutoff, "build", stale_build)
    assert await cutoff.send_notices(session, JOB, POLICY, today, TZ, cut, texts=True, phone=PHONE) == 0
    await session.commit()
    contacts = list(
        await session.scalars(select(CollectionContact).where(CollectionContact.kind == ContactKind.CUTOFF_NOTICE))
    )
    assert sorted(c.account_id for c in contacts) == sorted([account.id, other.id])
    assert {m.channel for m in await session.scalars(select(MailMessage))} == {"email"}


async def test_a_notice_recorded_today_without_the_outbox_is_not_doubled(session, monkeypatch) -> None:
    today = utcnow().date()
    cut = rules.next_disconnect_day(POLICY, today + dt.timedelta(days=14))
    account = await _delinquent(session, cut)
    await session.commit()
    stale = await cutoff.build(session, POLICY, today, TZ)
    noon = dt.datetime.combine(today, dt.time(12), ZoneInfo(TZ))
    session.add(
        CollectionContact(account_id=account.id, kind=ContactKind.CUTOFF_NOTICE, contacted_at=noon, outcome="letter")
    )  # recorded by hand at the counter today, while the list above was being read
    await session.commit()

    async def stale_build(*_args, **_kwargs):
        return stale

    monkeypatch.setattr(cutoff, "build", stale_build)
    assert cutoff.notice_plan(POLICY, stale, texts=True).items  # the list read before it still names the account
    assert await cutoff.send_notices(session, JOB, POLICY, today, TZ, cut, texts=True, phone=PHONE) == 0
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(CollectionContact).where(
        CollectionContact.kind == ContactKind.CUTOFF_NOTICE)) == 1  # fmt: skip
    assert await session.scalar(select(func.count()).select_from(MailMessage)) == 0
