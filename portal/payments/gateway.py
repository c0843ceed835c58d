"""The one door to Stripe: the official SDK, pointed at api.stripe.com or at the local stand-in (tests, demo).

Calls run in a worker thread (the SDK's synchronous client) so a slow Stripe never blocks the event loop. Every call
that creates money movement carries an idempotency key.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import stripe

from portal.settings import Settings


class PaymentsUnavailable(RuntimeError):
    """No Stripe key is configured: online payments are off (the pages say so)."""


@dataclass
class Gateway:
    client: stripe.StripeClient
    publishable_key: str
    webhook_secret: str | None
    js_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Gateway:
        if not settings.stripe_api_key:
            raise PaymentsUnavailable("STRIPE_API_KEY is not set")
        base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        # The SDK types base_addresses as a TypedDict that this plain dict (its one key, "api") satisfies at run time.
        client = stripe.StripeClient(settings.stripe_api_key, base_addresses=base, max_network_retries=2)  # type: ignore[arg-type]  # see above
        return cls(
            client, settings.stripe_publishable_key or "", settings.stripe_webhook_secret, settings.stripe_js_url
        )

    async def _call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(func, *args, **kwargs)

    # ---- payment intents --------------------------------------------------------------------------------------
    async def create_intent(self, params: dict[str, Any], idempotency_key: str) -> Any:
        return await self._call(
            self.client.v1.payment_intents.create, params=params, options={"idempotency_key": idempotency_key}
        )

    async def retrieve_intent(self, intent_id: str) -> Any:
        return await self._call(self.client.v1.payment_intents.retrieve, intent_id)

    async def retrieve_charge(self, charge_id: str) -> Any:
        return await self._call(self.client.v1.charges.retrieve, charge_id)

    async def retrieve_dispute(self, dispute_id: str) -> Any:
        return await self._call(self.client.v1.disputes.retrieve, dispute_id)

    async def list_refunds(self, charge_id: str) -> list[Any]:
        page = await self._call(self.client.v1.refunds.list, params={"charge": charge_id, "limit": 100})
        return list(page.data)

    async def list_charges_since(self, created_after: int) -> list[Any]:
        """Charges created after the timestamp, every page."""
        found: list[Any] = []
        params: dict[str, Any] = {"created": {"gt": created_after}, "limit": 100}
        while True:
            page = await self._call(self.client.v1.charges.list, params=params)
            found.extend(page.data)
            if not page.has_more or not page.data:
                return found
            params = {**params, "starting_after": page.data[-1].id}

    # ---- customers, setup intents, mandates -------------------------------------------------------------------
    async def create_customer(self, params: dict[str, Any], idempotency_key: str) -> Any:
        return await self._call(
            self.client.v1.customers.create, params=params, options={"idempotency_key": idempotency_key}
        )

    async def create_setup_intent(self, params: dict[str, Any], idempotency_key: str) -> Any:
        return await self._call(
            self.client.v1.setup_intents.create, params=params, options={"idempotency_key": idempotency_key}
        )

    async def retrieve_setup_intent(self, setup_intent_id: str) -> Any:
        return await self._call(self.client.v1.setup_intents.retrieve, setup_intent_id)

    async def retrieve_mandate(self, mandate_id: str) -> Any:
        return await self._call(self.client.v1.mandates.retrieve, mandate_id)

    async def retrieve_payment_method(self, payment_method_id: str) -> Any:
        return await self._call(self.client.v1.payment_methods.retrieve, payment_method_id)

    # ---- refunds ----------------------------------------------------------------------------------------------
    async def create_refund(self, params: dict[str, Any], idempotency_key: str) -> Any:
        return await self._call(
            self.client.v1.refunds.create, params=params, options={"idempotency_key": idempotency_key}
        )

    # ---- webhooks ---------------------------------------------------------------------------------------------
    def verify_event(self, payload: bytes, signature: str | None) -> Any:
        """The event if the Stripe-Signature header proves it came from Stripe, else stripe.SignatureVerificationError."""
        if not self.webhook_secret:
            raise stripe.SignatureVerificationError("no webhook secret configured", signature)
        return stripe.Webhook.construct_event(payload, signature, self.webhook_secret)


def value_of(obj: Any, key: str, default: Any = None) -> Any:
    """A field of a Stripe object or of a plain dict (webhook payloads in tests), or the default when absent."""
    if obj is None:
        return default
    try:
        found = obj[key]
    except (KeyError, AttributeError, TypeError):
        return default
    return default if found is None else found


def object_id(value: Any) -> str | None:
    """An expandable Stripe field as an id, whether the API answered the id or the whole object."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return value_of(value, "id")


def gateway_for(settings: Settings) -> Gateway:
    return Gateway.from_settings(settings)
