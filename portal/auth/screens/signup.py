"""Signing up: a resident makes a login by proving they hold an account (number + service ZIP + last name) and an
email (a code sent to it)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from portal.accounts.errors import DomainError
from portal.accounts.models import Account
from portal.i18n import gettext as _
from portal.web.deps import AppSettings, CurrentActor, DbSession
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.identity import client_ip, sign_in
from portal.web.urls import redirect_to

from .. import attempts, services
from ..forms import EmailCodeForm, SignUpForm
from .common import redeem, requester


class SignUpController(Controller):
    path = "/signup"

    @get("/", name="signup")
    async def page(self) -> Template:
        return Template("auth/signup.html", context={"form": SignUpForm()})

    @post("/", name="signup.submit")
    async def submit(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template | Redirect:
        form = await SignUpForm.from_request(request)
        if not form.validate():
            return Template("auth/signup.html", context={"form": form}, status_code=400)
        try:
            account = await attempts.match_for_signup(
                db_session,
                request.app.state.sessionmaker,
                client_ip(request),
                account_number=filled(form.account_number.data),
                zip_code=filled(form.zip_code.data),
                last_name=filled(form.last_name.data),
            )
        except DomainError as exc:
            form.add_error("account_number", exc.message)
            return Template("auth/signup.html", context={"form": form}, status_code=exc.status_code)
        email = services.normalize_email(filled(form.email.data))
        await services.send_signup_code(db_session, settings, email, account, requester=requester(request))
        request.session["code_email"] = email
        return redirect_to("signup.verify", status_code=302)

    @get("/verify", name="signup.verify")
    async def verify_page(self, request: Request) -> Template:
        form = EmailCodeForm(data={"email": request.session.get("code_email", "")})
        return Template("auth/code.html", context={"form": form, "next": "", "purpose": "signup"})

    @post("/verify", name="signup.verify.submit")
    async def verify(
        self, request: Request, db_session: DbSession, settings: AppSettings, actor: CurrentActor
    ) -> Template | Redirect:
        form = await EmailCodeForm.from_request(request)
        context: dict[str, Any] = {"form": form, "next": "", "purpose": "signup"}
        redeemed = await redeem(request, db_session, settings, form, "signup")
        if isinstance(redeemed, int):
            return Template("auth/code.html", context=context, status_code=redeemed)
        account = await db_session.get(Account, (redeemed.payload or {}).get("account_id"))
        if account is None:
            raise NotFoundException()
        try:
            user = await services.create_customer_login(db_session, actor, redeemed.email, account)
        except DomainError as exc:
            form.add_error("email", exc.message)
            return Template("auth/code.html", context=context, status_code=409)
        await sign_in(request, db_session, user)
        request.session.pop("code_email", None)
        flash(
            request,
            _(
                "Your account is linked. Add a passkey so next time you can sign in with your fingerprint, face or screen lock."
            ),
            "success",
        )
        return redirect_to("settings", anchor="passkeys", status_code=302)
