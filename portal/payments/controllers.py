"""Payment pages (pay a bill signed in or as a guest, checkout with Stripe.js, receipt), bank draft enrolment, and
the Stripe webhook. Handlers parse, call a service, and render or redirect."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from decimal import Decimal
from typing import Any

import stripe
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import access, numbers, refund_queue, throttle
from portal.accounts.errors import DomainError, NotFound
from portal.accounts.models import Account, BankDraftStatus, Customer, OnlinePayment, RefundStatus, Role
from portal.accounts.policy import current_policy
from portal.i18n import format_money
from portal.i18n import gettext as _
from portal.settings import Settings
from portal.web import guards
from portal.web.deps import AppSettings, DbSession, FromPath, FromQuery
from portal.web.flash import flash
from portal.web.identity import actor_of, client_ip
from portal.web.urls import redirect_to, url

from . import autopay, refund_requests, rules, services
from .forms import AutopayForm, GuestLookupForm, PayForm, StaffRefundForm
from .gateway import Gateway, PaymentsUnavailable

log = logging.getLogger("portal.payments")

GUEST_SESSION = "guest_pay"
STARTED_SESSION = "payments"
GUEST_MINUTES = 30
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)

_contexts: dict[tuple[object, ...], services.Context] = {}


def payments_context(settings: Settings) -> services.Context:
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
        found = _contexts[key] = services.Context.of(Gateway.from_settings(settings), settings)
    return found


def _stripe_page_context(settings: Settings) -> dict[str, Any]:
    return {"stripe_js_url": settings.stripe_js_url}


def _json(value: dict[str, Any]) -> str:
    """JSON for a <script type="application/json"> block: no "</script>" can end it early."""
    return json.dumps(value).replace("<", "\\u003c")


def _unavailable() -> Template:
    return Template("payments/unavailable.html", status_code=503)


async def _account_for_payer(request: Request, db: AsyncSession, number: str) -> tuple[Account, bool]:
    """The account this visitor may pay: a resident's own, or the one a guest just looked up. (account, is_guest)."""
    user = request.user
    if user is not None and user.role == Role.CUSTOMER:
        return await access.account_for(db, user.id, user.role, number), False
    guest = request.session.get(GUEST_SESSION) if isinstance(request.session, dict) else None
    if guest and user is None:
        fresh = dt.datetime.now(dt.UTC).timestamp() - guest.get("at", 0) < GUEST_MINUTES * 60
        account = await db.get(Account, guest.get("account"))
        if fresh and account is not None and numbers.normalize(number) == account.number:
            return account, True
    raise NotFound(_("We could not find that account."))


def _may_see(request: Request, payment: OnlinePayment, linked: bool) -> bool:
    started = request.session.get(STARTED_SESSION, []) if isinstance(request.session, dict) else []
    user = request.user
    return linked or payment.confirmation in started or (user is not None and user.is_staff)


async def _payment_for(request: Request, db: AsyncSession, confirmation: str) -> OnlinePayment:
    payment = await services.payment_by_confirmation(db, confirmation)
    if payment is None:
        raise NotFound(_("We could not find that payment."))
    linked = False
    if request.user is not None and request.user.role == Role.CUSTOMER:
        account = await db.get(Account, payment.account_id)
        try:
            await access.account_for(db, request.user.id, request.user.role, account.number if account else "")
            linked = True
        except NotFound:
            linked = False
    if not _may_see(request, payment, linked):
        raise NotFound(_("We could not find that payment."))
    return payment


async def _guest_limit(maker: Any, policy: Any, number: str, ip: str) -> rules.GuestLookupLimit:
    return rules.guest_lookup_limit(
        policy,
        client_account_failures=await throttle.count(maker, "guest_pay_client", f"{ip}|{number}", HOUR),
        account_failures=await throttle.count(maker, "guest_pay_acct", number, DAY),
        client_failures=await throttle.count(maker, "guest_pay_ip", ip, HOUR),
    )


