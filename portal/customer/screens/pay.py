"""Paying a bill: signed in (one's own accounts) or as a guest after an account number and ZIP look-up, then how
much and how; the payment starts here and goes on at the checkout (screens/checkout.py)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal import i18n
from portal.accounts import access, numbers, throttle
from portal.accounts.errors import NotFound
from portal.accounts.models import Account, Customer, Role
from portal.accounts.policy import Policy
from portal.billing.amount_due import bill_amount_due
from portal.i18n import format_money
from portal.i18n import gettext as _
from portal.payments import rules, services
from portal.payments.gateway import PaymentsUnavailable
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, FromQuery
from portal.web.forms import filled
from portal.web.identity import client_ip
from portal.web.payments import payments_context
from portal.web.stripe_pages import unavailable
from portal.web.urls import redirect_to

from ..pay_forms import GuestLookupForm, PayForm
from .checkout import STARTED_SESSION

GUEST_SESSION = "guest_pay"
GUEST_MINUTES = 30
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


async def _account_for_payer(request: Request, db: AsyncSession, number: str) -> tuple[Account, bool]:
    """The account this visitor may pay: a resident's own, or the one a guest just looked up. (account, is_guest)."""
    user = request.user
    if user is not None and user.role == Role.CUSTOMER:
        return await access.account_for(db, user.id, user.role, number), False
    guest = _guest_account(request) if user is None else None
    if guest is not None:
        account = await db.get(Account, guest)
        if account is not None and numbers.normalize(number) == account.number:
            return account, True
    raise NotFound(_("We could not find that account."))


def _guest_account(request: Request) -> int | None:
    """The account id a guest looked up in the last GUEST_MINUTES."""
    guest = request.session.get(GUEST_SESSION) if isinstance(request.session, dict) else None
    if not guest or dt.datetime.now(dt.UTC).timestamp() - guest.get("at", 0) >= GUEST_MINUTES * 60:
        return None
    return guest.get("account")


async def _guest_limit(maker: Any, policy: Policy, number: str, ip: str) -> rules.GuestLookupLimit:
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


async def _pay_context(db: AsyncSession, account: Account, guest: bool, due: int, form: PayForm) -> dict[str, Any]:
    context: dict[str, Any] = {"account": account, "guest": guest, "due": due, "form": form}
    if not guest:
        customer = await db.get(Customer, account.customer_id)
        if form.email.data is None and customer is not None:
            form.email.data = customer.email
    return context


class PayController(Controller):
    path = "/pay"

    @get("/", name="pay")
    async def start(
        self, request: Request, db_session: DbSession, account: FromQuery[str | None] = None
    ) -> Template | Redirect:
        user = request.user
        if user is not None and user.role != Role.CUSTOMER:
            return redirect_to(user.home_route)
        if user is not None:
            accounts = await access.linked_accounts(db_session, user.id)
            if len(accounts) == 1:
                return redirect_to("pay.account", number=accounts[0].number)
            dues = {a.id: await services.amount_due(db_session, a.id) for a in accounts}
            return Template("payments/choose.html", context={"accounts": accounts, "dues": dues})
        # From a pay link opened signed out (an email, a bookmark): the number is filled in, the ZIP still asked.
        typed = numbers.normalize(account) if account and numbers.is_valid(account) else ""
        return Template("payments/guest.html", context={"form": GuestLookupForm(account_number=typed)})

    @post("/guest", name="pay.guest")
    async def guest_lookup(self, request: Request, db_session: DbSession, policy: CurrentPolicy) -> Template | Redirect:
        form = await GuestLookupForm.from_request(request)
        if not form.validate():
            return Template("payments/guest.html", context={"form": form}, status_code=400)
        maker = request.app.state.sessionmaker
        number = numbers.normalize(filled(form.account_number.data))
        ip = client_ip(request)
        limit = await _guest_limit(maker, policy, number, ip)
        if limit.locked:
            form.add_form_error(_paused(limit.pause))
            return Template("payments/guest.html", context={"form": form}, status_code=429)
        account = await access.match_account(db_session, number, filled(form.zip_code.data))
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
    ) -> Template | Redirect:
        try:
            account, guest = await _account_for_payer(request, db_session, number)
        except NotFound:
            if request.user is not None:
                raise
            # A pay link opened signed out was a 404 ("We could not find that account"): look it up, or sign in.
            if not numbers.is_valid(number):
                return redirect_to("pay")
            return redirect_to("pay", query={"account": numbers.normalize(number)})
        due = await services.amount_due(db_session, account.id)
        # "Pay this bill" on a bill page: offer that bill's amount (a bill of another account is ignored).
        paying = await services.bill_of_account(db_session, account.id, rules.parse_id(bill))
        amount = rules.bill_amount_to_pay(await bill_amount_due(db_session, paying), due) if paying else due
        form = PayForm(amount=f"{amount / 100:.2f}" if amount else "", claim=secrets.token_urlsafe(16))
        context = await _pay_context(db_session, account, guest, due, form)
        return Template("payments/pay.html", context={**context, "bill": paying})

    @post("/{number:str}", name="pay.account.submit")
    async def submit(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        actor: CurrentActor,
        policy: CurrentPolicy,
        number: FromPath[str],
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
        extra = rules.overpayment_to_confirm(form.amount_cents, due, policy) if valid else None
        if extra is not None and not form.more_than_owed.data:
            form.add_error(
                "amount",
                _(
                    "That is %(extra)s more than the %(due)s owed. Check the amount, or tick the box below to pay it.",
                    extra=format_money(extra),
                    due=format_money(max(due, 0)),
                ),
            )
            valid = False
        if not valid:
            return Template(
                "payments/pay.html",
                context={**await _pay_context(db_session, account, guest, due, form), "ask_more": extra is not None},
                status_code=400,
            )
        try:
            ctx = payments_context(settings)
        except PaymentsUnavailable:
            return unavailable()
        try:
            payment = await services.start_payment(
                db_session,
                ctx,
                actor,
                account=account,
                amount_cents=form.amount_cents,
                method=form.method.data,
                channel="guest" if guest else "signed_in",
                claim_key=f"web:{form.claim.data}",
                receipt_email=form.email.data or None,
                language=i18n.current(),
            )
        except services.PaymentProblem as problem:
            form.add_error(problem.field or "amount", problem.message)
            return Template(
                "payments/pay.html",
                context=await _pay_context(db_session, account, guest, due, form),
                status_code=400,
            )
        started = list(request.session.get(STARTED_SESSION, []))[-9:]
        request.session[STARTED_SESSION] = [*started, payment.confirmation]
        return redirect_to("payments.checkout", confirmation=payment.confirmation)


ROUTES: list[ControllerRouterHandler] = [PayController]
