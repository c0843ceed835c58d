"""The CSR console: search, the account page and the actions taken from it."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template
from sqlalchemy import select

from portal import i18n
from portal.accounts import (
    access,
    deposits,
    extensions,
    numbers,
    reconnect,
    refund_queue,
    summary,
    sync_exceptions,
    tenancy,
)
from portal.accounts.errors import Conflict, DomainError, NotFound
from portal.accounts.models import (
    Account,
    AccountClass,
    AdjustmentKind,
    AdjustmentStatus,
    CashDrawer,
    LockboxBatch,
    PaymentExtension,
    Premise,
    Tender,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import current_policy
from portal.i18n import format_date, format_money, ngettext, use_locale
from portal.i18n import gettext as _
from portal.settings import Settings
from portal.web import guards, params
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, FromQuery, Today
from portal.web.flash import flash
from portal.web.forms import AddressSearchForm
from portal.web.identity import actor_of
from portal.web.labels import label
from portal.web.pdf import render_pdf
from portal.web.urls import redirect_to, url

from . import (
    account_actions,
    adjustments,
    cashier,
    cutoff,
    dispatch,
    lockbox,
    navigation,
    reports,
    rules,
    services,
    walkin,
)
from . import search as account_search
from .forms import (
    KIND_FIELD,
    AdjustmentForm,
    CloseDrawerForm,
    CounterPaymentForm,
    DecisionForm,
    MedicalAlertForm,
    MoveServiceForm,
    NoteForm,
    OpenDrawerForm,
    StartServiceForm,
    VoidForm,
    WalkinPayForm,
    cents,
)


def clock() -> dt.datetime:
    """Now (tests replace it to stand at a given hour)."""
    return dt.datetime.now(dt.UTC)


def local_today(settings: Settings) -> dt.date:
    return clock().astimezone(ZoneInfo(settings.timezone)).date()


async def staff_account(request: Request, db_session: DbSession, number: str) -> Account:
    return await access.account_for(db_session, request.user.id, request.user.role, number)


async def _account_page(
    request: Request,
    db_session: DbSession,
    settings: Settings,
    account: Account,
    status_code: int = 200,
    **forms: object,
) -> Template:
    view = await services.account_view(db_session, account, local_today(settings))
    context = {
        "view": view,
        "medical": await services.medical_standing(db_session, current_policy(), account, local_today(settings)),
        "today": local_today(settings),
        "actions": navigation.account_actions(request.user.role, account),
        "note_form": NoteForm(),
        "medical_form": MedicalAlertForm(),
        **forms,
    }
    return Template("staff/account.html", context=context, status_code=status_code)


class ConsoleController(Controller):
    path = "/staff"
    guards = [guards.staff]

    @get("/", name="staff.home")
    async def home(self, request: Request) -> Template:
        return Template("staff/home.html", context={"links": navigation.console_links(request.user.role)})

    @get("/accounts", name="staff.accounts")
    async def search(self, db_session: DbSession, q: FromQuery[str] = "") -> Template:
        results = await account_search.search(db_session, q[:200])
        return Template("staff/search.html", context={"q": q, "results": results})

    @get("/accounts/{number:str}", name="staff.account")
    async def account(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Template:
        account = await staff_account(request, db_session, number)
        return await _account_page(request, db_session, settings, account)

    @post("/accounts/{number:str}/notes", name="staff.account.note")
    async def add_note(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await NoteForm.from_request(request)
        if not form.validate():
            return await _account_page(request, db_session, settings, account, 400, note_form=form)
        await services.add_note(db_session, actor_of(request), account, form.body.data)
        flash(request, _("Note added."), "success")
        return redirect_to("staff.account", number=account.number, anchor="notes")

    @post("/accounts/{number:str}/medical-alert", name="staff.account.medical_alert")
    async def medical_alert(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await MedicalAlertForm.from_request(request)
        if form.validate():
            try:
                until = await services.certify_medical(
                    db_session, actor, account, policy, form.certified_on.data, today
                )
            except DomainError as exc:
                form.add_error("certified_on", exc.message)
        if form.errors:
            return await _account_page(request, db_session, settings, account, 400, medical_form=form)
        flash(request, _("Medical alert on file until %(date)s.", date=until.isoformat()), "success")
        return redirect_to("staff.account", number=account.number, anchor="medical")


def _adjustment_form_choices(form: AdjustmentForm, facts: adjustments.Facts) -> None:
    form.bill_id.choices = [
        (
            bill.id,
            f"{format_date(bill.period_start)} – {format_date(bill.period_end)} · {bill.usage:,} gal · {format_money(bill.total_cents)}",
        )
        for bill in facts.bills
    ]
    form.entry_id.choices = [
        (
            entry.id,
            f"{format_date(entry.effective_on)} · {entry.memo or label(entry.kind)} · {format_money(entry.amount_cents)}",
        )
        for entry in facts.fees
    ]


class AdjustmentController(Controller):
    path = "/staff/accounts/{number:str}/adjustments"
    guards = [guards.staff]

    async def _page(
        self,
        db_session: DbSession,
        account: Account,
        kind: str | None,
        form: AdjustmentForm,
        preview: object = None,
        status_code: int = 200,
    ) -> Template:
        facts = await adjustments.facts(db_session, account)
        _adjustment_form_choices(form, facts)
        return Template(
            "staff/adjustment.html",
            context={
                "account": account,
                "kind": kind,
                "kinds": list(AdjustmentKind),
                "form": form,
                "facts": facts,
                "preview": preview,
                "threshold_cents": current_policy().adjustment_supervisor_threshold_cents,
            },
            status_code=status_code,
        )

    @get("/new", name="staff.adjustment.new")
    async def new(
        self, request: Request, db_session: DbSession, number: FromPath[str], kind: FromQuery[str | None] = None
    ) -> Template:
        account = await staff_account(request, db_session, number)
        kind = kind if kind in {k.value for k in AdjustmentKind} else None
        return await self._page(db_session, account, kind, AdjustmentForm(data={"kind": kind}))

    @post("/", name="staff.adjustment.create")
    async def create(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await AdjustmentForm.from_request(request)
        kind_value = form.kind.data if form.kind.data in {k.value for k in AdjustmentKind} else None
        if kind_value is None:
            return await self._page(db_session, account, None, AdjustmentForm(), status_code=400)
        kind = AdjustmentKind(kind_value)
        data = await request.form()
        submitting = data.get("action") == "submit"
        form.validate()
        if not submitting:
            form.reason.errors = []
        if form.errors:
            return await self._page(db_session, account, kind_value, form, status_code=400)
        today, policy = local_today(settings), current_policy()
        try:
            if not submitting:
                result, _inputs, _bill = await adjustments.calculate(
                    db_session, account, kind, form.data_for_rule(), today, policy
                )
                return await self._page(
                    db_session,
                    account,
                    kind_value,
                    form,
                    preview={"result": result, "needs_approval": rules.needs_approval(policy, result.amount_cents)},
                )
            adjustment = await adjustments.request(
                db_session, actor_of(request), account, kind, form.data_for_rule(), form.reason.data, today, policy
            )
        except DomainError as exc:
            form.add_error(_refusal_field(form, exc, KIND_FIELD[kind_value]), exc.message)
            return await self._page(db_session, account, kind_value, form, status_code=exc.status_code)
        if adjustment.status == AdjustmentStatus.PENDING_APPROVAL:
            flash(request, _("Over the limit: sent to a supervisor for approval."), "warning")
        else:
            flash(request, _("Adjustment posted: %(amount)s.", amount=format_money(adjustment.amount_cents)), "success")
        return redirect_to("staff.account", number=account.number, anchor="adjustments")


class ApprovalController(Controller):
    path = "/staff/approvals"
    guards = [guards.supervisor]

    @get("/", name="staff.approvals")
    async def queue(self, request: Request, db_session: DbSession) -> Template:
        return Template(
            "staff/approvals.html",
            context={
                "waiting": await adjustments.waiting(db_session),
                "refunds": await refund_queue.waiting(db_session),
                "flagged": await cashier.flagged_drawers(db_session),
                "form": DecisionForm(),
            },
        )

    @post("/{adjustment_id:int}/{decision:str}", name="staff.approvals.decide")
    async def decide(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        adjustment_id: FromPath[int],
        decision: FromPath[str],
    ) -> Redirect:
        if decision not in ("approve", "reject"):
            raise NotFound(_("No such decision."))
        form = await DecisionForm.from_request(request)
        adjustment = await adjustments.decide(
            db_session,
            actor_of(request),
            adjustment_id,
            approve=decision == "approve",
            note=form.note.data or "",
            today=local_today(settings),
        )
        if adjustment.status == AdjustmentStatus.POSTED:
            flash(
                request, _("Approved and posted: %(amount)s.", amount=format_money(adjustment.amount_cents)), "success"
            )
        else:
            flash(request, _("Rejected."), "info")
        return redirect_to("staff.approvals")


class ExtensionQueueController(Controller):
    """Residents' payment-extension requests the rule could not grant, waiting for a CSR's decision."""

    path = "/staff/extensions"
    guards = [guards.staff]

    @get("/", name="staff.extensions")
    async def queue(self, db_session: DbSession, settings: AppSettings) -> Template:
        return Template(
            "staff/extensions.html",
            context={
                "queue": await services.extension_queue(db_session, local_today(settings)),
                "form": DecisionForm(),
            },
        )

    @post("/{extension_id:int}/{decision:str}", name="staff.extensions.decide")
    async def decide(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        extension_id: FromPath[int],
        decision: FromPath[str],
    ) -> Redirect:
        if decision not in ("approve", "deny"):
            raise NotFound(_("No such decision."))
        extension = await db_session.get(PaymentExtension, extension_id)
        if extension is None:
            raise NotFound(_("No such request."))
        form = await DecisionForm.from_request(request)
        if not form.validate():
            raise DomainError(form.error_list[0][1], field="note")
        await extensions.decide(
            db_session,
            actor_of(request),
            extension,
            approve=decision == "approve",
            note=form.note.data or "",
            today=local_today(settings),
        )
        if decision == "approve":
            flash(
                request,
                _(
                    "Extension granted until %(date)s: the account is held off the cut-off list until then.",
                    date=format_date(extension.promised_on),
                ),
                "success",
            )
        else:
            flash(request, _("Extension denied."), "info")
        return redirect_to("staff.extensions")


class CounterController(Controller):
    path = "/staff/drawer"
    guards = [guards.staff]

    async def _page(self, request: Request, db_session: DbSession, status_code: int = 200, **forms: object) -> Template:
        drawer = await cashier.open_drawer_of(db_session, request.user.id)
        receipts = await cashier.receipts_in(db_session, drawer.id) if drawer else []
        context = {
            "drawer": drawer,
            "receipts": receipts,
            "open_form": OpenDrawerForm(data={"opening_float": Decimal("100.00")}),
            "pay_form": CounterPaymentForm(),
            "close_form": CloseDrawerForm(),
            "kept_total": sum(r.amount_cents for r, _a, _c in receipts if r.voided_at is None),
            **forms,
        }
        return Template("staff/drawer.html", context=context, status_code=status_code)

    @get("/", name="staff.drawer")
    async def page(self, request: Request, db_session: DbSession) -> Template:
        return await self._page(request, db_session)

    @post("/open", name="staff.drawer.open")
    async def open(self, request: Request, db_session: DbSession) -> Template | Redirect:
        form = await OpenDrawerForm.from_request(request)
        if not form.validate():
            return await self._page(request, db_session, 400, open_form=form)
        await cashier.open_drawer(db_session, actor_of(request), cents(form.opening_float.data))
        flash(request, _("Drawer open."), "success")
        return redirect_to("staff.drawer")

    @post("/payments", name="staff.drawer.pay")
    async def pay(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template | Redirect:
        form = await CounterPaymentForm.from_request(request)
        drawer = await cashier.open_drawer_of(db_session, request.user.id)
        if form.validate() and drawer is not None:
            account = await db_session.scalar(
                select(Account).where(Account.number == numbers.normalize(form.account_number.data))
            )
            if account is None:
                form.add_error("account_number", _("No account has this number."))
            else:
                try:
                    receipt = await cashier.take_payment(
                        db_session,
                        actor_of(request),
                        drawer,
                        account,
                        tender=Tender(form.tender.data),
                        amount_cents=cents(form.amount.data),
                        check_number=form.check_number.data,
                        timezone=settings.timezone,
                    )
                except DomainError as exc:
                    form.add_error(_refusal_field(form, exc, "amount"), exc.message)
                    return await self._page(request, db_session, exc.status_code, pay_form=form)
                else:
                    flash(request, _("Payment taken: receipt %(number)s.", number=receipt.number), "success")
                    return redirect_to("staff.receipt", number=receipt.number)
        return await self._page(request, db_session, 400, pay_form=form)

    @get("/receipts/{number:int}", name="staff.receipt")
    async def receipt(self, db_session: DbSession, number: FromPath[int]) -> Template:
        receipt = await cashier.receipt_by_number(db_session, number)
        account = await db_session.get(Account, receipt.account_id)
        head = await summary.summarize(db_session, account) if account else None
        return Template(
            "staff/receipt.html",
            context={"receipt": receipt, "account": account, "summary": head, "void_form": VoidForm()},
        )

    @post("/receipts/{number:int}/void", name="staff.receipt.void")
    async def void(self, request: Request, db_session: DbSession, number: FromPath[int]) -> Template | Redirect:
        form = await VoidForm.from_request(request)
        if not form.validate():
            receipt = await cashier.receipt_by_number(db_session, number)
            account = await db_session.get(Account, receipt.account_id)
            head = await summary.summarize(db_session, account) if account else None
            return Template(
                "staff/receipt.html",
                context={"receipt": receipt, "account": account, "summary": head, "void_form": form},
                status_code=400,
            )
        await cashier.request_void(db_session, actor_of(request), number, form.reason.data)
        flash(request, _("Void asked for: a second person must confirm it."), "warning")
        return redirect_to("staff.drawer.voids")

    @get("/voids", name="staff.drawer.voids")
    async def voids(self, db_session: DbSession) -> Template:
        return Template("staff/voids.html", context={"pending": await cashier.pending_voids(db_session)})

    @post("/receipts/{number:int}/void/confirm", name="staff.receipt.void_confirm")
    async def confirm_void(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[int]
    ) -> Redirect:
        await cashier.confirm_void(db_session, actor_of(request), number, local_today(settings))
        flash(request, _("Receipt %(number)s is void; the payment was reversed.", number=number), "success")
        return redirect_to("staff.drawer.voids")

    @post("/close", name="staff.drawer.close")
    async def close(self, request: Request, db_session: DbSession) -> Template | Redirect:
        form = await CloseDrawerForm.from_request(request)
        drawer = await cashier.open_drawer_of(db_session, request.user.id)
        if drawer is None:
            raise Conflict(_("You have no open drawer."))
        if form.validate():
            counted = {"cash": cents(form.cash.data), "check": cents(form.check.data), "card": cents(form.card.data)}
            try:
                await cashier.close_drawer(
                    db_session, actor_of(request), current_policy(), drawer, counted, form.reason.data or ""
                )
            except DomainError as exc:
                form.add_error(_refusal_field(form, exc, "cash"), exc.message)
                return await self._page(request, db_session, exc.status_code, close_form=form)
            return redirect_to("staff.drawer.closed", drawer_id=drawer.id)
        return await self._page(request, db_session, 400, close_form=form)

    @get("/{drawer_id:int}", name="staff.drawer.closed")
    async def closed(self, db_session: DbSession, drawer_id: FromPath[int]) -> Template:
        drawer = await db_session.get(CashDrawer, drawer_id)
        if drawer is None:
            raise NotFound(_("No such drawer."))
        return Template(
            "staff/drawer_closed.html",
            context={"drawer": drawer, "receipts": await cashier.receipts_in(db_session, drawer.id)},
        )


class CollectionsController(Controller):
    path = "/staff/collections"
    guards = [guards.staff]

    @get("/", name="staff.collections")
    async def report(self, db_session: DbSession, settings: AppSettings, day: FromQuery[str | None] = None) -> Template:
        when = _parse_day(day, settings)
        return Template(
            "staff/collections.html", context={"c": await cashier.collections(db_session, when, settings.timezone)}
        )

    @get("/deposit-slip", name="staff.collections.deposit_slip")
    async def deposit_slip(
        self, db_session: DbSession, settings: AppSettings, day: FromQuery[str | None] = None
    ) -> Template:
        when = _parse_day(day, settings)
        return Template(
            "staff/deposit_slip.html", context={"c": await cashier.collections(db_session, when, settings.timezone)}
        )


def _parse_day(raw: str | None, settings: Settings) -> dt.date:
    if not raw:
        return local_today(settings)
    try:
        return params.parse_date(raw)
    except params.BadValue:
        raise DomainError(_("Give the day as YYYY-MM-DD."), field="day") from None


class LockboxController(Controller):
    path = "/staff/lockbox"
    guards = [guards.staff]

    async def _page(self, db_session: DbSession, error: str | None = None, status_code: int = 200) -> Template:
        batches = list(await db_session.scalars(select(LockboxBatch).order_by(LockboxBatch.id.desc()).limit(20)))
        return Template("staff/lockbox.html", context={"batches": batches, "error": error}, status_code=status_code)

    @get("/", name="staff.lockbox")
    async def page(self, db_session: DbSession) -> Template:
        return await self._page(db_session)

    @post("/", request_max_body_size=lockbox.MAX_BYTES + 64 * 1024, name="staff.lockbox.upload")
    async def upload(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template | Redirect:
        data = await request.form()
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await self._page(db_session, _("Choose the bank's CSV file."), 400)
        content = await upload.read()
        try:
            batch = await lockbox.import_file(
                db_session,
                actor_of(request),
                current_policy(),
                file_name=upload.filename,
                content=content,
                timezone=settings.timezone,
            )
        except DomainError as exc:
            return await self._page(db_session, exc.message, 400)
        flash(
            request,
            _(
                "%(posted)d payments posted, %(duplicates)d already posted, %(rejected)d refused.",
                posted=batch.posted,
                duplicates=batch.duplicates,
                rejected=batch.rejected,
            ),
            "success",
        )
        return redirect_to("staff.lockbox.batch", batch_id=batch.id)

    @get("/{batch_id:int}", name="staff.lockbox.batch")
    async def batch(self, db_session: DbSession, batch_id: FromPath[int]) -> Template:
        batch = await db_session.get(LockboxBatch, batch_id)
        if batch is None:
            raise NotFound(_("No such import."))
        return Template("staff/lockbox_batch.html", context={"batch": batch})


def _report_period(start: str | None, end: str | None, today: dt.date) -> reports.Period:
    try:
        last = params.parse_date(end) if end else today
        first = params.parse_date(start) if start else last.replace(day=1)
    except params.BadValue:
        raise DomainError(_("Give the dates as YYYY-MM-DD."), field="start") from None
    if first > last:
        raise DomainError(_("The period must start before it ends."), field="start")
    if (last - first).days > 366:
        raise DomainError(_("Choose a period of at most a year."), field="start")
    return reports.Period(first, last)


class ReportController(Controller):
    path = "/staff/reports"
    guards = [guards.staff]

    @get("/", name="staff.reports")
    async def index(self) -> Template:
        return Template("staff/reports.html", context={"reports": reports.REPORTS})

    @get("/{name:str}", name="staff.report")
    async def report(
        self,
        db_session: DbSession,
        settings: AppSettings,
        name: FromPath[str],
        start: FromQuery[str | None] = None,
        end: FromQuery[str | None] = None,
    ) -> Template | Response:
        as_csv = name.endswith(".csv")
        key = name.removesuffix(".csv")
        if key not in reports.REPORTS:
            raise NotFound(_("No such report."))
        period = _report_period(start, end, local_today(settings))
        built = await reports.REPORTS[key][2](db_session, period, local_today(settings), settings.timezone)
        if as_csv:
            filename = f"{key}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
            return Response(
                built.csv(),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        return Template("staff/report.html", context={"report": built, "period": period, "key": key})


class WalkinController(Controller):
    """The counter tablet's practice account: state in the CSR's session only; nothing here writes the database."""

    path = "/staff/walkin"
    guards = [guards.staff]

    def _state(self, request: Request) -> dict:
        return walkin.current_state(request.session.get(walkin.SESSION_KEY), dt.datetime.now(dt.UTC))

    def _save(self, request: Request, state: dict) -> None:
        request.session[walkin.SESSION_KEY] = state

    def _page(
        self,
        request: Request,
        settings: Settings,
        state: dict,
        form: WalkinPayForm | None = None,
        status_code: int = 200,
    ) -> Template:
        box = walkin.sandbox(state, local_today(settings))
        chart = walkin.usage_chart(
            box, _("Water use, last 12 months"), _("gallons"), lambda day, pattern: format_date(day, pattern)
        )
        form = form or WalkinPayForm(data={"amount": Decimal(box.balance_cents) / 100})
        return Template(
            "staff/walkin.html", context={"box": box, "chart": chart, "form": form}, status_code=status_code
        )

    @get("/", name="staff.walkin")
    async def page(self, request: Request, settings: AppSettings) -> Template:
        state = self._state(request)
        self._save(request, state)
        return self._page(request, settings, state)

    @post("/pay", name="staff.walkin.pay")
    async def pay(self, request: Request, settings: AppSettings) -> Template | Redirect:
        state = self._state(request)
        form = await WalkinPayForm.from_request(request)
        if form.validate():
            try:
                state = walkin.pay(state, cents(form.amount.data), dt.datetime.now(dt.UTC), local_today(settings))
            except ValueError:
                form.add_error("amount", _("In the practice account, pay up to the balance shown."))
            else:
                self._save(request, state)
                flash(request, _("Practice payment made. No money moved and no real account changed."), "success")
                return redirect_to("staff.walkin")
        return self._page(request, settings, state, form, 400)

    @post("/paperless", name="staff.walkin.paperless")
    async def paperless(self, request: Request) -> Redirect:
        self._save(request, walkin.toggle_paperless(self._state(request), dt.datetime.now(dt.UTC)))
        return redirect_to("staff.walkin", anchor="paperless")

    @post("/reset", name="staff.walkin.reset")
    async def reset(self, request: Request) -> Redirect:
        self._save(request, walkin.fresh_state(dt.datetime.now(dt.UTC)))
        flash(request, _("The practice account is back to its start."), "info")
        return redirect_to("staff.walkin")

    @get("/qr", name="staff.walkin.qr")
    async def qr(self, request: Request, settings: AppSettings) -> Template:
        address = settings.public_url.rstrip("/") + url(request, "signup")
        return Template(
            "staff/walkin_qr.html",
            context={"signup_url": address, "svg": walkin.signup_qr_svg(address, _("QR code: sign up on your phone"))},
        )


class CutoffController(Controller):
    path = "/staff/cutoff"
    guards = [guards.staff]

    async def _page(
        self, db_session: DbSession, settings: Settings, day: dt.date, forecast: int | None, status_code: int = 200
    ) -> Template:
        policy = current_policy()
        listing = await cutoff.build(db_session, policy, day, settings.timezone, forecast)
        today = local_today(settings)
        return Template(
            "staff/cutoff.html",
            context={
                "listing": listing,
                "forecast": forecast,
                "outcomes": cutoff.COURTESY_OUTCOMES,
                "notice_cutoff_on": rules.notice_cutoff_on(policy, today),
                "letter_days": await cutoff.recent_letter_days(
                    db_session, settings.timezone, today - dt.timedelta(days=30)
                ),
            },
            status_code=status_code,
        )

    @get("/", name="staff.cutoff")
    async def page(
        self,
        db_session: DbSession,
        settings: AppSettings,
        day: FromQuery[str | None] = None,
        forecast_high: FromQuery[str | None] = None,
    ) -> Template:
        return await self._page(db_session, settings, _parse_day(day, settings), _forecast(forecast_high))

    @post("/notices", name="staff.cutoff.notices")
    async def notices(self, request: Request, db_session: DbSession, settings: AppSettings) -> Redirect:
        policy, today = current_policy(), local_today(settings)
        sent = await cutoff.send_notices(
            db_session, actor_of(request), policy, today, settings.timezone, rules.notice_cutoff_on(policy, today)
        )
        flash(request, ngettext("%(num)d cut-off notice sent.", "%(num)d cut-off notices sent.", sent), "success")
        return redirect_to("staff.cutoff")

    @post("/orders", name="staff.cutoff.orders")
    async def orders(self, request: Request, db_session: DbSession, settings: AppSettings) -> Redirect:
        data = await request.form()
        day = _parse_day(data.get("day"), settings)
        created = await cutoff.create_orders(
            db_session,
            actor_of(request),
            current_policy(),
            day,
            settings.timezone,
            _forecast(data.get("forecast_high")),
        )
        flash(
            request,
            ngettext("%(num)d disconnect order created.", "%(num)d disconnect orders created.", len(created)),
            "success",
        )
        return redirect_to("staff.cutoff", query={"day": day.isoformat()})

    @post("/recheck", name="staff.cutoff.recheck")
    async def recheck(self, request: Request, db_session: DbSession, settings: AppSettings) -> Redirect:
        data = await request.form()
        day = _parse_day(data.get("day"), settings)
        cancelled = await cutoff.recheck(db_session, actor_of(request), current_policy(), day, settings.timezone)
        flash(
            request,
            ngettext("Recheck: %(num)d order cancelled.", "Recheck: %(num)d orders cancelled.", len(cancelled)),
            "success",
        )
        return redirect_to("staff.cutoff", query={"day": day.isoformat()})

    @get("/letters/{contact_id:int}/pdf", name="staff.cutoff.letter")
    async def letter(
        self, request: Request, db_session: DbSession, settings: AppSettings, contact_id: FromPath[int]
    ) -> Response:
        """One notice as a printable letter in the customer's language (any notice can be printed again)."""
        found = await cutoff.letters(db_session, contact_id=contact_id)
        if not found:
            raise NotFound(_("No such notice."))
        return await _letters_response(
            request, settings, found, f"cutoff-notice-{found[0].account.number}-{found[0].sent_on.isoformat()}.pdf"
        )

    @get("/letters/pdf", name="staff.cutoff.letters")
    async def letters(
        self, request: Request, db_session: DbSession, settings: AppSettings, day: FromQuery[str | None] = None
    ) -> Response:
        """The day's notices that go by mail (customers without email), one letter a page, each in its language."""
        when = _parse_day(day, settings)
        found = await cutoff.letters(db_session, day=when, timezone=settings.timezone)
        if not found:
            raise NotFound(_("No letters were sent by mail that day."))
        return await _letters_response(request, settings, found, f"cutoff-letters-{when.isoformat()}.pdf")

    @post("/calls/{number:str}", name="staff.cutoff.call")
    async def call(self, request: Request, db_session: DbSession, number: FromPath[str]) -> Redirect:
        account = await staff_account(request, db_session, number)
        data = await request.form()
        await cutoff.record_courtesy_call(
            db_session, actor_of(request), account, str(data.get("outcome", "")), str(data.get("note", ""))
        )
        flash(request, _("Call recorded for %(number)s.", number=numbers.display(account.number)), "success")
        return redirect_to("staff.cutoff", query={"day": data.get("day", "")}, anchor="calls")


