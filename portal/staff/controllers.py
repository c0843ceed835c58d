"""The CSR console: search, the account page and the actions taken from it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.accounts import access
from portal.accounts.models import Account
from portal.accounts.policy import current_policy
from portal.i18n import gettext as _
from portal.settings import Settings
from portal.web import guards
from portal.web.deps import AppSettings, DbSession, FromPath, FromQuery
from portal.web.flash import flash
from portal.web.identity import actor_of

from . import navigation, services
from . import search as account_search
from .forms import MedicalAlertForm, NoteForm


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


ROUTES = [ConsoleController]
