"""The mail relay's webhook: what happened to an email after the relay accepted it (delivered, bounced later, marked
as spam), reported by the city's relay as signed JSON (docs/operations.md, "Bounces after the relay took an email").

    POST /mail/events
    X-Mail-Timestamp: 1796403600                      (Unix seconds when the relay signed it)
    X-Mail-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + the raw body, keyed with MAIL_WEBHOOK_SECRET>
    {"message_id": "<outbox.12.abc@utility.example>", "event": "bounced", "time": "2026-12-04T17:02:11Z",
     "reason": "550 5.1.1 no such user"}

A bad or missing signature, or a timestamp more than 5 minutes away from our clock (a replay), is refused with 403;
a body that is not such an event with 400; both change nothing. Until MAIL_WEBHOOK_SECRET is set the route is 404.
The event is recorded by the message's provider id (its Message-ID) with `mail.record_provider_status`, so the same
event twice changes nothing and a bounced notice falls back to a letter as a bounce from the SMTP server does.
Exempt from CSRF as Twilio's and Stripe's webhooks are: the signature is the proof.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from typing import Any

from litestar import Request, Response, post
from litestar.types import ControllerRouterHandler

from portal import mail
from portal.web.deps import AppSettings, DbSession

log = logging.getLogger("portal.mail")

TOLERANCE_SECONDS = 5 * 60
# The relay's events -> the outbox's statuses. A spam complaint means the email arrived: it counts as delivered, and
# the complaint is kept as the message's note for staff (preferences are not changed by it).
EVENTS = {"delivered": "delivered", "bounced": "bounced", "complained": "delivered"}
MAX_ID_LENGTH = 998  # a header line's limit (RFC 5322)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Mail-Signature the relay sends (and the tests sign with)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def signature_ok(secret: str, timestamp: str | None, given: str | None, body: bytes, now: float) -> bool:
    """A signature under our secret over this timestamp and body, with the timestamp within 5 minutes of now."""
    if not timestamp or not given or not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body).encode(), given.strip().encode("utf-8", "replace"))


def parse_event(body: bytes) -> tuple[str, str, dt.datetime, str | None] | str:
    """(message id, outbox status, when, note) from the relay's JSON, or why it cannot be read."""
    try:
        event: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "the body is not JSON"
    if not isinstance(event, dict):
        return "the body is not a JSON object"
    message_id, kind, when, reason = event.get("message_id"), event.get("event"), event.get("time"), event.get("reason")
    if not isinstance(message_id, str) or not message_id.strip() or len(message_id) > MAX_ID_LENGTH:
        return "message_id must be the email's Message-ID"
    if kind not in EVENTS:
        return f"event must be one of {', '.join(EVENTS)}"
    if not isinstance(when, str):
        return "time must be an ISO 8601 date and time"
    try:
        at = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        return "time must be an ISO 8601 date and time"
    if at.tzinfo is None:
        return "time must give its offset from UTC (Z or +00:00)"
    if reason is not None and not isinstance(reason, str):
        return "reason must be text"
    note = f"{kind}: {reason}" if kind == "complained" else reason
    return message_id.strip(), EVENTS[kind], at.astimezone(dt.UTC), (note or None)


def candidates(message_id: str) -> list[str]:
    """The Message-ID as we stored it (in angle brackets) whether the relay kept the brackets or not."""
    bare = message_id.strip("<>")
    return [f"<{bare}>", bare]


@post("/mail/events", exclude_from_csrf=True, name="mail.events", status_code=200)
async def events(request: Request, db_session: DbSession, settings: AppSettings) -> Response:
    secret = settings.mail_webhook_secret
    if not secret:
        return Response({"error": "not found"}, status_code=404)
    body = await request.body()
    ok = signature_ok(
        secret, request.headers.get("x-mail-timestamp"), request.headers.get("x-mail-signature"), body, time.time()
    )
    if not ok:
        return Response({"error": "bad signature or stale timestamp"}, status_code=403)
    parsed = parse_event(body)
    if isinstance(parsed, str):
        return Response({"error": parsed}, status_code=400)
    message_id, status, at, note = parsed
    message = None
    for provider_id in candidates(message_id):
        message = await mail.record_provider_status(db_session, provider_id, status, note, at=at, channel="email")
        if message is not None:
            break
    if message is None:
        # Not one of ours (or long gone): answered 200 so the relay does not send it again for ever.
        return Response({"received": True, "known": False}, status_code=200)
    await db_session.commit()
    log.info("mail event %s for outbox message %s: now %s", status, message.id, message.status)
    return Response({"received": True, "known": True, "status": message.status}, status_code=200)


ROUTES: list[ControllerRouterHandler] = [events]
