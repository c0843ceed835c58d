"""Demo-only routes: sign in as a seeded persona without passkey hardware, and read the mail the demo "sent".

The app factory calls `install` only when the app runs with PORTAL_DEMO=1; production never has these routes.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from sqlalchemy import select

from portal.accounts.models import MailMessage, User
from portal.demo.city import PERSONAS
from portal.web.deps import DbSession, FromPath
from portal.web.identity import home_route, sign_in
from portal.web.urls import redirect_to


class DemoController(Controller):
    path = "/demo"

    @post("/signin/{persona:str}", name="demo.signin")
    async def sign_in_as(self, request: Request, db_session: DbSession, persona: FromPath[str]) -> Redirect:
        if persona not in PERSONAS:
            raise NotFoundException()
        user = await db_session.scalar(select(User).where(User.email == PERSONAS[persona][0]))
        if user is None:
            raise NotFoundException()
        await sign_in(request, db_session, user)
        return redirect_to(home_route(user.role), status_code=302)

    @get("/mailbox", name="demo.mailbox")
    async def mailbox(self, db_session: DbSession) -> Template:
        messages = list(await db_session.scalars(select(MailMessage).order_by(MailMessage.id.desc()).limit(100)))
        return Template("auth/mailbox.html", context={"messages": messages})


def install(route_handlers: list[Any], templates: JinjaTemplateEngine) -> None:
    """Demo mode: add these routes and give the sign-in page its persona buttons."""
    route_handlers.append(DemoController)
    templates.engine.globals["demo_personas"] = PERSONAS
