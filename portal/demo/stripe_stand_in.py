"""A local stand-in for Stripe (tests and the demo): localstripe's aiohttp app, extended with what it lacks.

    python -m portal.demo.stripe_stand_in --port 8420

localstripe (PyPI, a test/demo dependency) rejects us_bank_account (ACH) payment methods and setup intents, ignores
idempotency keys, sends no setup_intent / charge / refund / mandate events and cannot confirm a PaymentIntent with a
payment method from the browser. This module patches those in, in this process only, so the portal's real `stripe`
SDK calls go over HTTP exactly as they would to api.stripe.com. It also adds test controls under /_test/ (an ACH
return, a dispute, a mandate going inactive) and extends localstripe's stand-in Stripe.js with
confirmCardPayment(card element), confirmUsBankAccountPayment and confirmUsBankAccountSetup.

Nothing here runs in production: the app only talks to this when STRIPE_API_BASE points at it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, cast

# ACH test account numbers (Stripe's documented test numbers): these fail as Stripe's do.
ACH_FAILURES = {
    "000111111116": ("account_closed", "The customer's bank account has been closed."),
    "000111111113": ("insufficient_funds", "The customer's account has insufficient funds to cover this payment."),
}
ACH_SETTLE_SECONDS = 0.5


def _install() -> Any:  # long: the one place that patches localstripe, kept together on purpose
    from aiohttp import web
    from localstripe import resources as r
    from localstripe import server
    from localstripe.errors import UserError
    from localstripe.webhooks import schedule_webhook

    # Several stand-ins run on one machine: never share localstripe's /tmp pickle between them.
    r.Store.dump_to_disk = lambda self: None
    r.Store.try_load_from_disk = lambda self: None

    def event(kind: str, obj: Any) -> None:
        schedule_webhook(r.Event(kind, obj))

    # ---- Mandates and disputes ----------------------------------------------------------------------------------
    class Mandate(r.StripeObject):
        object = "mandate"
        _id_prefix = "mandate_"

        def __init__(self, payment_method: str, customer_acceptance: dict[str, Any] | None = None) -> None:
            super().__init__()
            self.payment_method = payment_method
            self.status = "active"
            self.type = "multi_use"
            self.customer_acceptance = customer_acceptance or {"type": "online", "online": {}}
            self.customer_acceptance["accepted_at"] = self.created
            self.payment_method_details = {"type": "us_bank_account", "us_bank_account": {}}

    class Dispute(r.StripeObject):
        object = "dispute"
        _id_prefix = "dp_"

        def __init__(self, charge: Any, reason: str) -> None:
            super().__init__()
            self.charge = charge.id
            self.payment_intent = charge.payment_intent
            self.amount = charge.amount
            self.currency = charge.currency
            self.reason = reason
            self.status = "needs_response"

    for cls in (Mandate, Dispute):
        server.app.router.add_get(f"/v1/{cls.object}s/{{id}}", server.api_retrieve(cls, None))

    # ---- us_bank_account payment methods ----------------------------------------------------------------------
    pm_init = r.PaymentMethod.__init__

    def payment_method_init(
        self: Any,
        type: str | None = None,
        billing_details: Any = None,
        us_bank_account: Any = None,
        metadata: Any = None,
        **kwargs: Any,
    ) -> None:
        if type != "us_bank_account":
            pm_init(self, type=type, billing_details=billing_details, metadata=metadata, **kwargs)
            return
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs))
        details = us_bank_account if isinstance(us_bank_account, dict) else {}
        routing = str(details.get("routing_number", ""))
        account = str(details.get("account_number", ""))
        if not (re.fullmatch(r"\d{9}", routing) and re.fullmatch(r"\d{4,17}", account)):
            raise UserError(400, "Invalid bank account details.", {"code": "invalid_bank_account"})
        r.StripeObject.__init__(self)
        self.type = "us_bank_account"
        self.billing_details = billing_details or {}
        self._ach_account = account
        self.us_bank_account = {
            "account_holder_type": details.get("account_holder_type", "individual"),
            "account_type": details.get("account_type", "checking"),
            "bank_name": "STRIPE TEST BANK",
            "fingerprint": r.fingerprint(routing + account),
            "last4": account[-4:],
            "routing_number": routing,
        }
        self.customer = None
        self.metadata = metadata or {}

    r.PaymentMethod.__init__ = payment_method_init
    pm_declined = r.PaymentMethod._charging_is_declined

    def charging_is_declined(self: Any) -> bool:
        if self.type == "us_bank_account":
            return self._ach_account in ACH_FAILURES
        return pm_declined(self)

    r.PaymentMethod._charging_is_declined = charging_is_declined
    pm_list = r.PaymentMethod._api_list_all.__func__

    @classmethod  # type: ignore[misc]  # replaces localstripe's method on its class, which mypy cannot see typed
    def list_payment_methods(
        cls: Any,
        url: str,
        customer: Any = None,
        type: Any = None,
        limit: Any = None,
        starting_after: Any = None,
    ) -> Any:
        if type == "us_bank_account":
            li = r.StripeObject._api_list_all.__func__(cls, url, limit=limit, starting_after=starting_after)
            li._list = [pm for pm in li._list if pm.customer == customer and pm.type == type]
            return li
        return pm_list(cls, url, customer=customer, type=type, limit=limit, starting_after=starting_after)

    r.PaymentMethod._api_list_all = list_payment_methods

    # ---- charges: ACH settles later, failures say why, and Stripe's charge events -------------------------------
    def is_async(self: Any) -> bool:
        pm = r.PaymentMethod._api_retrieve(self.payment_method)
        return pm.type in ("sepa_debit", "us_bank_account")

    r.Charge._is_async_payment_method = is_async

    def set_auth_failure(self: Any) -> None:
        pm = r.PaymentMethod._api_retrieve(self.payment_method)
        self.status = "failed"
        if pm.type == "us_bank_account":
            self.failure_code, self.failure_message = ACH_FAILURES.get(
                pm._ach_account, ("generic", "The payment failed.")
            )
        else:
            self.failure_code = "card_declined"
            self.failure_message = "Your card was declined."
        event("charge.failed", self)

    r.Charge._set_auth_failure = set_auth_failure
    trigger = r.Charge._trigger_payment

    def trigger_payment(self: Any, on_success: Any = None) -> None:
        if not self._is_async_payment_method():
            return trigger(self, on_success)

        async def settle() -> None:
            await asyncio.sleep(ACH_SETTLE_SECONDS)
            if self.status == "failed":  # returned before it settled
                return
            txn = r.BalanceTransaction(
                amount=self.amount,
                currency=self.currency,
                description=self.description,
                exchange_rate=1.0,
                reporting_category="charge",
                source=self.id,
                type="charge",
            )
            self.balance_transaction = txn.id
            self.status = "succeeded"
            event("charge.succeeded", self)
            if on_success:
                on_success()

        self.status = "pending"
        asyncio.ensure_future(settle())
        return None

    r.Charge._trigger_payment = trigger_payment

    # ---- payment intents: payment_method_types kept, mandates, processing event -------------------------------
    pi_init = r.PaymentIntent.__init__

    def payment_intent_init(
        self: Any,
        payment_method_types: Any = None,
        mandate: Any = None,
        description: Any = None,
        receipt_email: Any = None,
        setup_future_usage: Any = None,
        mandate_data: Any = None,
        **kwargs: Any,
    ) -> None:
        types = payment_method_types or ["card"]
        if not isinstance(types, list) or not all(t in ("card", "us_bank_account") for t in types):
            raise UserError(400, "Invalid payment_method_types")
        pi_init(self, **kwargs)
        self.payment_method_types = types
        self.description = description
        self.receipt_email = receipt_email
        self.mandate = mandate
        self._mandate_data = mandate_data

    r.PaymentIntent.__init__ = payment_intent_init
    create_charge = r.PaymentIntent._create_charge

    def payment_intent_create_charge(self: Any, on_failure_now: Any) -> None:
        pm = r.PaymentMethod._api_retrieve(self.payment_method)
        if pm.type not in self.payment_method_types:
            raise UserError(
                400,
                f"This PaymentIntent does not accept {pm.type}.",
                {"code": "payment_intent_incompatible_payment_method"},
            )
        if pm.type == "us_bank_account" and not self.mandate:
            self.mandate = Mandate(pm.id, (self._mandate_data or {}).get("customer_acceptance")).id
        create_charge(self, on_failure_now)
        if self.latest_charge is not None and self.latest_charge.status == "pending":
            event("payment_intent.processing", self)

    r.PaymentIntent._create_charge = payment_intent_create_charge

    # ---- refunds: capped at what is left, and charge.refunded -------------------------------------------------
    refund_init = r.Refund.__init__

    def refund_init_capped(
        self: Any,
        charge: Any = None,
        payment_intent: Any = None,
        amount: Any = None,
        metadata: Any = None,
        reason: Any = None,
        **kwargs: Any,
    ) -> None:
        charge_obj = (
            r.PaymentIntent._api_retrieve(payment_intent).latest_charge
            if payment_intent
            else r.Charge._api_retrieve(charge)
            if charge
            else None
        )
        if charge_obj is not None:
            left = charge_obj.amount - charge_obj.amount_refunded
            wanted = r.try_convert_to_int(amount) if amount is not None else left
            if not isinstance(wanted, int) or wanted > left or left <= 0:
                raise UserError(
                    400,
                    "Refund amount is greater than the amount left on the charge.",
                    {"code": "charge_already_refunded" if left <= 0 else "amount_too_large"},
                )
        refund_init(self, charge=charge, payment_intent=payment_intent, amount=amount, metadata=metadata, **kwargs)
        self.reason = reason
        if charge_obj is not None:
            event("charge.refunded", charge_obj)

    r.Refund.__init__ = refund_init_capped

    # ---- setup intents for bank accounts ---------------------------------------------------------------------
    si_init = r.SetupIntent.__init__

    def setup_intent_init(self: Any, payment_method_types: Any = None, **kwargs: Any) -> None:
        types = payment_method_types or ["card"]
        if not isinstance(types, list) or not all(t in ("card", "us_bank_account") for t in types):
            raise UserError(400, "Invalid payment_method_types")
        si_init(self, payment_method_types=["card"], **kwargs)
        self.payment_method_types = types
        self.mandate = None

    r.SetupIntent.__init__ = setup_intent_init

    # ---- routes localstripe lacks (checked before its own auth: they authenticate themselves) -----------------
    def authenticated(request: web.Request, data: dict[str, Any], client_secret_of: Any = None) -> None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer sk_"):
            return
        key = data.get("key", "")
        if isinstance(key, str) and key.startswith("pk_") and client_secret_of is not None:
            if data.get("client_secret") == client_secret_of:
                return
        raise UserError(401, "Unauthorized")

    def payment_method_from(data: dict[str, Any], types: list[str]) -> Any:
        if data.get("payment_method"):
            return r.PaymentMethod._api_retrieve(data["payment_method"])
        pm_data = data.get("payment_method_data")
        if isinstance(pm_data, dict):
            if pm_data.get("type") not in types:
                raise UserError(
                    400, "Payment method type not allowed here.", {"code": "payment_intent_incompatible_payment_method"}
                )
            return r.PaymentMethod(**pm_data)
        return None

    def acceptance(request: web.Request, data: dict[str, Any]) -> dict[str, Any]:
        given = (
            ((data.get("mandate_data") or {}).get("customer_acceptance"))
            if isinstance(data.get("mandate_data"), dict)
            else None
        )
        return given or {
            "type": "online",
            "online": {"ip_address": request.remote, "user_agent": request.headers.get("User-Agent", "")},
        }

    async def confirm_payment_intent(request: web.Request, data: dict[str, Any]) -> Any:
        pi = r.PaymentIntent._api_retrieve(request.match_info["id"])
        authenticated(request, data, pi.client_secret)
        if pi.status not in ("requires_payment_method", "requires_confirmation"):
            raise UserError(
                400, f"This PaymentIntent's status is {pi.status}.", {"code": "payment_intent_unexpected_state"}
            )
        pm = payment_method_from(data, pi.payment_method_types)
        if pm is not None:
            pi.payment_method = pm.id
            pi.latest_charge = None
        if not pi.payment_method:
            raise UserError(400, "A payment method is required.", {"code": "parameter_missing"})
        if isinstance(data.get("mandate_data"), dict):
            pi._mandate_data = {"customer_acceptance": acceptance(request, data)}
        try:
            pi._confirm(on_failure_now=pi._report_failure)
        except UserError as exc:
            exc.body["error"]["payment_intent"] = pi._export()
            raise
        return pi

    async def confirm_setup_intent(request: web.Request, data: dict[str, Any]) -> Any:
        si = r.SetupIntent._api_retrieve(request.match_info["id"])
        authenticated(request, data, si.client_secret)
        pm = payment_method_from(data, si.payment_method_types)
        if pm is None:
            raise UserError(400, "A payment method is required.", {"code": "parameter_missing"})
        si._attach_pm(pm)
        if si.customer:
            pm.customer = si.customer
        if si.status == "succeeded":
            if pm.type == "us_bank_account":
                si.mandate = Mandate(pm.id, acceptance(request, data)).id
            event("setup_intent.succeeded", si)
        return si

    async def ach_return(request: web.Request, data: dict[str, Any]) -> Any:
        charge = r.Charge._api_retrieve(request.match_info["id"])
        charge.status = "failed"
        charge.failure_code = data.get("code", "R01")
        charge.failure_message = data.get("message", "Insufficient funds (ACH return R01).")
        event("charge.failed", charge)
        if charge.payment_intent:
            event("payment_intent.payment_failed", r.PaymentIntent._api_retrieve(charge.payment_intent))
        return charge

    async def dispute(request: web.Request, data: dict[str, Any]) -> Any:
        charge = r.Charge._api_retrieve(request.match_info["id"])
        found = Dispute(charge, data.get("reason", "unrecognized"))
        event("charge.dispute.created", found)
        return found

    async def mandate_inactive(request: web.Request, data: dict[str, Any]) -> Any:
        mandate = Mandate._api_retrieve(request.match_info["id"])
        mandate.status = "inactive"
        event("mandate.updated", mandate)
        return mandate

    extra_routes = [
        ("POST", re.compile(r"^/v1/payment_intents/(?P<id>pi_\w+)/confirm$"), confirm_payment_intent),
        ("POST", re.compile(r"^/v1/setup_intents/(?P<id>seti_\w+)/confirm$"), confirm_setup_intent),
        ("POST", re.compile(r"^/_test/charges/(?P<id>ch_\w+)/return$"), ach_return),
        ("POST", re.compile(r"^/_test/charges/(?P<id>ch_\w+)/dispute$"), dispute),
        ("POST", re.compile(r"^/_test/mandates/(?P<id>mandate_\w+)/inactivate$"), mandate_inactive),
    ]

    # ---- idempotency keys, as Stripe keeps them: the same key answers the first response again ----------------
    answered: dict[str, tuple[str, int, bytes]] = {}
    locks: dict[str, asyncio.Lock] = {}

    @web.middleware
    async def extensions(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "DELETE" and request.path == "/_config/data":
            answered.clear()  # a test starting from scratch forgets the keys too
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        if not key:
            return await dispatch(request, handler)
        body = await request.read()
        fingerprint = hashlib.sha256(request.path.encode() + b"\n" + body).hexdigest()
        async with locks.setdefault(key, asyncio.Lock()):
            if key in answered:
                first_fingerprint, status, payload = answered[key]
                if first_fingerprint != fingerprint:
                    return server.json_response(
                        {
                            "error": {
                                "type": "idempotency_error",
                                "message": "Keys for idempotent requests can only "
                                "be used with the same parameters they were first used with.",
                            }
                        },
                        status=400,
                    )
                return web.Response(
                    body=payload,
                    status=status,
                    content_type="application/json",
                    headers={"Idempotent-Replayed": "true"},
                )
            response = await dispatch(request, handler)
            if isinstance(response, web.Response) and response.status < 500:
                answered[key] = (
                    fingerprint,
                    response.status,
                    cast(bytes, response.body or b""),
                )  # json_response bodies are bytes
            return response

    async def dispatch(request: web.Request, handler: Any) -> web.StreamResponse:
        for method, pattern, func in extra_routes:
            found = pattern.match(request.path) if request.method == method else None
            if found:
                data = await server.get_post_data(request, remove_auth=False) or {}
                obj = await func(
                    cast(web.Request, _MatchProxy(request, found.groupdict())), data
                )  # a Request with match_info
                return server.json_response(obj._export())
        return await handler(request)

    server.app.middlewares.insert(1, extensions)  # after localstripe's error handler, before its auth

    # ---- the stand-in Stripe.js: localstripe's, plus what the portal's pages call ------------------------------
    async def stripe_js(request: web.Request) -> web.Response:
        base = (Path(server.__file__).parent / "localstripe-v3.js").read_text()
        return web.Response(text=base + "\n" + STRIPE_JS_EXTENSION, content_type="application/javascript")

    for resource in list(server.app.router.resources()):
        if resource.canonical == "/js.stripe.com/v3/":
            for route in resource:
                route._handler = stripe_js
    return server.app


class _MatchProxy:
    """The request with the path ids our regex routes matched (aiohttp's match_info is read-only)."""

    def __init__(self, request: Any, ids: dict[str, str]) -> None:
        self._request = request
        self.match_info = ids

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)


