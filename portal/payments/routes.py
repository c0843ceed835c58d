"""The only route of payments: Stripe's signed webhook. It answers 400 to a bad signature and 503 when Stripe cannot
be reached to look an event's object up, so Stripe sends the event again later."""

from __future__ import annotations

import logging

import stripe
from litestar import Request, Response, post
from litestar.types import ControllerRouterHandler

from portal.web.deps import AppSettings, DbSession
from portal.web.payments import payments_context

from . import webhooks
from .gateway import PaymentsUnavailable

log = logging.getLogger("portal.payments")


@post("/payments/webhook", exclude_from_csrf=True, name="payments.webhook")
async def webhook(request: Request, db_session: DbSession, settings: AppSettings) -> Response:
    try:
        ctx = payments_context(settings)
    except PaymentsUnavailable:
        return Response({"error": "payments are not configured"}, status_code=503)
    payload = await request.body()
    try:
        event = ctx.gateway.verify_event(payload, request.headers.get("stripe-signature"))
    except (ValueError, stripe.SignatureVerificationError):
        return Response({"error": "bad signature"}, status_code=400)
    try:
        outcome = await webhooks.handle_event(db_session, ctx, event)
    except stripe.StripeError:
        # We could not look the object up: answer an error so Stripe sends the event again later.
        await db_session.rollback()
        return Response({"error": "stripe unreachable, retry"}, status_code=503)
    log.info("stripe event %s %s: %s", event["id"], event["type"], outcome)
    return Response({"received": True, "outcome": outcome}, status_code=200)


ROUTES: list[ControllerRouterHandler] = [webhook]
