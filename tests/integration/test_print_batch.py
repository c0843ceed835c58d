"""The print batch after a bill run: paper customers only, in ZIP order, each in their language, with the scan line;
the cut-off letters through the outbox seam; made once per cycle and date."""

from __future__ import annotations

import csv
import datetime as dt
import io

from pypdf import PdfReader
from sqlalchemy import func, select, update

from portal import mail
from portal.accounts import numbers
from portal.accounts.models import (
    AuditEvent,
    Bill,
    CollectionContact,
    ContactKind,
    Customer,
    JobRun,
    MailMessage,
    PrintBatch,
    PrintItem,
)
from portal.accounts.policy import current_policy
from portal.billing import scanline
from portal.db import make_sessionmaker
from portal.jobs import catalog
from portal.jobs.engine import Env, execute
from portal.staff import cutoff, print_batch
from tests.integration.billing_helpers import billable_account, monthly_reads, with_rates

ON = dt.date(2026, 7, 3)  # cycle 1's bill day


async def _city(session):
    await with_rates(session)
    english = await billable_account(session, monthly_reads(ON, 13), zip_code="76503", last_name="Baker")
    spanish = await billable_account(session, monthly_reads(ON, 13), zip_code="76501", last_name="Garza")
    online = await billable_account(session, monthly_reads(ON, 13), zip_code="76502", last_name="Chen")
    for account, language, paperless in ((english, "en", False), (spanish, "es", False), (online, "en", True)):
        customer = await session.get(Customer, account.customer_id)
        customer.language, customer.paperless = language, paperless
    # A cut-off notice that goes by mail (no email), recorded the day before, its letter waiting in the outbox: the
    # batch prints it.
    notice = CollectionContact(
        account_id=english.id,
        kind=ContactKind.CUTOFF_NOTICE,
        contacted_at=dt.datetime(2026, 7, 2, 15, tzinfo=dt.UTC),
        outcome="letter",
        amount_cents=4_200,
        note="2026-07-20",
    )
    session.add(notice)
    await session.flush()
    await mail.queue_once(
        session,
        f"cutoff_notice:{english.id}:2026-07-02:letter",
        "Ann Baker, 100 Oak St, Riverton, TX 76503",
        "Disconnection notice",
        "Pay by July 20.",
        channel="letter",
        kind="cutoff_notice",
        about=cutoff.notice_about(notice.id),
        account_id=english.id,
    )
    await session.commit()
    return english, spanish, online


async def test_after_the_bill_run_one_batch_in_zip_order_in_each_language_made_once(session, engine, settings) -> None:
    english, spanish, _online = await _city(session)
    env = Env(make_sessionmaker(engine), settings, current_policy(), mail.OUTBOX, catalog.bodies())

    waiting = await execute(env, "print-batch-cycle-1", ON, "schedule", "job:schedule")
    assert waiting.outcome == "waiting" and "bill run" in (waiting.error or "")  # taken again once it has finished

    assert (await execute(env, "bill-run-cycle-1", ON, "schedule", "job:schedule")).outcome == "ok"
    done = await execute(env, "print-batch-cycle-1", ON, "retry", "job:schedule")
    assert done.outcome == "ok", done.error
    assert done.counts["bills"] == 2 and done.counts["letters"] == 1 and done.counts["created"] == 1

    batch = await print_batch.with_file(session, (await session.scalars(select(PrintBatch))).one().id)
    assert batch is not None and batch.bills == 2 and batch.letters == 1 and batch.pages == 3
    items = list(await session.scalars(select(PrintItem).order_by(PrintItem.sequence)))
    # 76501 (Garza, Spanish) before 76503 (Baker: bill, then letter); the paperless customer is not printed.
    assert [(i.account_id, i.kind) for i in items] == [
        (spanish.id, "bill"),
        (english.id, "bill"),
        (english.id, "cutoff_letter"),
    ]

    pages = [page.extract_text() for page in PdfReader(io.BytesIO(batch.pdf)).pages]
    assert len(pages) == 3
    assert "Importe a pagar" in pages[0] and "Amount due" in pages[1] and "disconnection" in pages[2].lower()
    for page, item in zip(pages[:2], items[:2], strict=True):
        number = spanish.number if item.account_id == spanish.id else english.number
        assert scanline.make(number, item.amount_cents) in page

    rows = list(csv.DictReader(io.StringIO(batch.manifest_csv)))
    assert [row["zip"] for row in rows] == ["76501", "76503", "76503"]
    assert rows[0]["account"] == spanish.number and rows[0]["document"] == "bill" and rows[0]["pages"] == "1"
    assert rows[2]["document"] == "cutoff_letter" and rows[2]["amount_due"] == "42.00"
    printed = await session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "cutoff_letter.printed")
    )
    assert printed == 1
    # The letter's outbox message is printed in this batch, so the notice counts as given from now.
    letter = await session.scalar(select(MailMessage).where(MailMessage.channel == "letter"))
    assert letter.status == "sent" and letter.print_batch_id == str(batch.id) and letter.reached_at is not None
    assert english.id in await cutoff.notices_reached(session, [english.id])

    # Again (by hand, or a second worker): the same batch, nothing new made, no letter printed twice.
    again = await print_batch.make_batch(make_sessionmaker(engine), settings, 1, ON, env_actor())
    assert not again.created and again.batch_id == batch.id
    assert await session.scalar(select(func.count()).select_from(PrintBatch)) == 1
    assert await session.scalar(select(func.count()).select_from(PrintItem)) == 3
    runs = {r.job: r.outcome for r in await session.scalars(select(JobRun))}
    assert runs == {"bill-run-cycle-1": "ok", "print-batch-cycle-1": "ok"}


