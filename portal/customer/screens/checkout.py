"""Paying with Stripe.js, the return from Stripe, and the receipt: for the resident or guest who started the payment
(or staff)."""

from __future__ import annotations

import logging

import stripe
from litestar import Controller, Request, get
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import access
from portal.accounts.errors import NotFound
from portal.accounts.models import Account, OnlinePayment, Role
from portal.i18n import gettext as _
from portal.payments import services
from portal.payments.gateway import PaymentsUnavailable
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath
from portal.web.flash import flash
from portal.web.payments import payments_context
from portal.web.stripe_pages import script_json, stripe_page_context, unavailable
from portal.web.urls import redirect_to, url

log = logging.getLogger("portal.payments")

STARTED_SESSION = "payments"  # the confirmation numbers this browser started, so a guest may see their receipt


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


class PaymentController(Controller):
    path = "/payments"

    @get("/{confirmation:str}/checkout", name="payments.checkout")
    async def checkout(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        policy: CurrentPolicy,
        confirmation: FromPath[str],
    ) -> Template | Redirect:
        payment = await _payment_for(request, db_session, confirmation)
        if payment.status in ("succeeded", "processing", "returned"):
            return redirect_to("payments.receipt", confirmation=payment.confirmation)
        try:
            ctx = payments_context(settings)
            secret = await services.client_secret(ctx, payment)
        except (PaymentsUnavailable, stripe.StripeError):
            return unavailable()
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
            context={
                "payment": payment,
                "account": account,
                "config": script_json(config),
                "returned_fee_cents": policy.returned_payment_fee_cents,
                **stripe_page_context(settings),
            },
        )

    @get("/{confirmation:str}/return", name="payments.returned")
    async def returned(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        actor: CurrentActor,
        confirmation: FromPath[str],
    ) -> Redirect:
        payment = await _payment_for(request, db_session, confirmation)
        try:
            ctx = payments_context(settings)
        except PaymentsUnavailable:
            return redirect_to("payments.receipt", confirmation=payment.confirmation)
        if payment.intent_id:
            try:
                await services.sync_intent(db_session, ctx, actor, payment.intent_id)
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


ROUTES: list[ControllerRouterHandler] = [PaymentController]
