"""The console's home and the account search."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Redirect, Template

from portal.web import guards
from portal.web.deps import DbSession, FromQuery
from portal.web.urls import redirect_to

from .. import navigation
from .. import search as account_search


class HomeController(Controller):
    path = "/staff"
    guards = [guards.staff]

    @get("/", name="staff.home")
    async def home(self, request: Request) -> Template:
        return Template("staff/home.html", context={"links": navigation.console_links(request.user.role)})

    @get("/accounts", name="staff.accounts")
    async def search(self, db_session: DbSession, q: FromQuery[str] = "") -> Template | Redirect:
        results = await account_search.search(db_session, q[:200])
        if results.only is not None:  # exactly one account matched what was typed: open it
            return redirect_to("staff.account", number=results.only.number)
        return Template("staff/search.html", context={"q": q, "results": results})
