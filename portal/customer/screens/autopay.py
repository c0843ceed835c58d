"""Bank draft (autopay) for a resident's account: the authorization to agree to, the bank account through Stripe.js,
the return from Stripe, and cancelling."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from portal import mail
from portal.accounts import access, confirmations
from portal.accounts.models import BankDraftStatus
from portal.i18n import gettext as _
from portal.payments import autopay
from portal.payments.gateway import PaymentsUnavailable
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, DbSession, FromPath
from portal.web.flash import flash
from portal.web.identity import client_ip
from portal.web.payments import payments_context
from portal.web.stripe_pages import pending_draft_bank_page, unavailable
from portal.web.urls import redirect_to, url

from ..pay_forms import AutopayForm


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
            return unavailable()
        return Template(
            "payments/autopay.html", context={"account": account, "draft": draft, "text": text, "form": AutopayForm()}
        )

    @post("/{number:str}", name="payments.autopay.enrol")
    async def enrol(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Template | Redirect:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        try:
            ctx = payments_context(settings)
        except PaymentsUnavailable:
            return unavailable()
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
            db_session, ctx, actor, account=account, text=text, ip=client_ip(request)
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
        return await pending_draft_bank_page(
            settings,
            draft,
            url(request, "payments.autopay.enrolled", number=account.number, draft_id=draft.id),
            account=account,
        )

    @get("/{number:str}/return/{draft_id:int}", name="payments.autopay.enrolled")
    async def enrolled(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        actor: CurrentActor,
        number: FromPath[str],
        draft_id: FromPath[int],
    ) -> Redirect:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        draft = await autopay.current_draft(db_session, account.id)
        if draft is not None and draft.id == draft_id and draft.stripe_setup_intent_id:
            draft = await autopay.sync_setup_intent(
                db_session, payments_context(settings), actor, draft.stripe_setup_intent_id
            )
            if draft is not None and draft.status == BankDraftStatus.ACTIVE:
                flash(request, _("Automatic bank draft is on. Each bill will be drafted on its due date."), "success")
        return redirect_to("payments.autopay", number=account.number)

    @post("/{number:str}/cancel", name="payments.autopay.cancel")
    async def cancel(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Redirect:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        draft = await autopay.current_draft(db_session, account.id)
        if draft is not None and await autopay.cancel(db_session, actor, draft):
            await confirmations.autopay_cancelled(db_session, mail.OUTBOX, draft, phone=settings.utility_phone)
            flash(request, _("Automatic bank draft is cancelled. Pay each bill yourself from now on."), "success")
        return redirect_to("payments.autopay", number=account.number)


ROUTES: list[ControllerRouterHandler] = [AutopayController]
