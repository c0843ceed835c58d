"""The counter: open a cash drawer, take payments with receipts, void a receipt (asked, then confirmed by a second
person after a review of what it reverses), close the drawer with its counts.

A payment takes two steps without JavaScript: "Check" shows whose account the typed number is (name, address,
balance) and carries that account's id; "Post payment" posts only if the number still names that account. With
JavaScript the card appears as the number is typed (the `staff.drawer.card` fragment), so one press posts."""

from __future__ import annotations

from decimal import Decimal

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.accounts.errors import Conflict, DomainError
from portal.accounts.models import Tender, User
from portal.i18n import gettext as _
from portal.payments import rules as payment_rules
from portal.web import guards, params
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, FromQuery, Today
from portal.web.flash import flash
from portal.web.urls import redirect_to

from .. import cashier, rules
from ..forms import CloseDrawerForm, CounterPaymentForm, OpenDrawerForm, VoidForm, cents
from ._params import refusal_field


async def _page(
    request: Request,
    db_session: DbSession,
    status_code: int = 200,
    lookup: cashier.Lookup | None = None,
    **forms: object,
) -> Template:
    drawer = await cashier.open_drawer_of(db_session, request.user.id)
    receipts = await cashier.receipts_in(db_session, drawer.id) if drawer else []
    context = {
        "drawer": drawer,
        "receipts": receipts,
        "open_form": OpenDrawerForm(data={"opening_float": Decimal("100.00")}),
        "pay_form": CounterPaymentForm(),
        "close_form": CloseDrawerForm(),
        "kept_total": cashier.kept_total(receipts),
        "lookup": lookup,
        **forms,
    }
    pay_form = context["pay_form"]
    if isinstance(pay_form, CounterPaymentForm) and not pay_form.once.data:
        pay_form.once.data = cashier.new_once()  # a fresh form, a fresh token; a form shown again keeps its own
    return Template("staff/drawer.html", context=context, status_code=status_code)


async def _receipt_page(
    db_session: DbSession, settings: AppSettings, number: int, form: VoidForm, status_code: int = 200
) -> Template:
    view = await cashier.receipt_with_account(db_session, number)
    return Template(
        "staff/receipt.html",
        context={
            "view": view,
            "receipt": view.receipt,
            "account": view.account,
            "summary": view.summary,
            "void_form": form,
            "utility_address": settings.utility_address,
            "utility_phone": settings.utility_phone,
        },
        status_code=status_code,
    )


