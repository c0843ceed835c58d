"""Benchmark the outbox: N emails through the SMTP stand-in and N texts through the Twilio stand-in, sent by S
senders at once (as S `portal worker`s would), each claiming 50 rows at a time.

    python bench/outbox.py --messages 1000 --senders 2
    python bench/outbox.py --messages 1000 --senders 2 --url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_outbox

Builds a fresh database, queues the messages, then times the senders until nothing is due, and checks each message
went exactly once (the stand-ins' counts). Prints messages per second for each channel.

Measured on this 2-core machine while other test runs shared it (2026-12-04), 1,000 of each, 2 senders:

    PostgreSQL   email 77 messages/s    sms 108 messages/s
    SQLite       email 102 messages/s   sms 129 messages/s

Each message is one SMTP connection or one HTTPS request, plus one short transaction to record its outcome (so a
sender killed mid-batch re-sends at most the message in flight).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench.common import fresh_database
from portal import mail
from portal.accounts.models import MailMessage
from portal.db import make_engine, make_sessionmaker
from portal.demo import twilio_stand_in
from portal.settings import Settings
from tests.outbox_harness import TWILIO_TOKEN, SmtpStandIn, outbox_settings, twilio_control


async def run(url: str, count: int, senders: int) -> None:
    await fresh_database(url)
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    smtp = SmtpStandIn()
    smtp.start()
    process, twilio_url = twilio_stand_in.start(TWILIO_TOKEN)
    try:
        base = Settings(database_url=url, secret_key="b" * 40, public_url="http://127.0.0.1:9")
        both = outbox_settings(base, smtp, twilio_url)
        for channel, settings in (
            ("email", dataclasses.replace(both, twilio_account_sid=None)),
            ("sms", dataclasses.replace(both, smtp_host=None)),
        ):
            async with maker() as session, session.begin():
                for n in range(count):
                    to = f"r{n}@example.com" if channel == "email" else f"+1512867{n % 10000:04d}"
                    mail.queue(session, to, "Notice", f"Message {n}.", channel=channel)
            started = time.perf_counter()

            async def sender(settings: Settings = settings) -> None:
                while await mail.deliver_pending(maker, settings) > 0:
                    pass

            await asyncio.gather(*(sender() for _ in range(senders)))
            seconds = time.perf_counter() - started
            async with maker() as session:
                sent = await session.scalar(
                    select(func.count()).where(MailMessage.channel == channel, MailMessage.status == "sent")
                )
            arrived = (
                len(smtp.received)
                if channel == "email"
                else len(twilio_control(twilio_url, "/_test/messages", "GET")["messages"])
            )
            print(
                f"{channel:5}  {count} messages, {senders} senders: {seconds:.1f} s, {count / seconds:,.0f} messages/s "
                f"({sent} sent, {arrived} arrived at the stand-in)"
            )
    finally:
        smtp.stop()
        process.terminate()
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=2)
    parser.add_argument("--url", default="sqlite+aiosqlite:////tmp/bench_outbox.db")
    args = parser.parse_args()
    asyncio.run(run(args.url, args.messages, args.senders))


if __name__ == "__main__":
    main()
