"""What the Stripe.js pages share (the resident's, and the CSR's bank step for a caller): the script's origin, the
page's JSON configuration, and the page shown when online payments are off."""

from __future__ import annotations

import json
from typing import Any

import stripe
from litestar.response import Template

from portal.accounts.models import BankDraft
from portal.i18n import gettext as _
from portal.payments.gateway import PaymentsUnavailable
from portal.settings import Settings
from portal.web.payments import payments_context


def stripe_page_context(settings: Settings) -> dict[str, Any]:
    return {"stripe_js_url": settings.stripe_js_url}


def script_json(value: dict[str, Any]) -> str:
    """JSON for a <script type="application/json"> block: no "</script>" can end it early."""
    return json.dumps(value).replace("<", "\\u003c")


def bank_setup_page(
    settings: Settings, publishable_key: str, client_secret: str, return_url: str, **context: Any
) -> Template:
    """The page where a bank account for automatic draft goes into Stripe's element (the resident's, and the CSR's
    keying a caller's or a walk-in's): the numbers go from the browser to Stripe, never to us."""
    config = {
        "publishableKey": publishable_key,
        "clientSecret": client_secret,
        "method": "us_bank_account",
        "mode": "setup",
        "returnUrl": return_url,
        "messages": {
            "failed": _("We could not set up that bank account: %(reason)s"),
            "working": _("Saving…"),
            "agree": "",
            "bank": _("Enter the routing number (9 digits) and the account number."),
        },
    }
    return Template(
        "payments/autopay_bank.html",
        context={**context, "config": script_json(config), **stripe_page_context(settings)},
    )


async def pending_draft_bank_page(settings: Settings, draft: BankDraft, return_url: str, **context: Any) -> Template:
    """The bank step of a pending draft (the resident's, and the CSR's): its SetupIntent fetched again from Stripe and
    the bank page with its client secret, or the "payments are off" page when Stripe cannot be reached."""
    try:
        ctx = payments_context(settings)
        setup = await ctx.gateway.retrieve_setup_intent(draft.stripe_setup_intent_id or "")
    except (PaymentsUnavailable, stripe.StripeError):
        return unavailable()
    return bank_setup_page(
        settings, ctx.gateway.publishable_key, str(setup.client_secret), return_url, draft=draft, **context
    )


def unavailable() -> Template:
    return Template("payments/unavailable.html", status_code=503)