def _paused(pause: str) -> str:
    if pause == "day":
        return _(
            "Too many tries. For your security, look-ups for this account are paused for a day. Sign in, or call us."
        )
    return _(
        "Too many tries. For your security, look-ups are paused for an hour. Try again later, sign in, or call us."
    )


class PayController(Controller):
    path = "/pay"

    @get("/", name="pay")
    async def start(self, request: Request, db_session: DbSession) -> Template | Redirect:
        user = request.user
        if user is not None and user.role != Role.CUSTOMER:
            return redirect_to(user.home_route)
        if user is not None:
            accounts = await access.linked_accounts(db_session, user.id)
            if len(accounts) == 1:
                return redirect_to("pay.account", number=accounts[0].number)
            dues = {a.id: await services.amount_due(db_session, a.id) for a in accounts}
            return Template("payments/choose.html", context={"accounts": accounts, "dues": dues})
        return Template("payments/guest.html", context={"form": GuestLookupForm()})

    @post("/guest", name="pay.guest")
    async def guest_lookup(self, request: Request, db_session: DbSession) -> Template | Redirect:
        form = await GuestLookupForm.from_request(request)
        if not form.validate():
            return Template("payments/guest.html", context={"form": form}, status_code=400)
        policy = current_policy()
        maker = request.app.state.sessionmaker
        number = numbers.normalize(form.account_number.data)
        ip = client_ip(request)
        limit = await _guest_limit(maker, policy, number, ip)
        if limit.locked:
            form.add_form_error(_paused(limit.pause))
            return Template("payments/guest.html", context={"form": form}, status_code=429)
        account = await access.match_account(db_session, number, form.zip_code.data)
        if account is None:
            await throttle.hit(maker, "guest_pay_client", f"{ip}|{number}")
            await throttle.hit(maker, "guest_pay_acct", number)
            await throttle.hit(maker, "guest_pay_ip", ip)
            # One message for the form, never "the ZIP is wrong": that would tell anyone the account number exists.
            form.add_form_error(
                _("That account number and ZIP code do not match our records. Check both and try again.")
            )
            limit = await _guest_limit(maker, policy, number, ip)
            if limit.locked:
                form.add_form_error(_paused(limit.pause))
            elif limit.warn:
                form.add_form_error(
                    _("One try left before a 1-hour pause.")
                    if limit.pause == "hour"
                    else _("One try left before a 1-day pause.")
                )
            return Template("payments/guest.html", context={"form": form}, status_code=400)
        request.session[GUEST_SESSION] = {"account": account.id, "at": dt.datetime.now(dt.UTC).timestamp()}
        return redirect_to("pay.account", number=account.number)

    @get("/{number:str}", name="pay.account")
    async def form_page(
        self, request: Request, db_session: DbSession, number: FromPath[str], bill: FromQuery[str | None] = None
    ) -> Template:
        account, guest = await _account_for_payer(request, db_session, number)
        due = await services.amount_due(db_session, account.id)
        # "Pay this bill" on a bill page: offer that bill's amount (a bill of another account is ignored).
        paying = await services.bill_of_account(db_session, account.id, rules.parse_id(bill))
        amount = rules.bill_amount_to_pay(paying.previous_balance_cents + paying.total_cents, due) if paying else due
        form = PayForm(amount=f"{amount / 100:.2f}" if amount else "", claim=secrets.token_urlsafe(16))
        context = await self._pay_context(db_session, account, guest, due, form)
        return Template("payments/pay.html", context={**context, "bill": paying})

    @post("/{number:str}", name="pay.account.submit")
    async def submit(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Template | Redirect:
        account, guest = await _account_for_payer(request, db_session, number)
        due = await services.amount_due(db_session, account.id)
        form = await PayForm.from_request(request)
        valid = form.validate()
        if guest and not form.email.data:
            form.add_error("email", _("Enter an email address for your receipt."))
            valid = False
        if not form.claim.data:
            form.claim.data = secrets.token_urlsafe(16)
        if not valid:
            return Template(
                "payments/pay.html",
                context=await self._pay_context(db_session, account, guest, due, form),
                status_code=400,
            )
        try:
            ctx = payments_context(settings)
        except PaymentsUnavailable:
            return _unavailable()
        try:
            payment = await services.start_payment(
                db_session,
                ctx,
                actor_of(request),
                account=account,
                amount_cents=form.amount_cents,
                method=form.method.data,
                channel="guest" if guest else "signed_in",
                claim_key=f"web:{form.claim.data}",
                receipt_email=form.email.data or None,
            )
        except services.PaymentProblem as problem:
            form.add_error(problem.field or "amount", problem.message)
            return Template(
                "payments/pay.html",
                context=await self._pay_context(db_session, account, guest, due, form),
                status_code=400,
            )
        started = list(request.session.get(STARTED_SESSION, []))[-9:]
        request.session[STARTED_SESSION] = [*started, payment.confirmation]
        return redirect_to("payments.checkout", confirmation=payment.confirmation)

    async def _pay_context(
        self, db: AsyncSession, account: Account, guest: bool, due: int, form: PayForm
    ) -> dict[str, Any]:
        context: dict[str, Any] = {"account": account, "guest": guest, "due": due, "form": form}
        if not guest:
            customer = await db.get(Customer, account.customer_id)
            if form.email.data is None and customer is not None:
                form.email.data = customer.email
        return context


class PaymentController(Controller):
    path = "/payments"

    @get("/{confirmation:str}/checkout", name="payments.checkout")
    async def checkout(
        self, request: Request, db_session: DbSession, settings: AppSettings, confirmation: FromPath[str]
    ) -> Template | Redirect:
        payment = await _payment_for(request, db_session, confirmation)
        if payment.status in ("succeeded", "processing", "returned"):
            return redirect_to("payments.receipt", confirmation=payment.confirmation)
        try:
            ctx = payments_context(settings)
            secret = await services.client_secret(ctx, payment)
        except (PaymentsUnavailable, stripe.StripeError):
            return _unavailable()
        config = {
            "publishableKey": ctx.gateway.publishable_key,
            "clientSecret": secret,
            "method": payment.method,
            "returnUrl": url(request, "payments.returned", confirmation=payment.confirmation),
            "messages": {
                "failed": _("The payment did not go through: %(reason)s"),
                "working": _("Paying…"),
                "agree": _("Tick the box to authorize the debit."),
                "bank": _("Enter the routing number (9 digits) and the account number."),
            },
        }
        account = await db_session.get(Account, payment.account_id)
        return Template(
            "payments/checkout.html",
            context={"payment": payment, "account": account, "config": _json(config), **_stripe_page_context(settings)},
        )

    @get("/{confirmation:str}/return", name="payments.returned")
    async def returned(
        self, request: Request, db_session: DbSession, settings: AppSettings, confirmation: FromPath[str]
    ) -> Redirect:
        payment = await _payment_for(request, db_session, confirmation)
        try:
            ctx = payments_context(settings)
        except PaymentsUnavailable:
            return redirect_to("payments.receipt", confirmation=payment.confirmation)
        if payment.intent_id:
            try:
                await services.sync_intent(db_session, ctx, actor_of(request), payment.intent_id)
            except stripe.StripeError:
                # Stripe is unreachable: the webhook will settle it; the receipt shows what we know now.
                log.warning("could not reach Stripe for %s on the return page", payment.intent_id)
                return redirect_to("payments.receipt", confirmation=payment.confirmation)
        if payment.status in ("failed", "requires_payment_method"):
            flash(
                request,
                _("The payment did not go through: %(reason)s", reason=payment.failure_message or _("declined")),
                "error",
            )
            return redirect_to("payments.checkout", confirmation=payment.confirmation)
        return redirect_to("payments.receipt", confirmation=payment.confirmation)

    @get("/{confirmation:str}", name="payments.receipt")
    async def receipt(self, request: Request, db_session: DbSession, confirmation: FromPath[str]) -> Template:
        payment = await _payment_for(request, db_session, confirmation)
        account = await db_session.get(Account, payment.account_id)
        return Template("payments/receipt.html", context={"payment": payment, "account": account})

    @post("/webhook", exclude_from_csrf=True, name="payments.webhook")
    async def webhook(self, request: Request, db_session: DbSession, settings: AppSettings) -> Response:
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
            outcome = await services.handle_event(db_session, ctx, event)
        except stripe.StripeError:
            # We could not look the object up: answer an error so Stripe sends the event again later.
            await db_session.rollback()
            return Response({"error": "stripe unreachable, retry"}, status_code=503)
        log.info("stripe event %s %s: %s", event["id"], event["type"], outcome)
        return Response({"received": True, "outcome": outcome}, status_code=200)


class AutopayController(Controller):
    path = "/autopay"
    guards = [guards.customer]

    @get("/{number:str}", name="payments.autopay")
    async def page(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Template:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        draft = await autopay.current_draft(db_session, account.id)
        try:
            text = autopay.authorization_text(payments_context(settings), account.number)
        except PaymentsUnavailable:
            return _unavailable()
        return Template(
            "payments/autopay.html", context={"account": account, "draft": draft, "text": text, "form": AutopayForm()}
        )

    @post("/{number:str}", name="payments.autopay.enrol")
    async def enrol(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Template | Redirect:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        try:
            ctx = payments_context(settings)
        except PaymentsUnavailable:
            return _unavailable()
        text = autopay.authorization_text(ctx, account.number)
        form = await AutopayForm.from_request(request)
        if not form.validate():
            draft = await autopay.current_draft(db_session, account.id)
            return Template(
                "payments/autopay.html",
                context={"account": account, "draft": draft, "text": text, "form": form},
                status_code=400,
            )
        draft, _secret = await autopay.start_enrolment(
            db_session, ctx, actor_of(request), account=account, text=text, ip=client_ip(request)
        )
        return redirect_to("payments.autopay.bank", number=account.number, draft_id=draft.id)

    @get("/{number:str}/bank/{draft_id:int}", name="payments.autopay.bank")
    async def bank(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        number: FromPath[str],
        draft_id: FromPath[int],
    ) -> Template | Redirect:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        draft = await autopay.current_draft(db_session, account.id)
        if draft is None or draft.id != draft_id:
            raise NotFoundException()
        if draft.status != BankDraftStatus.PENDING:
            return redirect_to("payments.autopay", number=account.number)
        try:
            ctx = payments_context(settings)
            setup = await ctx.gateway.retrieve_setup_intent(draft.stripe_setup_intent_id or "")
        except (PaymentsUnavailable, stripe.StripeError):
            return _unavailable()
        config = {
            "publishableKey": ctx.gateway.publishable_key,
            "clientSecret": setup.client_secret,
            "method": "us_bank_account",
            "mode": "setup",
            "returnUrl": url(request, "payments.autopay.enrolled", number=account.number, draft_id=draft.id),
            "messages": {
                "failed": _("We could not set up that bank account: %(reason)s"),
                "working": _("Saving…"),
                "agree": "",
                "bank": _("Enter the routing number (9 digits) and the account number."),
            },
        }
        return Template(
            "payments/autopay_bank.html",
            context={"account": account, "draft": draft, "config": _json(config), **_stripe_page_context(settings)},
        )

    @get("/{number:str}/return/{draft_id:int}", name="payments.autopay.enrolled")
    async def enrolled(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        number: FromPath[str],
        draft_id: FromPath[int],
    ) -> Redirect:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        draft = await autopay.current_draft(db_session, account.id)
        if draft is not None and draft.id == draft_id and draft.stripe_setup_intent_id:
            draft = await autopay.sync_setup_intent(
                db_session, payments_context(settings), actor_of(request), draft.stripe_setup_intent_id
            )
            if draft is not None and draft.status == BankDraftStatus.ACTIVE:
                flash(request, _("Automatic bank draft is on. Each bill will be drafted on its due date."), "success")
        return redirect_to("payments.autopay", number=account.number)

    @post("/{number:str}/cancel", name="payments.autopay.cancel")
    async def cancel(self, request: Request, db_session: DbSession, number: FromPath[str]) -> Redirect:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        draft = await autopay.current_draft(db_session, account.id)
        if draft is not None and await autopay.cancel(db_session, actor_of(request), draft):
            flash(request, _("Automatic bank draft is cancelled. Pay each bill yourself from now on."), "success")
        return redirect_to("payments.autopay", number=account.number)


_supervisors = guards.supervisor  # the class body's `guards` list hides the module below


class StaffRefundController(Controller):
    """The console's refund screen (refunds belong to the payments side): a credit balance back to the customer,
    with a reason; over the policy's limit a supervisor who did not ask sends it from /staff/approvals."""

    path = "/staff"
    guards = [guards.staff]

    async def _page(
        self,
        request: Request,
        db: AsyncSession,
        settings: Settings,
        account: Account,
        form: StaffRefundForm,
        status_code: int = 200,
    ) -> Template:
        return Template(
            "payments/staff_refund.html",
            context={
                "facts": await refund_requests.facts(db, account),
                "form": form,
                "online": _online(settings),
                "requests": await refund_queue.for_account(db, account.id),
                "threshold_cents": current_policy().refund_supervisor_threshold_cents,
            },
            status_code=status_code,
        )

    @get("/accounts/{number:str}/refund", name="staff.refund")
    async def page(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Template:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        found = await refund_requests.facts(db_session, account)
        method = "online" if _online(settings) and found.refundable_online_cents >= found.credit_cents > 0 else "check"
        form = StaffRefundForm(
            data={"amount": Decimal(found.credit_cents) / 100, "method": method, "claim": secrets.token_urlsafe(16)}
        )
        return await self._page(request, db_session, settings, account, form)

    @post("/accounts/{number:str}/refund", name="staff.refund.create")
    async def create(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Template | Redirect:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        form = await StaffRefundForm.from_request(request)
        if not form.claim.data:
            form.claim.data = secrets.token_urlsafe(16)
        if form.validate():
            try:
                refund = await refund_requests.request_refund(
                    db_session,
                    _context_or_none(settings),
                    actor_of(request),
                    current_policy(),
                    account,
                    amount_cents=form.amount_cents,
                    method=form.method.data,
                    reason=form.reason.data,
                    check_number=form.check_number.data or "",
                    claim_key=f"staff:{form.claim.data}",
                )
            except DomainError as problem:
                form.add_error(
                    problem.field if problem.field and hasattr(form, problem.field) else "amount", problem.message
                )
            else:
                if refund.status == RefundStatus.PENDING_APPROVAL:
                    flash(request, _("Over the limit: the refund waits for a supervisor's approval."), "warning")
                else:
                    flash(request, _("Refund of %(amount)s sent.", amount=format_money(refund.amount_cents)), "success")
                return redirect_to("staff.account", number=account.number, anchor="ledger")
        return await self._page(request, db_session, settings, account, form, 400)

    @post("/refunds/{request_id:int}/{decision:str}", guards=[_supervisors], name="staff.refunds.decide")
    async def decide(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        request_id: FromPath[int],
        decision: FromPath[str],
    ) -> Redirect:
        if decision not in ("approve", "reject"):
            raise NotFound(_("No such decision."))
        note = str((await request.form()).get("note", ""))
        refund = await refund_requests.decide(
            db_session,
            _context_or_none(settings),
            actor_of(request),
            request_id,
            approve=decision == "approve",
            note=note,
        )
        if refund.status == RefundStatus.SENT:
            flash(request, _("Refund of %(amount)s sent.", amount=format_money(refund.amount_cents)), "success")
        else:
            flash(request, _("Refund rejected."), "info")
        return redirect_to("staff.approvals")


def _online(settings: Settings) -> bool:
    return bool(settings.stripe_api_key)


def _context_or_none(settings: Settings) -> services.Context | None:
    try:
        return payments_context(settings)
    except PaymentsUnavailable:
        return None


ROUTES: list[object] = [PayController, PaymentController, AutopayController, StaffRefundController]