class CounterController(Controller):
    path = "/staff/drawer"
    guards = [guards.staff]

    @get("/", name="staff.drawer")
    async def page(self, request: Request, db_session: DbSession, account: FromQuery[str | None] = None) -> Template:
        """`?account=` (from an account page's "Take a payment"): the form starts with that number and its card."""
        if not account:
            return await _page(request, db_session)
        form = CounterPaymentForm(data={"account_number": account[:20]})
        lookup = await cashier.look_up(db_session, account)
        if lookup.summary:
            form.account_id.data = str(lookup.summary.account.id)
        return await _page(request, db_session, lookup=lookup, pay_form=form)

    @get("/card", name="staff.drawer.card")
    async def card(self, db_session: DbSession, number: FromQuery[str] = "") -> Template:
        """The account card for a typed number, as a page fragment the drawer's script puts in place."""
        lookup = await cashier.look_up(db_session, number[:20])
        return Template("staff/_drawer_card.html", context={"lookup": lookup})

    @post("/open", name="staff.drawer.open")
    async def open(self, request: Request, db_session: DbSession, actor: CurrentActor) -> Template | Redirect:
        form = await OpenDrawerForm.from_request(request)
        if not form.validate():
            return await _page(request, db_session, 400, open_form=form)
        await cashier.open_drawer(db_session, actor, cents(form.opening_float.data))
        flash(request, _("Drawer open."), "success")
        account = str((await request.form()).get("account") or "")[:20]  # came from "Take a payment": keep it
        return redirect_to("staff.drawer", query={"account": account}) if account else redirect_to("staff.drawer")

    @post("/payments", name="staff.drawer.pay")
    async def pay(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        actor: CurrentActor,
        policy: CurrentPolicy,
    ) -> Template | Redirect:
        form = await CounterPaymentForm.from_request(request)
        drawer = await cashier.open_drawer_of(db_session, request.user.id)
        valid = form.validate()
        if drawer is None:
            return await _page(request, db_session, 400, pay_form=form)
        lookup = await cashier.look_up(db_session, form.account_number.data or "")
        checked = params.id_or_none(form.account_id.data)
        status = 400
        if lookup.problem:
            form.add_error("account_number", lookup.problem)
            valid = False
        elif lookup.summary and checked is not None and checked != lookup.summary.account.id:
            form.add_error(
                "account_number",
                _("The account number changed after the check: look at this account's card, then post again."),
            )
            valid, status = False, 409
        if lookup.summary:
            form.account_id.data = str(lookup.summary.account.id)  # the card now shown is the one a post confirms
        if not valid or lookup.summary is None:
            return await _page(request, db_session, status, lookup=lookup, pay_form=form)
        if checked is None:  # the "Check" step: show whose account it is, post on the next press
            return await _page(request, db_session, lookup=lookup, pay_form=form)
        owed = lookup.summary.balance_cents
        extra = payment_rules.overpayment_to_confirm(cents(form.amount.data), owed, policy)
        if extra is not None and not form.more_than_owed.data:
            form.add_error(
                "amount",
                _(
                    "That is %(extra)s more than the balance of %(owed)s. Check the amount with the customer, or tick "
                    "the box to take it.",
                    extra=rules.money(extra),
                    owed=rules.money(max(owed, 0)),
                ),
            )
            return await _page(request, db_session, 400, lookup=lookup, pay_form=form, ask_more=True)
        tender = Tender(form.tender.data)
        try:
            receipt = await cashier.take_payment(
                db_session,
                actor,
                drawer,
                lookup.summary.account,
                tender=tender,
                amount_cents=cents(form.amount.data),
                tendered_cents=cents(form.tendered.data) if form.tendered.data is not None else None,
                check_number=form.check_number.data,
                timezone=settings.timezone,
                once=form.once.data or None,
            )
        except cashier.AlreadyPosted as posted:  # the same form sent again: show what the first post took
            flash(request, posted.message, "info")
            return redirect_to("staff.receipt", number=posted.number)
        except DomainError as exc:
            form.add_error(refusal_field(form, exc, "amount"), exc.message)
            return await _page(request, db_session, exc.status_code, lookup=lookup, pay_form=form)
        if receipt.tendered_cents is not None and receipt.tendered_cents > receipt.amount_cents:
            message = _(
                "Payment taken: receipt %(number)s. Change due: %(change)s.",
                number=receipt.number,
                change=rules.money(receipt.tendered_cents - receipt.amount_cents),
            )
        else:
            message = _("Payment taken: receipt %(number)s.", number=receipt.number)
        flash(request, message, "success")
        return redirect_to("staff.receipt", number=receipt.number)

    @get("/receipts/{number:int}", name="staff.receipt")
    async def receipt(self, db_session: DbSession, settings: AppSettings, number: FromPath[int]) -> Template:
        return await _receipt_page(db_session, settings, number, VoidForm())

    @post("/receipts/{number:int}/void", name="staff.receipt.void")
    async def void(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        actor: CurrentActor,
        number: FromPath[int],
    ) -> Template | Redirect:
        form = await VoidForm.from_request(request)
        if not form.validate():
            return await _receipt_page(db_session, settings, number, form, 400)
        await cashier.request_void(db_session, actor, number, form.reason.data or "")
        flash(request, _("Void asked for: a second person must confirm it."), "warning")
        return redirect_to("staff.drawer.voids")

    @get("/voids", name="staff.drawer.voids")
    async def voids(self, db_session: DbSession) -> Template:
        return Template("staff/voids.html", context={"pending": await cashier.pending_voids(db_session)})

    @get("/receipts/{number:int}/void/confirm", name="staff.receipt.void_review")
    async def review_void(self, request: Request, db_session: DbSession, number: FromPath[int]) -> Template:
        """The confirm step of a void: which payment, on which account, for how much, and that it will be reversed."""
        view = await cashier.receipt_with_account(db_session, number)
        asked_by = await db_session.get(User, view.receipt.voided_by_id) if view.receipt.voided_by_id else None
        return Template(
            "staff/void_confirm.html",
            context={
                "view": view,
                "receipt": view.receipt,
                "asked_by": asked_by.display_name if asked_by else None,
                # the one who asked cannot confirm: told here, not after pressing the button
                "own_request": view.receipt.voided_by_id == request.user.id,
            },
        )

    @post("/receipts/{number:int}/void/confirm", name="staff.receipt.void_confirm")
    async def confirm_void(
        self, request: Request, db_session: DbSession, today: Today, actor: CurrentActor, number: FromPath[int]
    ) -> Redirect:
        await cashier.confirm_void(db_session, actor, number, today)
        flash(request, _("Receipt %(number)s is void; the payment was reversed.", number=number), "success")
        return redirect_to("staff.drawer.voids")

    @post("/close", name="staff.drawer.close")
    async def close(
        self, request: Request, db_session: DbSession, policy: CurrentPolicy, actor: CurrentActor
    ) -> Template | Redirect:
        form = await CloseDrawerForm.from_request(request)
        drawer = await cashier.open_drawer_of(db_session, request.user.id)
        if drawer is None:
            raise Conflict(_("You have no open drawer."))
        if not form.validate():
            return await _page(request, db_session, 400, close_form=form)
        counted = {"cash": cents(form.cash.data), "check": cents(form.check.data), "card": cents(form.card.data)}
        try:
            await cashier.close_drawer(db_session, actor, policy, drawer, counted, form.reason.data or "")
        except DomainError as exc:
            form.add_error(refusal_field(form, exc, "cash"), exc.message)
            return await _page(request, db_session, exc.status_code, close_form=form)
        return redirect_to("staff.drawer.closed", drawer_id=drawer.id)

    @get("/{drawer_id:int}", name="staff.drawer.closed")
    async def closed(self, db_session: DbSession, drawer_id: FromPath[int]) -> Template:
        drawer = await cashier.drawer_by_id(db_session, drawer_id)
        opener = await db_session.get(User, drawer.opened_by_id)
        closer = await db_session.get(User, drawer.closed_by_id) if drawer.closed_by_id else None
        return Template(
            "staff/drawer_closed.html",
            context={
                "drawer": drawer,
                "receipts": await cashier.receipts_in(db_session, drawer.id),
                "opener": opener.display_name if opener else "",
                "closer": closer.display_name if closer else "",
            },
        )
