"""Resident pages: the public landing page and the signed-in account home."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Redirect, Template

from portal.accounts import access, ledger, summary
from portal.web import guards
from portal.web.deps import DbSession, FromPath


@get("/", name="landing")
async def landing(request: Request) -> Template | Redirect:
    if request.user is not None:
        return Redirect(request.user.home_url)
    return Template("customer/landing.html")


class MyAccountController(Controller):
    path = "/my"
    guards = [guards.customer]

    @get("/")
    async def home(self, request: Request, db_session: DbSession) -> Template:
        accounts = await access.linked_accounts(db_session, request.user.id)
        balances = await ledger.balances(db_session, [a.id for a in accounts])
        summaries = [await summary.summarize(db_session, a) for a in accounts]
        return Template("customer/home.html", context={"summaries": summaries, "balances": balances})

    @get("/accounts/{number:str}")
    async def account(self, request: Request, db_session: DbSession, number: FromPath[str]) -> Template:
        account = await access.account_for(db_session, request.user.id, request.user.role, number)
        return Template(
            "customer/account.html",
            context={
                "summary": await summary.summarize(db_session, account),
                "lines": await summary.ledger_with_running_balance(db_session, account.id, limit=12),
            },
        )


ROUTES = [landing, MyAccountController]