async def _letters_response(
    request: Request, settings: Settings, found: list[cutoff.Letter], filename: str
) -> Response:
    """Render each letter in its customer's language, then the document (in that language when there is one letter)."""
    engine = request.app.template_engine
    sections = []
    for letter in found:
        with use_locale(letter.language):
            subject, paragraphs = cutoff.notice_wording(
                letter.account, letter.premise, letter.amount_cents, letter.cutoff_on or letter.sent_on
            )
            sections.append(
                engine.get_template("staff/cutoff_letter.html").render(
                    letter=letter, subject=subject, paragraphs=paragraphs, public_url=settings.public_url
                )
            )
    lang = found[0].language if len(found) == 1 else i18n.current()
    with use_locale(lang):
        title = (
            _("Service disconnection notice for account %(number)s", number=numbers.display(found[0].account.number))
            if len(found) == 1
            else _("Cut-off letters to mail, %(count)d", count=len(found))
        )
        html = engine.get_template("staff/cutoff_letters_pdf.html").render(sections=sections, title=title, lang=lang)
    document = await asyncio.to_thread(render_pdf, html)
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, no-store"},
    )


def _forecast(raw: object) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(str(raw))
    except ValueError:
        raise DomainError(_("Give the forecast high as a whole number of degrees."), field="forecast_high") from None


