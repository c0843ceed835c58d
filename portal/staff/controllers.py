"""The CSR console: search, the account page and the actions taken from it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.accounts import access
from portal.accounts.errors import DomainError, NotFound
from portal.accounts.models import Account, AdjustmentKind, AdjustmentStatus
from portal.accounts.policy import current_policy
from portal.i18n import format_date, format_money
from portal.i18n import gettext as _
from portal.settings import Settings
from portal.web import guards
from portal.web.deps import AppSettings, DbSession, FromPath, FromQuery
from portal.web.flash import flash
from portal.web.identity import actor_of
from portal.web.labels import label

from . import adjustments, navigation, rules, services
from . import search as account_search
from .forms import KIND_FIELD, AdjustmentForm, DecisionForm, MedicalAlertForm, NoteForm


def local_today(settings: Settings) -> dt.date:
    return dt.datetime.now(ZoneInfo(settings.timezone)).date()


async def staff_account(request: Request, db_session: DbSession, number: str) -> Account:
    return await access.account_for(db_session, request.user.id, request.user.role, number)


async def _account_page(
    request: Request, db_session: DbSession, settings: Settings, account: Account, status_code: int = 200, **forms: object
) -> Template:
    view = await services.account_view(db_session, account, local_today(settings))
    context = {
        "view": view,
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

    @get("/")
    async def home(self, request: Request) -> Template:
        return Template("staff/home.html", context={"links": navigation.console_links(request.user.role)})

    @get("/accounts")
    async def search(self, db_session: DbSession, q: FromQuery[str] = "") -> Template:
        results = await account_search.search(db_session, q[:200])
        return Template("staff/search.html", context={"q": q, "results": results})

    @get("/accounts/{number:str}")
    async def account(self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]) -> Template:
        account = await staff_account(request, db_session, number)
        return await _account_page(request, db_session, settings, account)

    @post("/accounts/{number:str}/notes")
    async def add_note(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await NoteForm.from_request(request)
        if not form.validate():
            return await _account_page(request, db_session, settings, account, 400, note_form=form)
        await services.add_note(db_session, actor_of(request), account, form.body.data)
        flash(request, _("Note added."), "success")
        return Redirect(f"/staff/accounts/{account.number}#notes", status_code=303)

    @post("/accounts/{number:str}/medical-alert")
    async def medical_alert(
        self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await MedicalAlertForm.from_request(request)
        if form.validate():
            today = local_today(settings)
            if form.certified_on.data > today:
                form.add_error("certified_on", _("The certificate date cannot be in the future."))
            elif services.medical_certificate_until(current_policy(), form.certified_on.data) < today:
                form.add_error("certified_on", _("That certificate has already expired."))
        if form.errors:
            return await _account_page(request, db_session, settings, account, 400, medical_form=form)
        until = await services.certify_medical(
            db_session, actor_of(request), account, current_policy(), form.certified_on.data, local_today(settings)
        )
        flash(request, _("Medical alert on file until %(date)s.", date=until.isoformat()), "success")
        return Redirect(f"/staff/accounts/{account.number}#medical", status_code=303)


def _adjustment_form_choices(form: AdjustmentForm, facts: adjustments.Facts) -> None:
    form.bill_id.choices = [
        (bill.id, f"{format_date(bill.period_start)} – {format_date(bill.period_end)} · {bill.usage:,} gal · {format_money(bill.total_cents)}")
        for bill in facts.bills
    ]
    form.entry_id.choices = [
        (entry.id, f"{format_date(entry.effective_on)} · {entry.memo or label(entry.kind)} · {format_money(entry.amount_cents)}")
        for entry in facts.fees
    ]


class AdjustmentController(Controller):
    path = "/staff/accounts/{number:str}/adjustments"
    guards = [guards.staff]

    async def _page(
        self, db_session: DbSession, account: Account, kind: str | None, form: AdjustmentForm,
        preview: object = None, status_code: int = 200,
    ) -> Template:
        facts = await adjustments.facts(db_session, account)
        _adjustment_form_choices(form, facts)
        return Template(
            "staff/adjustment.html",
            context={"account": account, "kind": kind, "kinds": list(AdjustmentKind), "form": form, "facts": facts,
                     "preview": preview, "threshold_cents": current_policy().adjustment_supervisor_threshold_cents},
            status_code=status_code,
        )

    @get("/new")
    async def new(self, request: Request, db_session: DbSession, number: FromPath[str], kind: FromQuery[str | None] = None) -> Template:
        account = await staff_account(request, db_session, number)
        kind = kind if kind in {k.value for k in AdjustmentKind} else None
        return await self._page(db_session, account, kind, AdjustmentForm(data={"kind": kind}))

    @post("/")
    async def create(self, request: Request, db_session: DbSession, settings: AppSettings, number: FromPath[str]) -> Template | Redirect:
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
                result, _inputs, _bill = await adjustments.calculate(db_session, account, kind, form.data_for_rule(), today, policy)
                return await self._page(db_session, account, kind_value, form,
                                        preview={"result": result, "needs_approval": rules.needs_approval(policy, result.amount_cents)})
            adjustment = await adjustments.request(
                db_session, actor_of(request), account, kind, form.data_for_rule(), form.reason.data, today, policy
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field and hasattr(form, exc.field) else KIND_FIELD[kind_value], exc.message)
            return await self._page(db_session, account, kind_value, form, status_code=exc.status_code)
        if adjustment.status == AdjustmentStatus.PENDING_APPROVAL:
            flash(request, _("Over the limit: sent to a supervisor for approval."), "warning")
        else:
            flash(request, _("Adjustment posted: %(amount)s.", amount=format_money(adjustment.amount_cents)), "success")
        return Redirect(f"/staff/accounts/{account.number}#adjustments", status_code=303)


class ApprovalController(Controller):
    path = "/staff/approvals"
    guards = [guards.supervisor]

    @get("/")
    async def queue(self, request: Request, db_session: DbSession) -> Template:
        return Template("staff/approvals.html", context={"waiting": await adjustments.waiting(db_session), "form": DecisionForm()})

    @post("/{adjustment_id:int}/{decision:str}")
    async def decide(
        self, request: Request, db_session: DbSession, settings: AppSettings, adjustment_id: FromPath[int], decision: FromPath[str]
    ) -> Redirect:
        if decision not in ("approve", "reject"):
            raise NotFound(_("No such decision."))
        form = await DecisionForm.from_request(request)
        adjustment = await adjustments.decide(
            db_session, actor_of(request), adjustment_id, approve=decision == "approve", note=form.note.data or "",
            today=local_today(settings),
        )
        if adjustment.status == AdjustmentStatus.POSTED:
            flash(request, _("Approved and posted: %(amount)s.", amount=format_money(adjustment.amount_cents)), "success")
        else:
            flash(request, _("Rejected."), "info")
        return Redirect("/staff/approvals", status_code=303)


ROUTES = [ConsoleController, AdjustmentController, ApprovalController]
