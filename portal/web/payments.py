"""The payments context the pages and the webhook hand to portal.payments: one Stripe client per configuration, and
the outbox as the Mailer for receipts and notices (the domain is given it, it does not import mail)."""

from __future__ import annotations

from portal import mail
from portal.payments.gateway import Gateway, PaymentsUnavailable
from portal.payments.services import Context
from portal.settings import Settings

_contexts: dict[tuple[object, ...], Context] = {}


def payments_context(settings: Settings) -> Context:
    """One Stripe client per configuration (PaymentsUnavailable when no key is set)."""
    key = (
        settings.stripe_api_key,
        settings.stripe_api_base,
        settings.stripe_publishable_key,
        settings.stripe_webhook_secret,
        settings.stripe_js_url,
        settings.timezone,
        settings.utility_name,
        settings.public_url,
    )
    found = _contexts.get(key)
    if found is None:
        found = _contexts[key] = Context.of(Gateway.from_settings(settings), settings, mail.OUTBOX)
    return found


def context_or_none(settings: Settings) -> Context | None:
    """The context, or None when online payments are off (a refund then goes by check)."""
    try:
        return payments_context(settings)
    except PaymentsUnavailable:
        return None
