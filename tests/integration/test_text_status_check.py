"""The daily status check of texts: a text whose Twilio status callback was lost (it came before the sender saved
the SID, or never reached us) is asked about after 30 minutes and gets the status Twilio reports; an undelivered
notice falls back to a letter; running it again changes nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

from sqlalchemy import select

from portal import mail
from portal.accounts.models import MailMessage, utcnow
from portal.accounts.policy import current_policy
from portal.db import make_sessionmaker
from portal.jobs import catalog, schedule
from portal.jobs.engine import Env, execute
from tests import factories
from tests.outbox_harness import outbox_settings, twilio_control


async def _final_at_twilio(url: str, count: int) -> None:
    """Wait until the stand-in has moved every text to its final status (its callbacks went nowhere)."""
    for _ in range(100):
        listed = twilio_control(url, "/_test/messages", "GET")["messages"]
        if len(listed) == count and all(m["status"] in ("delivered", "undelivered") for m in listed):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the Twilio stand-in never finished its texts")


async def _statuses(session) -> dict[str, str]:
    session.expunge_all()
    return {m.to_addr: m.status for m in await session.scalars(select(MailMessage))}


async def test_texts_whose_callback_was_lost_get_the_status_twilio_reports(session, engine, settings, twilio) -> None:
    account = await factories.make_account(session)
    mail.queue(session, "+15128675309", "", "Your service is scheduled.", channel="sms")
    mail.queue(
        session, "+15005550010", "Notice", "Notice.", channel="sms", kind="cutoff_notice", account_id=account.id,
        about="collection_contact:4",
    )  # fmt: skip
    await session.commit()
    maker, on = make_sessionmaker(engine), outbox_settings(settings, twilio_url=twilio)
    assert await mail.deliver_pending(maker, on) == 2
    await _final_at_twilio(twilio, 2)
    # Twilio called http://portal.test/sms/status and nobody heard it: both are still "sent" here.
    assert set((await _statuses(session)).values()) == {"sent"}

    soon = await mail.check_text_statuses(maker, on)
    assert soon == {"checked": 0, "recorded": 0, "unreachable": 0}  # a callback may still come: not asked yet

    later = utcnow() + mail.STATUS_CHECK_AFTER + dt.timedelta(minutes=1)
    assert await mail.check_text_statuses(maker, on, later) == {"checked": 2, "recorded": 2, "unreachable": 0}
    statuses = await _statuses(session)
    assert statuses["+15128675309"] == "delivered" and statuses["+15005550010"] == "failed"
    failed = await session.scalar(select(MailMessage).where(MailMessage.to_addr == "+15005550010"))
    assert failed.error == "twilio error 30003"
    letter = await session.scalar(select(MailMessage).where(MailMessage.channel == "letter"))
    assert letter is not None and letter.about == "collection_contact:4"  # the undelivered notice goes on paper

    # Again (the job run by hand after the schedule): nothing is asked, nothing changes.
    assert await mail.check_text_statuses(maker, on, later) == {"checked": 0, "recorded": 0, "unreachable": 0}
    assert await _statuses(session) == statuses


async def test_a_text_sent_more_than_a_week_ago_is_left_alone(session, engine, settings, twilio) -> None:
    message = mail.queue(session, "+15128675309", "", "Hello.", channel="sms")
    await session.commit()
    maker, on = make_sessionmaker(engine), outbox_settings(settings, twilio_url=twilio)
    await mail.deliver_pending(maker, on)
    await _final_at_twilio(twilio, 1)
    weeks_later = utcnow() + mail.STATUS_CHECK_WINDOW + dt.timedelta(hours=1)
    assert (await mail.check_text_statuses(maker, on, weeks_later))["checked"] == 0
    session.expunge_all()
    assert (await session.get(MailMessage, message.id)).status == "sent"


async def test_the_job_is_in_the_schedule_and_is_skipped_without_twilio(session, engine, settings, twilio) -> None:
    job = schedule.BY_NAME["text-status-check"]
    assert job.days == "daily" and job.at < schedule.BY_NAME["cutoff-recheck"].at  # before the cut-off list
    assert schedule.command(job, dt.date(2026, 12, 4)) == "portal text-status-check --date 2026-12-04"
    maker = make_sessionmaker(engine)
    off = Env(maker, settings, current_policy(), mail.OUTBOX, catalog.bodies())
    skipped = await execute(off, "text-status-check", dt.date(2026, 12, 3), "schedule", "job:schedule")
    assert skipped.outcome == "skipped"
    on = dataclasses.replace(off, settings=outbox_settings(settings, twilio_url=twilio))
    ran = await execute(on, "text-status-check", dt.date(2026, 12, 4), "schedule", "job:schedule")
    assert ran.outcome == "ok", ran.error
    assert ran.counts["checked"] == 0 and ran.counts["recorded"] == 0
