"""The CSR console: search and the account page."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from portal.accounts import access, summary
from portal.web import guards
from portal.web.deps import DbSession, FromPath, FromQuery

from . import services


class ConsoleController(Controller):
    path = "/staff"
    guards = [guards.staff]

    @get("/")
    async def home(self) -> Template:
        return Template("staff/home.html")

    @get("/accounts")
    async def search(self, db_session: DbSession, q: FromQuery[str] = "") -> Template:
        results = await services.search(db_session, q)
        return Template("staff/search.html", context={"q": q, "results": results})

    @get("/accounts/{number:str}")
    async def account(self, request: Request, db_session: DbSession, number: FromPath[str]) -> Template:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        return Template(
            "staff/account.html",
            context={
                "summary": await summary.summarize(db_session, account),
                "lines": await summary.ledger_with_running_balance(db_session, account.id),
                "history": await services.audit_history(db_session, account.id),
            },
        )


ROUTES = [ConsoleController]
