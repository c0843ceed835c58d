"""The public landing page (a signed-in person goes straight to their own home)."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Redirect, Template

from portal.web.urls import redirect_to


@get("/", name="landing")
async def landing(request: Request) -> Template | Redirect:
    if request.user is not None:
        return redirect_to(request.user.home_route)
    return Template("customer/landing.html")