STRIPE_JS_EXTENSION = r"""
// ---- portal stand-in extensions (portal/demo/stripe_stand_in.py) ----
(function () {
  const base = LOCALSTRIPE_BASE_API;
  const mount = Element.prototype.mount;
  const names = {number: 'Card number', exp_month: 'Expiry month (MM)', exp_year: 'Expiry year (YY)',
                 cvc: 'Security code (CVC)', postal_code: 'Billing ZIP code'};
  Element.prototype.mount = function (target) {
    mount.call(this, target);
    Object.keys(this._inputs || {}).forEach(field => {
      const input = this._inputs[field];
      input.setAttribute('aria-label', names[field]);
      input.setAttribute('inputmode', 'numeric');
      input.setAttribute('autocomplete', 'off');
      input.setAttribute('name', 'stripe-' + field);
    });
    this._domChildren[0].setAttribute('aria-hidden', 'true');
  };
  async function post(url, body) {
    try {
      const response = await fetch(url, {method: 'POST', body: JSON.stringify(body)});
      const json = await response.json().catch(() => ({}));
      return response.ok && !json.error ? {ok: json} : {error: json.error || {message: 'Network error'}};
    } catch (err) {
      return {error: {message: String(err)}};
    }
  }
  function paymentMethodData(type, data) {
    const pm = Object.assign({}, (data && data.payment_method) || {});
    if (pm.card instanceof Element) {
      const element = pm.card;
      pm.card = element.value ? element.value.card : {};
      pm.billing_details = pm.billing_details || {};
      pm.billing_details.address = Object.assign({postal_code: element.value ? element.value.postal_code : ''},
                                                  pm.billing_details.address || {});
    }
    return Object.assign({type: type}, pm);
  }
  const original = window.Stripe;
  window.Stripe = Stripe = function (apiKey) {
    const stripe = original(apiKey);
    const confirm3ds = stripe.confirmCardPayment;
    stripe.confirmCardPayment = async (clientSecret, data) => {
      const pi = clientSecret.match(/^(pi_\w+)_secret_/)[1];
      const result = await post(`${base}/v1/payment_intents/${pi}/confirm`, {
        key: apiKey, client_secret: clientSecret, payment_method_data: paymentMethodData('card', data)});
      if (result.error) return {error: result.error};
      if (result.ok.status === 'requires_action') return confirm3ds(clientSecret, data);
      return {paymentIntent: result.ok};
    };
    stripe.confirmUsBankAccountPayment = async (clientSecret, data) => {
      const pi = clientSecret.match(/^(pi_\w+)_secret_/)[1];
      const result = await post(`${base}/v1/payment_intents/${pi}/confirm`, {
        key: apiKey, client_secret: clientSecret, payment_method_data: paymentMethodData('us_bank_account', data),
        mandate_data: {customer_acceptance: {type: 'online', online: {user_agent: navigator.userAgent}}}});
      return result.error ? {error: result.error} : {paymentIntent: result.ok};
    };
    stripe.confirmUsBankAccountSetup = async (clientSecret, data) => {
      const seti = clientSecret.match(/^(seti_\w+)_secret_/)[1];
      const result = await post(`${base}/v1/setup_intents/${seti}/confirm`, {
        key: apiKey, client_secret: clientSecret, payment_method_data: paymentMethodData('us_bank_account', data),
        mandate_data: {customer_acceptance: {type: 'online', online: {user_agent: navigator.userAgent}}}});
      return result.error ? {error: result.error} : {setupIntent: result.ok};
    };
    return stripe;
  };
})();
"""


