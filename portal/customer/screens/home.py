"""The resident's home, their accounts (switching between them, one account's page) and linking another one."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.accounts import access, summary
from portal.accounts.errors import DomainError
from portal.i18n import gettext as _
from portal.web import clock, guards
from portal.web.deps import CurrentActor, CurrentPolicy, DbSession, FromPath, Today
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.identity import client_ip
from portal.web.urls import redirect_to, url

from .. import forms, services
from ..services import SESSION_ACCOUNT
from .common import form_page


class HomeController(Controller):
    path = "/my"
    guards = [guards.customer]

    @get("/", name="customer.home")
    async def home(self, request: Request, db_session: DbSession, today: Today, policy: CurrentPolicy) -> Template:
        linked = await access.linked_with_premises(db_session, request.user.id)
        if not linked:
            return Template("customer/home.html", context={"accounts": [], "view": None, "premises": {}})
        chosen = request.session.get(SESSION_ACCOUNT)
        current, premise = next(((a, p) for a, p in linked if a.number == chosen), linked[0])
        view = await services.home(db_session, policy, current, premise, today, clock.now())
        return Template(
            "customer/home.html",
            context={"accounts": [a for a, _p in linked], "view": view, "premises": {p.id: p for _a, p in linked}},
        )

    @post("/accounts/switch", name="customer.switch")
    async def switch(self, request: Request, db_session: DbSession) -> Redirect:
        number = str((await request.form()).get("account", ""))
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        request.session[SESSION_ACCOUNT] = account.number
        home = url(request, "customer.home")
        target = str((await request.form()).get("next") or home)
        # After a POST: 303, so the browser fetches the next page with GET.
        return Redirect(target if target.startswith(home) and not target.startswith("//") else home, status_code=303)

    @get("/accounts/{number:str}", name="customer.account")
    async def account(self, request: Request, db_session: DbSession, number: FromPath[str]) -> Template:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        head = await summary.summarize(db_session, account)
        lines = await summary.ledger_with_running_balance(db_session, account.id, limit=12, total=head.balance_cents)
        return Template("customer/account.html", context={"summary": head, "lines": lines})

    @get("/link", name="customer.link")
    async def link_page(self) -> Template:
        return Template("customer/link.html", context={"form": forms.LinkAccountForm()})

    @post("/link", name="customer.link.submit")
    async def link(self, request: Request, db_session: DbSession, actor: CurrentActor) -> Template | Redirect:
        form = await forms.LinkAccountForm.from_request(request)
        if not form.validate():
            return form_page("customer/link.html", {"form": form})
        try:
            account, linked = await services.link_by_details(
                db_session,
                request.app.state.sessionmaker,
                actor,
                request.user.id,
                client_ip(request),
                account_number=filled(form.account_number.data),
                zip_code=filled(form.zip_code.data),
                last_name=filled(form.last_name.data),
            )
        except DomainError as exc:
            form.add_error("account_number", exc.message)
            return form_page("customer/link.html", {"form": form}, exc.status_code)
        if linked:
            flash(
                request,
                _("Account linked. You are now looking at it; switch accounts at the top of the home page."),
                "success",
            )
        else:
            flash(request, _("That account was already linked to your login."), "info")
        request.session[SESSION_ACCOUNT] = account.number
        return redirect_to("customer.home")