def _technician_id(raw: str) -> int | None:
    """A technician chosen from the list; empty is nobody (unassigned, or any technician in the filter)."""
    if not raw.strip():
        return None
    try:
        return params.parse_id(raw)
    except params.BadValue:
        raise DomainError(_("Choose a technician from the list."), field="technician") from None


class DispatchController(Controller):
    path = "/staff/dispatch"
    guards = [guards.staff]

    @get("/", name="staff.dispatch")
    async def page(
        self,
        db_session: DbSession,
        settings: AppSettings,
        status: FromQuery[str] = "active",
        kind: FromQuery[str] = "",
        route: FromQuery[str] = "",
        due_by: FromQuery[str] = "",
        technician: FromQuery[str] = "",
    ) -> Template:
        filters = dispatch.Filters(
            status=status,
            kind=kind,
            route=route,
            due_by=_parse_day(due_by, settings) if due_by else None,
            technician_id=_technician_id(technician),
        )
        owners = await dispatch.route_owners(db_session)
        return Template(
            "staff/dispatch.html",
            context={
                "filters": filters,
                "rows": await dispatch.orders(db_session, filters, today=local_today(settings)),
                "technicians": await dispatch.technicians(db_session),
                "routes": [r.code for r in owners],
                "route_owners": owners,
                "kinds": list(WorkOrderKind),
                "statuses": list(WorkOrderStatus),
                "creatable": dispatch.CREATABLE,
                "exceptions": await sync_exceptions.open_exceptions(db_session),
                "today": local_today(settings),
            },
        )

    @post("/orders/{order_id:int}/assign", name="staff.dispatch.assign")
    async def assign(self, request: Request, db_session: DbSession, order_id: FromPath[int]) -> Redirect:
        data = await request.form()
        order = await dispatch.assign(
            db_session, actor_of(request), order_id, _technician_id(str(data.get("technician_id", "")))
        )
        flash(
            request,
            _("Order %(id)s assigned.", id=order.id)
            if order.assigned_to_id
            else _("Order %(id)s unassigned.", id=order.id),
            "success",
        )
        return redirect_to("staff.dispatch")

    @post("/routes/owner", name="staff.dispatch.route_owner")
    async def route_owner(self, request: Request, db_session: DbSession) -> Redirect:
        data = await request.form()
        technician_id = _technician_id(str(data.get("technician_id", "")))
        route = await dispatch.set_route_owner(
            db_session, actor_of(request), str(data.get("route", ""))[:64], technician_id
        )
        flash(
            request,
            _("Route %(code)s now belongs to the technician chosen.", code=route.code)
            if route.technician_id
            else _("Route %(code)s has no owner now.", code=route.code),
            "success",
        )
        return redirect_to("staff.dispatch", anchor="routes")

    @post("/orders", name="staff.dispatch.create")
    async def create(self, request: Request, db_session: DbSession, settings: AppSettings) -> Redirect:
        data = await request.form()
        try:
            number = numbers.normalize(str(data.get("account_number", "")))
            kind = WorkOrderKind(str(data.get("kind", "")))
            due_on = params.parse_date(data.get("due_on", ""))
        except (numbers.InvalidAccountNumber, ValueError):
            raise DomainError(_("Enter a valid account number, a kind and a due date.")) from None
        account = await db_session.scalar(select(Account).where(Account.number == number))
        if account is None:
            raise NotFound(_("No account has this number."))
        order = await dispatch.create(
            db_session,
            actor_of(request),
            account,
            kind,
            due_on,
            str(data.get("instructions", "")),
            local_today(settings),
        )
        flash(request, _("Order %(id)s created.", id=order.id), "success")
        return redirect_to("staff.dispatch")

    @post("/exceptions/{exception_id:int}/resolve", name="staff.dispatch.resolve")
    async def resolve(self, request: Request, db_session: DbSession, exception_id: FromPath[int]) -> Redirect:
        data = await request.form()
        note = str(data.get("note", "")).strip()
        if not note:
            raise DomainError(_("Say how the exception was resolved."), field="note")
        await sync_exceptions.resolve(db_session, actor_of(request), exception_id, note)
        flash(request, _("Exception resolved."), "success")
        return redirect_to("staff.dispatch", anchor="exceptions")

    @post("/exceptions/{exception_id:int}/override-hold", name="staff.dispatch.override_hold")
    async def override_hold(self, request: Request, db_session: DbSession, exception_id: FromPath[int]) -> Redirect:
        data = await request.form()
        row = await sync_exceptions.override_hold(
            db_session, actor_of(request), exception_id, str(data.get("reason", ""))[:300]
        )
        flash(request, _("Hold overridden: order %(id)s may be disconnected.", id=row.work_order_id), "success")
        return redirect_to("staff.dispatch", anchor="exceptions")


