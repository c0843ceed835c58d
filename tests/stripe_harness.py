"""Stripe in tests: the local stand-in (localstripe extended by portal.demo.stripe_stand_in) started once per run on a
free port, settings that point the app at it, and helpers that do what Stripe.js and Stripe's webhooks would.

Nothing in the suite can reach api.stripe.com: the SDK's default base is pointed at the stand-in too."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from portal.demo import stripe_stand_in as stand_in
from portal.mail import OUTBOX
from portal.payments.gateway import Gateway
from portal.payments.services import Context
from portal.settings import Settings

SECRET_KEY = "sk_test_portal_suite"
PUBLISHABLE_KEY = "pk_test_portal_suite"
WEBHOOK_SECRET = "whsec_test_portal_suite"
BANK = {"routing_number": "110000000", "account_number": "000123456789", "account_holder_type": "individual"}
BANK_CLOSED = {**BANK, "account_number": "000111111116"}


@pytest.fixture(scope="session")
def stripe_stand_in() -> Iterator[str]:
    process, url = stand_in.start()
    saved = stripe.api_base
    stripe.api_base = url  # a client built without base_addresses still never leaves this machine
    try:
        yield url
    finally:
        stripe.api_base = saved
        process.terminate()
        process.wait(timeout=10)


def stripe_settings_for(base: Settings, stand_in_url: str, **overrides: Any) -> Settings:
    import dataclasses

    return dataclasses.replace(
        base,
        stripe_api_key=SECRET_KEY,
        stripe_publishable_key=PUBLISHABLE_KEY,
        stripe_api_base=stand_in_url,
        stripe_js_url=f"{stand_in_url}/js.stripe.com/v3/",
        stripe_webhook_secret=WEBHOOK_SECRET,
        **overrides,
    )


def flush(base_url: str) -> None:
    """Each test starts with an empty Stripe (its database starts empty too: ids and keys would collide)."""
    request = urllib.request.Request(f"{base_url}/_config/data", method="DELETE")
    with urllib.request.urlopen(request, timeout=5):
        pass


@pytest.fixture
def stripe_clean(stripe_stand_in: str) -> str:
    flush(stripe_stand_in)
    return stripe_stand_in


@pytest.fixture
def payments_ctx(settings: Settings, stripe_clean: str) -> Context:
    configured = stripe_settings_for(settings, stripe_clean)
    return Context.of(Gateway.from_settings(configured), configured, OUTBOX)


def sdk(ctx: Context) -> stripe.StripeClient:
    return ctx.gateway.client


async def confirm_card(ctx: Context, intent_id: str, payment_method: str = "pm_card_visa") -> Any:
    """What Stripe.js does when the resident presses Pay with a card."""
    return await asyncio.to_thread(
        sdk(ctx).v1.payment_intents.confirm, intent_id, params={"payment_method": payment_method}
    )


async def confirm_bank(ctx: Context, intent_id: str, bank: dict[str, str] = BANK) -> Any:
    """What Stripe.js's confirmUsBankAccountPayment does: a us_bank_account method and an online mandate."""
    return await asyncio.to_thread(
        sdk(ctx).v1.payment_intents.confirm,
        intent_id,
        params={
            "payment_method_data": {
                "type": "us_bank_account",
                "us_bank_account": bank,
                "billing_details": {"name": "María Lopez"},
            },
            "mandate_data": {
                "customer_acceptance": {"type": "online", "online": {"ip_address": "203.0.113.9", "user_agent": "test"}}
            },
        },
    )


async def confirm_bank_setup(ctx: Context, setup_intent_id: str, bank: dict[str, str] = BANK) -> Any:
    return await asyncio.to_thread(
        sdk(ctx).v1.setup_intents.confirm,
        setup_intent_id,
        params={"payment_method_data": {"type": "us_bank_account", "us_bank_account": bank}},
    )


def control(base_url: str, path: str, **form: str) -> dict[str, Any]:
    """The stand-in's test controls (/_test/...): an ACH return, a dispute, a mandate going inactive."""
    data = "&".join(f"{k}={v}" for k, v in form.items()).encode()
    request = urllib.request.Request(f"{base_url}{path}", data=data or b"x=1", method="POST")
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


async def wait_for(ctx: Context, intent_id: str, status: str, timeout: float = 5.0) -> Any:
    """ACH settles a moment later at the stand-in (as days later at Stripe)."""
    deadline = time.monotonic() + timeout
    while True:
        intent = await ctx.gateway.retrieve_intent(intent_id)
        if intent.status == status or time.monotonic() > deadline:
            return intent
        await asyncio.sleep(0.1)


def event_for(obj: Any, kind: str, event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{hashlib.sha1(f'{kind}{time.time_ns()}'.encode()).hexdigest()[:16]}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": obj if isinstance(obj, dict) else obj.to_dict()},
    }


def signed(event: dict[str, Any], secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    """A webhook body and its Stripe-Signature header, as Stripe signs them."""
    payload = json.dumps(event).encode()
    stamp = int(time.time())
    signature = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={stamp},v1={signature}"


__all__ = ["payments_ctx", "stripe_clean", "stripe_stand_in"]