async def test_the_batch_waits_for_a_long_bill_run_the_whole_business_day_then_fails(session, engine, settings) -> None:
    from portal.accounts.models import Role, utcnow
    from portal.jobs import runs
    from tests import factories

    await factories.make_user(session, Role.ADMIN, email="it@riverton.example")
    await _city(session)
    env = Env(make_sessionmaker(engine), settings, current_policy(), mail.OUTBOX, catalog.bodies())
    maker = make_sessionmaker(engine)
    bill_run = await runs.claim(maker, "bill-run-cycle-1", ON, "schedule", "job:schedule")  # running, for long
    assert bill_run is not None

    async def row() -> JobRun:
        async with maker() as s:
            found = await runs.get(s, "print-batch-cycle-1", ON)
            assert found is not None
            return found

    first = await execute(env, "print-batch-cycle-1", ON, "schedule", "job:schedule")
    assert first.outcome == runs.WAITING
    waited = await row()
    assert waited.progress == "waiting for the bill run for cycle 1 on 2026-07-03 (running)"
    assert waited.error is None

    # The tick takes it again every few minutes, however many times (not 3 tries 10 minutes apart: 80 minutes).
    async def owed() -> list[tuple[str, dt.date]]:
        async with maker() as s:
            return [(r.job, r.business_date) for r in await runs.retryable(s, utcnow())]

    async def pause_over(job: str = "print-batch-cycle-1") -> None:  # as if WAIT_AGAIN had passed since it stopped
        async with maker() as s, s.begin():
            await s.execute(
                update(JobRun)
                .where(JobRun.job == job)
                .values(finished_at=utcnow() - runs.WAIT_AGAIN - dt.timedelta(seconds=1))
            )

    for attempt in range(2, 12):
        assert await owed() == []  # not before its pause is over
        await pause_over()
        assert await owed() == [("print-batch-cycle-1", ON)]
        again = await execute(env, "print-batch-cycle-1", ON, "retry", "job:schedule")
        assert again.outcome == runs.WAITING
        current = await row()
        assert current.attempts == attempt and current.started_at == waited.started_at  # waiting since the first
    admin_mail = select(func.count()).select_from(MailMessage).where(MailMessage.to_addr == "it@riverton.example")
    assert await session.scalar(admin_mail) == 0
    # The bill run finishes: the next take makes the batch.
    async with maker() as s, s.begin():
        assert await runs.finish(s, bill_run, runs.OK)
    await pause_over()
    done = await execute(env, "print-batch-cycle-1", ON, "retry", "job:schedule")
    assert done.outcome == runs.OK and done.counts["created"] == 1, done  # (the bill run here was only its row)

    # Another cycle whose bill run never finishes: past the end of the business day it waited from, it fails.
    day = dt.date(2026, 7, 10)
    assert await runs.claim(maker, "bill-run-cycle-2", day, "schedule", "job:schedule") is not None
    assert (await execute(env, "print-batch-cycle-2", day, "schedule", "job:schedule")).outcome == runs.WAITING
    async with maker() as s, s.begin():
        await s.execute(
            update(JobRun)
            .where(JobRun.job == "print-batch-cycle-2")
            .values(started_at=utcnow() - dt.timedelta(days=1), finished_at=utcnow() - dt.timedelta(hours=1))
        )
    late = await execute(env, "print-batch-cycle-2", day, "retry", "job:schedule")
    assert late.outcome == runs.FAILED and "still running" in (late.error or ""), late
    assert await session.scalar(admin_mail) == 1


def env_actor():
    from portal.accounts.actor import Actor

    return Actor.job("test")


