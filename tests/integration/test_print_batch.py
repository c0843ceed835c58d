"""The print batch after a bill run: paper customers only, in ZIP order, each in their language, with the scan line;
the cut-off letters through the outbox seam; made once per cycle and date."""

from __future__ import annotations

import csv
import datetime as dt
import io

from pypdf import PdfReader
from sqlalchemy import func, select

from portal import mail
from portal.accounts.models import (
    AuditEvent,
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
    assert waiting.outcome == "failed" and "bill run" in (waiting.error or "")  # retried once the run has finished

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


def env_actor():
    from portal.accounts.actor import Actor

    return Actor.job("test")