# ---- running it ---------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def available() -> bool:
    try:
        import localstripe  # noqa: F401 - imported only to learn whether it is installed
    except ImportError:
        return False
    return True


def start(
    port: int | None = None, *, log: Any = subprocess.DEVNULL, timeout: float = 20.0
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the stand-in in its own process on localhost; answer (process, base URL) once it serves."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.demo.stripe_stand_in", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Stripe stand-in exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=1) as answer:
                if answer.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the Stripe stand-in did not start")


def register_webhook(base_url: str, endpoint_url: str, secret: str, name: str = "portal") -> None:
    """Ask the stand-in to send every event to endpoint_url, signed with secret (Stripe-Signature)."""
    data = f"url={urllib.parse.quote(endpoint_url, safe='')}&secret={urllib.parse.quote(secret, safe='')}".encode()
    request = urllib.request.Request(f"{base_url}/_config/webhooks/{name}", data=data, method="POST")
    with urllib.request.urlopen(request, timeout=5):
        pass


def start_for_demo(app_port: int, echo: Any = print) -> subprocess.Popen[bytes] | None:
    """`portal demo` without STRIPE_API_KEY: start the stand-in, point this process's settings at it and its
    webhooks at the demo app. None (payments off) when a key is set or localstripe is not installed."""
    import atexit
    import os

    if os.environ.get("STRIPE_API_KEY"):
        return None
    if not available():
        echo("Payments are off: no STRIPE_API_KEY and localstripe is not installed (pip install -e '.[demo]').")
        return None
    process, url = start()
    atexit.register(process.terminate)
    secret = "whsec_demo_" + hashlib.sha256(url.encode()).hexdigest()[:16]
    os.environ.update(
        {
            "STRIPE_API_KEY": "sk_test_demo",
            "STRIPE_PUBLISHABLE_KEY": "pk_test_demo",
            "STRIPE_API_BASE": url,
            "STRIPE_JS_URL": f"{url}/js.stripe.com/v3/",
            "STRIPE_WEBHOOK_SECRET": secret,
        }
    )
    register_webhook(url, f"http://127.0.0.1:{app_port}/payments/webhook", secret)
    echo(
        f"Payments go to a local Stripe stand-in at {url} (card 4242 4242 4242 4242 pays, 4000 0000 0000 0341 "
        "is declined; bank routing 110000000, account 000123456789)."
    )
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--host", default="localhost")
    args = parser.parse_args()
    from aiohttp import web

    app = _install()
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
