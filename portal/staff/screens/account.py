"""The account page, and the notes and medical alert written on it."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.accounts.errors import DomainError
from portal.i18n import format_date
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import CurrentActor, CurrentPolicy, DbSession, FromPath, Today
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.urls import redirect_to

from .. import services
from ..forms import MedicalAlertForm, NoteForm
from ._pages import account_page, staff_account


class AccountController(Controller):
    path = "/staff/accounts/{number:str}"
    guards = [guards.staff]

    @get("/", name="staff.account")
    async def account(
        self, request: Request, db_session: DbSession, today: Today, policy: CurrentPolicy, number: FromPath[str]
    ) -> Template:
        account = await staff_account(request, db_session, number)
        return await account_page(request, db_session, today, policy, account)

    @post("/notes", name="staff.account.note")
    async def add_note(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        number: FromPath[str],
    ) -> Template | Redirect:
        account = await staff_account(request, db_session, number)
        form = await NoteForm.from_request(request)
        if not form.validate():
            return await account_page(request, db_session, today, policy, account, 400, note_form=form)
        await services.add_note(db_session, actor, account, filled(form.body.data))
        flash(request, _("Note added."), "success")
        return redirect_to("staff.account", number=account.number, anchor="notes")

    @post("/medical-alert", name="staff.account.medical_alert")
    async def medical_alert(
        self,
        request: Request,
        db_session: DbSession,
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
                    db_session, actor, account, policy, filled(form.certified_on.data), today
                )
            except DomainError as exc:
                form.add_error("certified_on", exc.message)
        if form.errors:
            return await account_page(request, db_session, today, policy, account, 400, medical_form=form)
        flash(request, _("Medical alert on file until %(date)s.", date=format_date(until)), "success")
        return redirect_to("staff.account", number=account.number, anchor="medical")
