"""The outbox in tests: a small SMTP server on localhost that keeps what it receives (and refuses `bounce@...` for
good, `busy@...` for now), and the Twilio stand-in (portal/demo/twilio_stand_in.py) on a free port. Nothing leaves
this machine."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import urllib.request
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from portal.demo import twilio_stand_in
from portal.settings import Settings

TWILIO_SID = "AC" + "1" * 32
TWILIO_TOKEN = "twilio-test-token-0123456789"
TWILIO_FROM = "+15005550006"


class SmtpStandIn:
    """Just enough SMTP (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) in a thread of its own."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def say(line: str) -> None:
            writer.write((line + "\r\n").encode())

        say("220 stand-in ESMTP")
        recipients: list[str] = []
        while line := (await reader.readline()).decode().rstrip("\r\n"):
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                say("250-stand-in\r\n250 8BITMIME")
            elif verb == "MAIL":
                recipients = []
                say("250 OK")
            elif verb == "RCPT":
                address = line.partition(":")[2].strip("<> ")
                if address.startswith("bounce"):
                    say("550 5.1.1 no such mailbox")
                elif address.startswith("busy"):
                    say("451 4.3.0 try again later")
                else:
                    recipients.append(address)
                    say("250 OK")
            elif verb == "DATA":
                if not recipients:
                    say("554 no valid recipients")
                    continue
                say("354 go on")
                data = b""
                while (chunk := await reader.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.received.append(message_from_bytes(data, policy=policy.default))  # type: ignore[arg-type]
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                await writer.drain()
                break
            else:
                say("250 OK")
            await writer.drain()
        writer.close()

    def start(self) -> None:
        self.thread.start()
        server = asyncio.run_coroutine_threadsafe(asyncio.start_server(self.handle, "127.0.0.1", 0), self.loop)
        self.server = server.result(timeout=5)
        self.port = self.server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(scope="session")
def smtp_stand_in() -> Iterator[SmtpStandIn]:
    server = SmtpStandIn()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_stand_in: SmtpStandIn) -> SmtpStandIn:
    smtp_stand_in.received.clear()
    return smtp_stand_in


@pytest.fixture(scope="session")
def twilio_stand_in_url() -> Iterator[str]:
    process, url = twilio_stand_in.start(TWILIO_TOKEN)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def twilio(twilio_stand_in_url: str) -> str:
    twilio_control(twilio_stand_in_url, "/_test/reset")
    return twilio_stand_in_url


def twilio_control(url: str, path: str, method: str = "POST") -> dict[str, Any]:
    request = urllib.request.Request(url + path, data=b"" if method == "POST" else None, method=method)
    with urllib.request.urlopen(request, timeout=5) as answer:
        return dict(json.loads(answer.read()))


def outbox_settings(base: Settings, smtp: SmtpStandIn | None = None, twilio_url: str | None = None) -> Settings:
    """The test settings pointed at the stand-ins that are running."""
    values: dict[str, Any] = {}
    if smtp is not None:
        values |= {"smtp_host": "127.0.0.1", "smtp_port": smtp.port}
    if twilio_url is not None:
        values |= {
            "twilio_account_sid": TWILIO_SID,
            "twilio_auth_token": TWILIO_TOKEN,
            "twilio_from": TWILIO_FROM,
            "twilio_api_base": twilio_url,
        }
    return dataclasses.replace(base, **values)
