"""Twilio's two webhooks: a text's delivery status, and texts residents send us (STOP, START, HELP). Both are signed
with X-Twilio-Signature over the public URL Twilio called and the form fields; a bad signature is refused (403)
and changes nothing. Exempt from CSRF as the signed Stripe webhook is: the signature is the proof."""

from __future__ import annotations

import logging

from litestar import Request, Response, post
from litestar.types import ControllerRouterHandler
from sqlalchemy import select
from twilio.twiml.messaging_response import MessagingResponse

from portal import mail, sms
from portal.accounts import audit
from portal.accounts.actor import Actor
from portal.accounts.models import Customer
from portal.web.deps import AppSettings, DbSession

log = logging.getLogger("portal.sms")


async def _signed_form(request: Request, settings: AppSettings, path: str) -> dict[str, str] | None:
    form = {key: str(value) for key, value in (await request.form()).items()}
    url = settings.public_url.rstrip("/") + path  # what Twilio called, not what a proxy forwarded to us
    if not sms.signature_ok(settings, url, form, request.headers.get("x-twilio-signature")):
        return None
    return form


@post("/sms/status", exclude_from_csrf=True, name="sms.status", status_code=200)
async def delivery_status(request: Request, db_session: DbSession, settings: AppSettings) -> Response:
    form = await _signed_form(request, settings, "/sms/status")
    if form is None:
        return Response({"error": "bad signature"}, status_code=403)
    status = sms.TWILIO_STATUS.get(form.get("MessageStatus", ""))
    if status and form.get("MessageSid"):
        error = f"twilio error {form['ErrorCode']}" if form.get("ErrorCode") else None
        await mail.record_provider_status(db_session, form["MessageSid"], status, error, channel="sms")
        await db_session.commit()
    return Response({"received": True}, status_code=200)


async def set_texts(session: DbSession, number: str, on: bool) -> int:
    """Turn text notices off (STOP) or on again (START) for every customer with this mobile number."""
    tail = number[-4:]
    changed = 0
    for customer in await session.scalars(select(Customer).where(Customer.phone.like(f"%{tail}"))):
        if sms.normalize(customer.phone) != number or customer.notify_sms == on:
            continue
        customer.notify_sms = on
        changed += 1
        await audit.record(
            session,
            Actor.webhook("twilio"),
            "customer.texts",
            "customer",
            customer.id,
            before={"notify_sms": not on},
            after={"notify_sms": on},
        )
    return changed


@post("/sms/inbound", exclude_from_csrf=True, name="sms.inbound", status_code=200)
async def inbound(request: Request, db_session: DbSession, settings: AppSettings) -> Response:
    form = await _signed_form(request, settings, "/sms/inbound")
    if form is None:
        return Response({"error": "bad signature"}, status_code=403)
    number = sms.normalize(form.get("From"))
    word = sms.keyword(form.get("Body"))
    reply = MessagingResponse()
    if number and word in ("stop", "start"):
        changed = await set_texts(db_session, number, word == "start")
        await db_session.commit()
        log.info("sms %s: %s customer(s) changed", word, changed)
        # Twilio answers STOP and START itself (its standard opt-out); a second reply would be noise.
    elif word == "help":
        reply.message(
            f"{settings.utility_name}: account notices. Call {settings.utility_phone} for help. "
            "Reply STOP to stop texts, START to get them again."
        )
    return Response(str(reply), media_type="application/xml", status_code=200)


ROUTES: list[ControllerRouterHandler] = [delivery_status, inbound]