async def _address_search(
    db_session: DbSession, q: str | None, zip_code: str | None
) -> tuple[AddressSearchForm, list[Premise], int]:
    search = AddressSearchForm(data={"q": q or "", "zip": zip_code or ""})
    if q is None:
        return search, [], 200
    if not search.validate():
        return search, [], 400
    return search, await tenancy.find_premises(db_session, search.q.data, search.zip.data or None, limit=20), 200


async def _premise(db_session: DbSession, premise_id: int) -> Premise:
    premise = await db_session.get(Premise, premise_id)
    if premise is None:
        raise NotFound(_("We could not find that address."))
    return premise


def _refusal_field(form: object, exc: DomainError, fallback: str) -> str:
    """The form field a refusal belongs to: the one it names when the form has it, else `fallback`."""
    return exc.field if exc.field and hasattr(form, exc.field) else fallback


class StartServiceController(Controller):
    """Start service for a customer at the counter or on the phone: find the address, then one form. The same
    `tenancy.start_service` as the resident's own start: a pending account with its services, the deposit by its
    rule (billed once, or waived by a letter of credit), and a start order for the field."""

    path = "/staff/start"
    guards = [guards.staff]

    @get("/", name="staff.start")
    async def search(
        self,
        request: Request,
        db_session: DbSession,
        q: FromQuery[str | None] = None,
        zip: FromQuery[str | None] = None,
        customer: FromQuery[str] = "",
    ) -> Template:  # noqa: A002
        search, results, status = await _address_search(db_session, q, zip)
        query = {"customer": numbers.normalize(customer)} if customer and numbers.is_valid(customer) else None
        return Template(
            "staff/address_search.html",
            context={
                "title": _("Start service"),
                "heading": _("Where should service start?"),
                "action": url(request, "staff.start"),
                "search": search,
                "results": results,
                "searched": q is not None,
                "links": [(url(request, "staff.start.new", premise_id=p.id, query=query), p) for p in results],
                "customer": customer,
            },
            status_code=status,
        )

    async def _page(
        self,
        db_session: DbSession,
        settings: Settings,
        premise: Premise,
        form: StartServiceForm,
        status_code: int = 200,
    ) -> Template:
        policy, today = current_policy(), local_today(settings)
        quotes = [
            (cls, await deposits.quote(db_session, policy, premise_id=premise.id, account_class=cls, today=today))
            for cls in AccountClass
        ]
        return Template(
            "staff/start.html",
            context={
                "premise": premise,
                "form": form,
                "quotes": quotes,
                "earliest": tenancy.earliest_date(policy, today),
            },
            status_code=status_code,
        )

    @get("/{premise_id:int}", name="staff.start.new")
    async def new(
        self, db_session: DbSession, settings: AppSettings, premise_id: FromPath[int], customer: FromQuery[str] = ""
    ) -> Template:
        premise = await _premise(db_session, premise_id)
        form = StartServiceForm(
            data={
                "customer_account": customer,
                "start_on": tenancy.earliest_date(current_policy(), local_today(settings)),
            }
        )
        return await self._page(db_session, settings, premise, form)

    @post("/{premise_id:int}", name="staff.start.create")
    async def create(
        self, request: Request, db_session: DbSession, settings: AppSettings, premise_id: FromPath[int]
    ) -> Template | Redirect:
        premise = await _premise(db_session, premise_id)
        form = await StartServiceForm.from_request(request)
        customer = None
        if form.validate() and (form.customer_account.data or "").strip():
            customer = await services.customer_by_account_number(db_session, form.customer_account.data)
            if customer is None:
                form.add_error("customer_account", _("No account has this number."))
        if not form.errors:
            identity = (
                None
                if customer
                else tenancy.Identity(
                    first_name=form.first_name.data or "",
                    last_name=form.last_name.data or "",
                    email=(form.email.data or "").strip() or None,
                    phone=(form.phone.data or "").strip() or None,
                    business_name=form.business_name.data or None,
                    language=form.language.data,
                )
            )
            try:
                result = await tenancy.start_service(
                    db_session,
                    actor_of(request),
                    current_policy(),
                    premise_id=premise.id,
                    start_on=form.start_on.data,
                    today=local_today(settings),
                    customer=customer,
                    identity=identity,
                    account_class=AccountClass(form.account_class.data),
                    letter=form.letter_or_none(),
                    link_user_id=await services.resident_login(db_session, customer_id=customer.id)
                    if customer
                    else None,
                )
            except DomainError as exc:
                form.add_error(
                    _refusal_field(form, exc, "customer_account" if exc.field == "premise_id" else "start_on"),
                    exc.message,
                )
            else:
                flash(
                    request,
                    _(
                        "Service at %(address)s starts on %(date)s: account %(number)s is pending, deposit %(deposit)s.",
                        address=premise.one_line,
                        date=format_date(result.order.due_on),
                        number=numbers.display(result.account.number),
                        deposit=format_money(result.decision.required_cents),
                    ),
                    "success",
                )
                return redirect_to("staff.account", number=result.account.number, anchor="orders")
        return await self._page(db_session, settings, premise, form, 400)


