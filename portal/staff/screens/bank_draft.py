"""Bank draft for a caller or a walk-in: the CSR takes a signed paper form (NACHA PPD, the scan kept with its bank
numbers covered) or a recorded phone authorization (NACHA TEL, the script read in the customer's language), keys the
bank numbers into Stripe's element (from the browser to Stripe, never to us), and can cancel at the customer's word.
The same enrolment as the resident's (portal.payments.autopay), the CSR acting for the customer."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal import mail
from portal.accounts import confirmations, documents
from portal.accounts.errors import DomainError
from portal.accounts.models import Account, BankDraft, BankDraftStatus, Customer, Premise
from portal.i18n import gettext as _
from portal.i18n import use_locale
from portal.payments import autopay, rules
from portal.payments.gateway import PaymentsUnavailable
from portal.payments.services import Context
from portal.settings import Settings
from portal.web import clock, guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, Today
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.identity import client_ip
from portal.web.payments import payments_context
from portal.web.pdf import pdf_response
from portal.web.photo_store import photo_store
from portal.web.stripe_pages import pending_draft_bank_page, unavailable
from portal.web.urls import redirect_to, url

from ..caller_forms import CHANNELS, PaperAutopayForm, PhoneAutopayForm
from ._pages import staff_account
from ._params import refusal_field

UPLOAD_LIMIT = rules.SCAN_MAX_BYTES + 256 * 1024  # the scan and the form's fields


async def _page(
    db: AsyncSession,
    ctx: Context,
    account: Account,
    *,
    paper: PaperAutopayForm | None = None,
    phone: PhoneAutopayForm | None = None,
    status_code: int = 200,
) -> Template:
    customer = await db.get(Customer, account.customer_id)
    assert customer is not None
    language = customer.language or "en"
    return Template(
        "staff/bank_draft.html",
        context={
            "account": account,
            "customer": customer,
            "draft": await autopay.current_draft(db, account.id),
            "paper": paper or PaperAutopayForm(),
            "phone": phone or PhoneAutopayForm(),
            "forms": {
                v: autopay.text_in(ctx, account.number, autopay.PAPER, lang) for v, lang in rules.PPD_FORMS.items()
            },
            "script": autopay.text_in(ctx, account.number, autopay.PHONE, language),
            "script_en": autopay.text_in(ctx, account.number, autopay.PHONE, "en") if language != "en" else None,
            "script_version": rules.TEL_SCRIPT_VERSION,
            "channels": CHANNELS,
        },
        status_code=status_code,
    )


def _context(settings: Settings) -> Context:
    return payments_context(settings)  # PaymentsUnavailable: the handlers answer the "payments are off" page


async def _draft(db: AsyncSession, account: Account, draft_id: int) -> BankDraft:
    draft = await db.get(BankDraft, draft_id)
    if draft is None or draft.account_id != account.id:
        raise NotFoundException()
    return draft


class BankDraftController(Controller):
    path = "/staff/accounts/{number:str}/bank-draft"
    guards = [guards.staff]

    @get("/", name="staff.bank_draft")
    async def page(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Template:
        account = await staff_account(request, db_session, number)
        try:
            ctx = _context(settings)
        except PaymentsUnavailable:
            return unavailable()
        return await _page(db_session, ctx, account)

    @post("/paper", name="staff.bank_draft.paper", request_max_body_size=UPLOAD_LIMIT)
    async def paper(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        policy: CurrentPolicy,
        today: Today,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        try:
            ctx = _context(settings)
        except PaymentsUnavailable:
            return unavailable()
        form = await PaperAutopayForm.from_request(request)
        ok = form.validate()
        upload = (await request.form()).get("scan")
        scan = None
        try:
            data = await upload.read() if upload is not None and hasattr(upload, "read") else b""
            # decoding an image to check it is CPU work: off the event loop
            scan = await asyncio.to_thread(
                documents.checked_scan, policy, data, getattr(upload, "content_type", None), rules.SCAN_MAX_BYTES
            )
        except DomainError as exc:
            form.add_error("scan", exc.message)
            ok = False
        if ok and scan is not None:
            try:
                draft, _secret = await autopay.enrol_by_paper(
                    db_session,
                    ctx,
                    actor.for_customer("counter"),
                    photo_store(request.app, settings),
                    account=account,
                    signer=filled(form.signer.data),
                    signed_on=filled(form.signed_on.data),
                    version=filled(form.version.data),
                    numbers_covered=bool(form.numbers_covered.data),
                    scan=scan,
                    ip=client_ip(request),
                    today=today,
                )
            except DomainError as exc:  # a rule refused, or Stripe could not start (PaymentProblem)
                form.add_error(refusal_field(form, exc, "signer"), exc.message)
            else:
                return redirect_to("staff.bank_draft.bank", number=account.number, draft_id=draft.id)
        return await _page(db_session, ctx, account, paper=form, status_code=400)

    @post("/phone", name="staff.bank_draft.phone")
    async def phone(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        try:
            ctx = _context(settings)
        except PaymentsUnavailable:
            return unavailable()
        form = await PhoneAutopayForm.from_request(request)
        if form.validate():
            customer = await db_session.get(Customer, account.customer_id)
            called_at = filled(form.called_at.data).replace(tzinfo=ZoneInfo(settings.timezone))
            try:
                draft, _secret = await autopay.enrol_by_phone(
                    db_session,
                    ctx,
                    actor.for_customer("phone"),
                    account=account,
                    caller=filled(form.caller.data),
                    called_at=called_at.astimezone(dt.UTC),
                    recording_ref=filled(form.recording_ref.data),
                    language=(customer.language if customer else None) or "en",
                    ip=client_ip(request),
                    now=clock.now(),
                )
            except DomainError as exc:  # a rule refused, or Stripe could not start (PaymentProblem)
                form.add_error(refusal_field(form, exc, "caller"), exc.message)
            else:
                return redirect_to("staff.bank_draft.bank", number=account.number, draft_id=draft.id)
        return await _page(db_session, ctx, account, phone=form, status_code=400)

    @get("/{draft_id:int}/bank", name="staff.bank_draft.bank")
    async def bank(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        number: FromPath[str],
        draft_id: FromPath[int],
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        draft = await _draft(db_session, account, draft_id)
        if draft.status != BankDraftStatus.PENDING:
            return redirect_to("staff.bank_draft", number=account.number)
        return await pending_draft_bank_page(
            settings,
            draft,
            url(request, "staff.bank_draft.enrolled", number=account.number, draft_id=draft.id),
            account=account,
            layout="staff/base.html",
        )

    @get("/{draft_id:int}/return", name="staff.bank_draft.enrolled")
    async def enrolled(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        actor: CurrentActor,
        number: FromPath[str],
        draft_id: FromPath[int],
    ) -> Redirect:
        account = await staff_account(request, db_session, number)
        draft = await _draft(db_session, account, draft_id)
        if draft.stripe_setup_intent_id and draft.status == BankDraftStatus.PENDING:
            how = "phone" if draft.channel == autopay.PHONE else "counter"
            synced = await autopay.sync_setup_intent(
                db_session, _context(settings), actor.for_customer(how), draft.stripe_setup_intent_id
            )
            if synced is not None and synced.status == BankDraftStatus.ACTIVE:
                flash(request, _("Automatic bank draft is on for this account."), "success")
        return redirect_to("staff.bank_draft", number=account.number)

    @get("/{draft_id:int}/form", name="staff.bank_draft.form")
    async def form(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        number: FromPath[str],
        draft_id: FromPath[int],
    ) -> Response[bytes]:
        """The scan of the signed form: staff only, never cached by anyone, a PDF downloaded rather than shown."""
        account = await staff_account(request, db_session, number)
        draft = await _draft(db_session, account, draft_id)
        scan = (draft.authorization_record or {}).get("scan") or {}
        if not scan.get("key"):
            raise NotFoundException()
        try:
            data = await documents.scan_bytes(photo_store(request.app, settings), scan["key"])
        except FileNotFoundError:
            raise NotFoundException() from None
        kind = scan.get("content_type", documents.PDF)
        name = f"bank-draft-{account.number}-{draft.id}.{'pdf' if kind == documents.PDF else 'jpg'}"
        disposition = "attachment" if kind == documents.PDF else "inline"
        return Response(
            data,
            media_type=kind,
            headers={"Content-Disposition": f'{disposition}; filename="{name}"', "Cache-Control": "no-store"},
        )

    @get("/print/{version:str}", name="staff.bank_draft.print")
    async def print_form(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        number: FromPath[str],
        version: FromPath[str],
    ) -> Response[bytes]:
        """The paper form for a walk-in to sign (the version's wording, in its language, the account filled in)."""
        account = await staff_account(request, db_session, number)
        if version not in rules.PPD_FORMS:
            raise NotFoundException()
        try:
            ctx = _context(settings)
        except PaymentsUnavailable:
            raise NotFoundException() from None
        customer = await db_session.get(Customer, account.customer_id)
        premise = await db_session.get(Premise, account.premise_id)
        engine = request.app.template_engine
        assert engine is not None and customer is not None and premise is not None
        with use_locale(rules.PPD_FORMS[version]):
            section = engine.get_template("staff/bank_draft_form_pdf.html").render(
                account=account,
                customer=customer,
                premise=premise,
                version=version,
                text=autopay.authorization_text(ctx, account.number, autopay.PAPER),
            )
            html = engine.get_template("staff/cutoff_letters_pdf.html").render(
                sections=[section], title=_("Authorization for automatic bank draft"), lang=rules.PPD_FORMS[version]
            )
        return await pdf_response(html, f"bank-draft-form-{account.number}-{version}.pdf")

    @post("/cancel", name="staff.bank_draft.cancel")
    async def cancel(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Redirect:
        account = await staff_account(request, db_session, number)
        how = str((await request.form()).get("channel", ""))
        if how not in dict(CHANNELS):
            raise DomainError(_("Say how the customer asked."), field="channel")
        draft = await autopay.current_draft(db_session, account.id)
        if draft is not None and await autopay.cancel(db_session, actor.for_customer(how), draft):
            sent = await confirmations.autopay_cancelled(db_session, mail.OUTBOX, draft, phone=settings.utility_phone)
            flash(
                request,
                _("Automatic bank draft is cancelled for this account; the customer is emailed a confirmation.")
                if sent
                else _("Automatic bank draft is cancelled for this account. There is no email on file: tell them."),
                "success",
            )
        return redirect_to("staff.bank_draft", number=account.number)
