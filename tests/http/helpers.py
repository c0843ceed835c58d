"""HTTP test helpers: the CSRF token, signing in through the real email-code flow, reading the demo mail."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import MailMessage, User


def local_today() -> dt.date:
    """The utility's date (the app's default time zone), which the console uses for "today"."""
    return dt.datetime.now(ZoneInfo("America/Chicago")).date()


async def csrf(client) -> str:
    if "csrftoken" not in client.cookies:
        await client.get("/signin")
    return client.cookies["csrftoken"]


async def post_form(client, url: str, data: dict | None = None, **kwargs):
    token = await csrf(client)
    return await client.post(url, data={**(data or {}), "_csrf_token": token}, follow_redirects=False, **kwargs)


async def post_json(client, url: str, body: object = None):
    token = await csrf(client)
    return await client.post(
        url, json=body if body is not None else {}, headers={"x-csrftoken": token, "accept": "application/json"}
    )


async def latest_code(session: AsyncSession, email: str) -> str:
    await session.commit()  # end this session's snapshot so it sees what the app committed
    message = await session.scalar(
        select(MailMessage).where(MailMessage.to_addr == email).order_by(MailMessage.id.desc()).limit(1)
    )
    assert message is not None, f"no mail to {email}"
    found = re.search(r"\b(\d{6})\b", message.text_body)
    assert found, message.text_body
    return found.group(1)


async def sign_in(client, session: AsyncSession, user: User) -> None:
    """Sign in the way a person without a passkey does: ask for a code, read the email, type it."""
    response = await post_form(client, "/signin/code", {"email": user.email})
    assert response.status_code in (302, 303), response.text
    code = await latest_code(session, user.email)
    response = await post_form(client, "/signin/code/verify", {"email": user.email, "code": code})
    assert response.status_code in (302, 303), response.text