class MoveServiceController(Controller):
    """Transfer service: the customer leaves this account's address for another. `tenancy.move_service`, as the
    resident's move: a stop order here (final bill to the new address) and a start at the new address, one request."""

    path = "/staff/accounts/{number:str}/move"
    guards = [guards.staff]

    @get("/", name="staff.move")
    async def search(
        self,
        request: Request,
        db_session: DbSession,
        number: FromPath[str],
        q: FromQuery[str | None] = None,
        zip: FromQuery[str | None] = None,
    ) -> Template:  # noqa: A002
        account = await staff_account(request, db_session, number)
        search, results, status = await _address_search(db_session, q, zip)
        return Template(
            "staff/address_search.html",
            context={
                "title": _("Transfer service"),
                "heading": _("Where is the customer moving to?"),
                "action": url(request, "staff.move", number=account.number),
                "search": search,
                "results": results,
                "searched": q is not None,
                "account": account,
                "links": [
                    (url(request, "staff.move.new", number=account.number, premise_id=p.id), p)
                    for p in results
                    if p.id != account.premise_id
                ],
            },
            status_code=status,
        )

    async def _page(
        self,
        db_session: DbSession,
        settings: Settings,
        account: Account,
        premise: Premise,
        form: MoveServiceForm,
        status_code: int = 200,
    ) -> Template:
        policy, today = current_policy(), local_today(settings)
        quote = await deposits.quote(
            db_session, policy, premise_id=premise.id, account_class=account.account_class, today=today
        )
        return Template(
            "staff/move.html",
            context={
                "account": account,
                "summary": await summary.summarize(db_session, account),
                "premise": premise,
                "form": form,
                "quotes": [(account.account_class, quote)],
                "earliest": tenancy.earliest_date(policy, today),
            },
            status_code=status_code,
        )

    @get("/{premise_id:int}", name="staff.move.new")
    async def new(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        number: FromPath[str],
        premise_id: FromPath[int],
    ) -> Template:
        account = await staff_account(request, db_session, number)
        earliest = tenancy.earliest_date(current_policy(), local_today(settings))
        return await self._page(
            db_session,
            settings,
            account,
            await _premise(db_session, premise_id),
            MoveServiceForm(data={"stop_on": earliest, "start_on": earliest}),
        )

    @post("/{premise_id:int}", name="staff.move.create")
    async def create(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        number: FromPath[str],
        premise_id: FromPath[int],
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        premise = await _premise(db_session, premise_id)
        form = await MoveServiceForm.from_request(request)
        if form.validate():
            try:
                result = await tenancy.move_service(
                    db_session,
                    actor_of(request),
                    current_policy(),
                    account,
                    stop_on=form.stop_on.data,
                    premise_id=premise.id,
                    start_on=form.start_on.data,
                    today=local_today(settings),
                    letter=form.letter_or_none(),
                    link_user_id=await services.resident_login(
                        db_session, account_id=account.id, customer_id=account.customer_id
                    ),
                )
            except DomainError as exc:
                form.add_error(_refusal_field(form, exc, "stop_on"), exc.message)
            else:
                flash(
                    request,
                    _(
                        "Service moves to %(address)s: stop here on %(stop)s, start there on %(start)s (account %(number)s).",
                        address=premise.one_line,
                        stop=format_date(form.stop_on.data),
                        start=format_date(form.start_on.data),
                        number=numbers.display(result.account.number),
                    ),
                    "success",
                )
                return redirect_to("staff.account", number=result.account.number, anchor="orders")
        return await self._page(db_session, settings, account, premise, form, 400)


class AccountActionController(Controller):
    """Holds, collections referral, arrangements, balance transfer and deposit actions from the account page. Each
    posts and comes back to the page; a refusal shows its reason and changes nothing."""

    path = "/staff/accounts/{number:str}"
    guards = [guards.staff]

    @post("/holds/{hold:str}", name="staff.account.hold")
    async def hold(
        self, request: Request, db_session: DbSession, number: FromPath[str], hold: FromPath[str]
    ) -> Redirect:
        account = await staff_account(request, db_session, number)
        data = await request.form()
        on = data.get("on") == "1"
        await account_actions.set_hold(db_session, actor_of(request), account, hold, on, str(data.get("reason", "")))
        flash(request, _("Hold placed.") if on else _("Hold lifted."), "success")
        return redirect_to("staff.account", number=account.number, anchor="actions")

    @post("/collections", name="staff.account.collections")
    async def collections(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Redirect:
        account = await staff_account(request, db_session, number)
        data = await request.form()
        await account_actions.refer_to_collections(
            db_session, actor_of(request), account, str(data.get("reason", "")), local_today(settings)
        )
        flash(request, _("Referred to collections."), "success")
        return redirect_to("staff.account", number=account.number, anchor="actions")

    @post("/arrangements", name="staff.account.arrangement")
    async def arrangement(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Redirect:
        account = await staff_account(request, db_session, number)
        data = await request.form()
        raw = str(data.get("instalments", ""))
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 3):
            raise DomainError(
                _("Choose from 1 to %(max)d instalments.", max=current_policy().arrangement_max_instalments),
                field="instalments",
            )
        plan = await account_actions.grant_arrangement(
            db_session,
            actor_of(request),
            current_policy(),
            account,
            instalments=int(raw),
            reason=str(data.get("reason", "")),
            today=local_today(settings),
        )
        flash(
            request,
            _(
                "Arrangement granted: %(down)s down, then %(count)d monthly instalments.",
                down=format_money(plan.down_payment_cents),
                count=len(plan.instalments),
            ),
            "success",
        )
        return redirect_to("staff.account", number=account.number, anchor="plans")

    @post("/transfer", name="staff.account.transfer")
    async def transfer(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Redirect:
        source = await staff_account(request, db_session, number)
        data = await request.form()
        target = await staff_account(request, db_session, str(data.get("target", "")))
        amount = await account_actions.transfer_balance(
            db_session, actor_of(request), source, target, str(data.get("reason", "")), local_today(settings)
        )
        flash(
            request,
            _(
                "%(amount)s moved to account %(number)s.",
                amount=format_money(amount),
                number=numbers.display(target.number),
            ),
            "success",
        )
        return redirect_to("staff.account", number=source.number, anchor="ledger")

    @post("/deposit/waive", name="staff.account.deposit_waive")
    async def waive_deposit(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Redirect:
        account = await staff_account(request, db_session, number)
        data = await request.form()
        await account_actions.waive_deposit(
            db_session, actor_of(request), account, str(data.get("letter", "")), local_today(settings)
        )
        flash(request, _("Deposit waived."), "success")
        return redirect_to("staff.account", number=account.number, anchor="deposit")

    @post("/deposit/apply", name="staff.account.deposit_apply")
    async def apply_deposit(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Redirect:
        account = await staff_account(request, db_session, number)
        amount = await account_actions.apply_deposit(db_session, actor_of(request), account, local_today(settings))
        flash(request, _("Deposit of %(amount)s applied to the balance.", amount=format_money(amount)), "success")
        return redirect_to("staff.account", number=account.number, anchor="deposit")

    @post("/restore-after-hours", name="staff.account.restore_after_hours")
    async def restore_after_hours(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Redirect:
        """The customer paid and wants service back tonight: the restore moves to today at the after-hours fee."""
        account = await staff_account(request, db_session, number)
        policy = current_policy()
        order = await reconnect.restore_after_hours(
            db_session, actor_of(request), policy, account, now_local=clock().astimezone(ZoneInfo(settings.timezone))
        )
        flash(
            request,
            _(
                "Restore order %(id)s is due tonight; the after-hours reconnection fee of %(fee)s replaces the usual one.",
                id=order.id,
                fee=format_money(policy.reconnect_after_hours_fee_cents),
            ),
            "success",
        )
        return redirect_to("staff.account", number=account.number, anchor="orders")

    @post("/stop", name="staff.account.stop")
    async def stop(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Redirect:
        """Stop service for the customer at the counter or on the phone: the same request the resident side makes."""
        account = await staff_account(request, db_session, number)
        data = await request.form()
        try:
            stop_on = params.parse_date(data.get("stop_on", ""))
        except params.BadValue:
            raise DomainError(_("Give the stop date as YYYY-MM-DD."), field="stop_on") from None
        await tenancy.stop_service(
            db_session,
            actor_of(request),
            current_policy(),
            account,
            stop_on=stop_on,
            forwarding_address=str(data.get("forwarding_address", "")),
            today=local_today(settings),
        )
        flash(
            request,
            _("Stop of service requested for %(date)s; the final read is ordered.", date=format_date(stop_on)),
            "success",
        )
        return redirect_to("staff.account", number=account.number, anchor="orders")


ROUTES = [
    ConsoleController,
    AdjustmentController,
    ApprovalController,
    ExtensionQueueController,
    CounterController,
    CollectionsController,
    LockboxController,
    ReportController,
    WalkinController,
    CutoffController,
    DispatchController,
    StartServiceController,
    MoveServiceController,
    AccountActionController,
]
