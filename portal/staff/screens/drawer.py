"""The counter: open a cash drawer, take payments with receipts, void a receipt (asked, then confirmed by a second
person), close the drawer with its counts."""

from __future__ import annotations

from decimal import Decimal

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.accounts.errors import Conflict, DomainError
from portal.accounts.models import Tender
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, Today
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.urls import redirect_to

from .. import cashier, services
from ..forms import CloseDrawerForm, CounterPaymentForm, OpenDrawerForm, VoidForm, cents
from ._params import refusal_field


async def _page(request: Request, db_session: DbSession, status_code: int = 200, **forms: object) -> Template:
    drawer = await cashier.open_drawer_of(db_session, request.user.id)
    receipts = await cashier.receipts_in(db_session, drawer.id) if drawer else []
    context = {
        "drawer": drawer,
        "receipts": receipts,
        "open_form": OpenDrawerForm(data={"opening_float": Decimal("100.00")}),
        "pay_form": CounterPaymentForm(),
        "close_form": CloseDrawerForm(),
        "kept_total": cashier.kept_total(receipts),
        **forms,
    }
    return Template("staff/drawer.html", context=context, status_code=status_code)


async def _receipt_page(db_session: DbSession, number: int, form: VoidForm, status_code: int = 200) -> Template:
    receipt, account, head = await cashier.receipt_with_account(db_session, number)
    return Template(
        "staff/receipt.html",
        context={"receipt": receipt, "account": account, "summary": head, "void_form": form},
        status_code=status_code,
    )


class CounterController(Controller):
    path = "/staff/drawer"
    guards = [guards.staff]

    @get("/", name="staff.drawer")
    async def page(self, request: Request, db_session: DbSession) -> Template:
        return await _page(request, db_session)

    @post("/open", name="staff.drawer.open")
    async def open(self, request: Request, db_session: DbSession, actor: CurrentActor) -> Template | Redirect:
        form = await OpenDrawerForm.from_request(request)
        if not form.validate():
            return await _page(request, db_session, 400, open_form=form)
        await cashier.open_drawer(db_session, actor, cents(form.opening_float.data))
        flash(request, _("Drawer open."), "success")
        return redirect_to("staff.drawer")

    @post("/payments", name="staff.drawer.pay")
    async def pay(
        self, request: Request, db_session: DbSession, settings: AppSettings, actor: CurrentActor
    ) -> Template | Redirect:
        form = await CounterPaymentForm.from_request(request)
        drawer = await cashier.open_drawer_of(db_session, request.user.id)
        if not form.validate() or drawer is None:
            return await _page(request, db_session, 400, pay_form=form)
        account = await services.account_numbered(db_session, filled(form.account_number.data))
        if account is None:
            form.add_error("account_number", _("No account has this number."))
            return await _page(request, db_session, 400, pay_form=form)
        try:
            receipt = await cashier.take_payment(
                db_session,
                actor,
                drawer,
                account,
                tender=Tender(form.tender.data),
                amount_cents=cents(form.amount.data),
                check_number=form.check_number.data,
                timezone=settings.timezone,
            )
        except DomainError as exc:
            form.add_error(refusal_field(form, exc, "amount"), exc.message)
            return await _page(request, db_session, exc.status_code, pay_form=form)
        flash(request, _("Payment taken: receipt %(number)s.", number=receipt.number), "success")
        return redirect_to("staff.receipt", number=receipt.number)

    @get("/receipts/{number:int}", name="staff.receipt")
    async def receipt(self, db_session: DbSession, number: FromPath[int]) -> Template:
        return await _receipt_page(db_session, number, VoidForm())

    @post("/receipts/{number:int}/void", name="staff.receipt.void")
    async def void(
        self, request: Request, db_session: DbSession, actor: CurrentActor, number: FromPath[int]
    ) -> Template | Redirect:
        form = await VoidForm.from_request(request)
        if not form.validate():
            return await _receipt_page(db_session, number, form, 400)
        await cashier.request_void(db_session, actor, number, filled(form.reason.data))
        flash(request, _("Void asked for: a second person must confirm it."), "warning")
        return redirect_to("staff.drawer.voids")

    @get("/voids", name="staff.drawer.voids")
    async def voids(self, db_session: DbSession) -> Template:
        return Template("staff/voids.html", context={"pending": await cashier.pending_voids(db_session)})

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
        return Template(
            "staff/drawer_closed.html",
            context={"drawer": drawer, "receipts": await cashier.receipts_in(db_session, drawer.id)},
        )