async def test_letters_go_out_the_next_business_day_in_a_letters_only_batch_once(session, engine, settings) -> None:
    english, spanish, _online = await _city(session)
    english_id, spanish_id = english.id, spanish.id
    # A second notice went by email and bounced: its letter waits in the outbox too.
    notice = CollectionContact(
        account_id=spanish.id,
        kind=ContactKind.CUTOFF_NOTICE,
        contacted_at=dt.datetime(2026, 7, 2, 16, tzinfo=dt.UTC),
        outcome="email",
        amount_cents=3_100,
        note="2026-07-20",
    )
    session.add(notice)
    await session.flush()
    email = await mail.queue_once(
        session,
        f"cutoff_notice:{spanish.id}:2026-07-02:email",
        "garza@example.com",
        "Aviso de desconexión",
        "Pague antes del 20 de julio.",
        kind="cutoff_notice",
        about=cutoff.notice_about(notice.id),
        account_id=spanish.id,
    )
    assert await mail.set_status(session, email, "sent") and await mail.set_status(session, email, "bounced")
    await session.commit()
    assert len(await mail.letters_to_print(session)) == 2
    assert not await cutoff.notices_reached(session, [spanish.id])
    env = Env(make_sessionmaker(engine), settings, current_policy(), mail.OUTBOX, catalog.bodies())

    # The next business day (Monday the 6th), not with the cycle's next bill run (none is needed).
    day = dt.date(2026, 7, 6)
    done = await execute(env, "print-letters", day, "schedule", "job:schedule")
    assert done.outcome == "ok", done.error
    assert (done.counts["letters"], done.counts["created"]) == (2, 1)
    batch = await print_batch.with_file(session, (await session.scalars(select(PrintBatch))).one().id)
    assert batch is not None and (batch.cycle, batch.business_date, batch.bills, batch.letters) == (0, day, 0, 2)
    assert print_batch.file_name(batch, "pdf") == "print-letters-2026-07-06.pdf"
    assert len(PdfReader(io.BytesIO(batch.pdf)).pages) == 2
    assert [row["document"] for row in csv.DictReader(io.StringIO(batch.manifest_csv))] == ["cutoff_letter"] * 2
    batch_id = batch.id
    session.expire_all()
    assert await mail.letters_to_print(session) == []
    letters = list(await session.scalars(select(MailMessage).where(MailMessage.channel == "letter")))
    assert {(m.status, m.print_batch_id) for m in letters} == {("sent", str(batch_id))}
    # Both notices count as given from their printing.
    assert set(await cutoff.notices_reached(session, [english_id, spanish_id])) == {english_id, spanish_id}

    # Once per business date: the schedule again, a second worker, or the command: nothing new.
    again = await execute(env, "print-letters", day, "retry", "job:schedule")
    assert not again.claimed and again.outcome == "ok"
    made = await print_batch.make_batch(make_sessionmaker(engine), settings, print_batch.LETTERS, day, env_actor())
    assert not made.created and made.batch_id == batch_id
    # The next day prints none of them again, and neither does the cycle's batch after its bill run.
    assert (await execute(env, "print-letters", dt.date(2026, 7, 7), "schedule", "job:schedule")).counts["letters"] == 0
    assert await session.scalar(select(func.count()).select_from(PrintBatch)) == 1  # no empty batch that day
    assert (await execute(env, "bill-run-cycle-1", ON, "schedule", "job:schedule")).outcome == "ok"
    cycle = await execute(env, "print-batch-cycle-1", ON, "schedule", "job:schedule")
    assert (cycle.outcome, cycle.counts["bills"], cycle.counts["letters"]) == ("ok", 2, 0)
    assert (
        await session.scalar(select(func.count()).select_from(PrintItem).where(PrintItem.kind == "cutoff_letter")) == 2
    )


async def test_a_paperless_customer_with_no_way_to_email_gets_the_bill_on_paper(session, engine, settings) -> None:
    """Paperless, but no email address (or email turned off): the bill used to go neither way."""
    _english, _spanish, online = await _city(session)
    no_address = await billable_account(session, monthly_reads(ON, 13), zip_code="76504", last_name="Diaz")
    no_email = await billable_account(session, monthly_reads(ON, 13), zip_code="76505", last_name="Evans")
    for account, email, notify in ((no_address, None, True), (no_email, "evans@example.com", False)):
        customer = await session.get(Customer, account.customer_id)
        customer.paperless, customer.email, customer.notify_email = True, email, notify
    await session.commit()
    env = Env(make_sessionmaker(engine), settings, current_policy(), mail.OUTBOX, catalog.bodies())
    assert (await execute(env, "bill-run-cycle-1", ON, "schedule", "job:schedule")).outcome == "ok"
    printed = {doc.account_id for doc in await print_batch.bills_to_print(session, 1, ON)}
    assert {no_address.id, no_email.id} <= printed
    bills = {b.account_id: b for b in await session.scalars(select(Bill).where(Bill.bill_date == ON))}
    assert bills[no_address.id].document["delivery"] == bills[no_email.id].document["delivery"] == "paper"
    emailed = {
        m.to_addr: m
        for m in await session.scalars(select(MailMessage).where(MailMessage.subject == "Your utility bill is ready"))
    }
    assert "evans@example.com" not in emailed
    # The one paperless customer billing can email: the account number as every page prints it, the office line
    # from the settings (UTILITY_PHONE), and the link on the public address.
    customer = await session.get(Customer, online.customer_id)
    body = emailed[customer.email].text_body
    assert f"account {numbers.display(online.number)} is ready" in body
    assert f"Customer service: {settings.utility_phone}, Monday" in body and f"{settings.public_url}/my/bills/" in body
