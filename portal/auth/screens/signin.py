"""Signing in: with a passkey (the JSON endpoints the page's script calls) or with a code sent by email."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from portal.i18n import gettext as _
from portal.web import clock
from portal.web.deps import AppSettings, DbSession, FromQuery
from portal.web.flash import flash
from portal.web.forms import filled
from portal.web.identity import client_ip, home_route, safe_next, sign_in
from portal.web.urls import redirect_to, url

from .. import attempts, passkeys, services
from ..forms import EmailCodeForm, EmailCodeRequestForm
from .common import json_error, put_challenge, redeem, requester, take_challenge


class SignInController(Controller):
    path = "/signin"

    @get("/", name="signin")
    async def page(self, request: Request, next: FromQuery[str | None] = None) -> Template | Redirect:
        if request.user is not None:
            return Redirect(safe_next(next, url(request, request.user.home_route)))
        return Template("auth/signin.html", context={"form": EmailCodeRequestForm(), "next": safe_next(next, "")})

    @post("/passkey/options", name="signin.passkey.options")
    async def passkey_options(self, request: Request, settings: AppSettings) -> Response:
        options, challenge = passkeys.authentication_options(settings)
        put_challenge(request, "signin", challenge)
        return Response(options, media_type="application/json")

    @post("/passkey", name="signin.passkey")
    async def passkey_verify(self, request: Request, db_session: DbSession, settings: AppSettings) -> Response:
        maker, ip = request.app.state.sessionmaker, client_ip(request)
        if await attempts.passkey_limited(maker, ip):
            return json_error(_("Too many attempts. Wait a while and try again."), 429, "rate_limited")
        challenge = take_challenge(request, "signin")
        if challenge is None:
            return json_error(_("This page had expired. Try again."), 400, "expired")
        try:
            user = await attempts.passkey_sign_in(db_session, maker, settings, ip, await request.body(), challenge)
        except passkeys.PasskeyError:
            failed = _("That passkey did not work here. Try again, or sign in with an email code.")
            return json_error(failed, 400, "passkey_failed")
        await sign_in(request, db_session, user)
        target = safe_next(request.query_params.get("next"), url(request, home_route(user.role)))
        return Response({"redirect": target})

    @post("/code", name="signin.code.request")
    async def request_code(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template | Redirect:
        form = await EmailCodeRequestForm.from_request(request)
        next_ = safe_next((await request.form()).get("next"), "")
        if not form.validate():
            return Template("auth/signin.html", context={"form": form, "next": next_}, status_code=400)
        email = services.normalize_email(filled(form.email.data))
        maker, ip = request.app.state.sessionmaker, client_ip(request)
        if await attempts.code_requests_exceeded(maker, ip, email):
            form.add_error("email", _("Too many codes were asked for. Wait an hour and try again."))
            return Template("auth/signin.html", context={"form": form, "next": next_}, status_code=429)
        # A requester for every address, so the session cookie says nothing about which exist; and the same
        # answer whether or not the address has a login: the page reveals nobody's email.
        await attempts.send_signin_code(db_session, maker, settings, ip, email, requester(request))
        request.session["code_email"] = email
        return redirect_to("signin.code", query={"next": next_} if next_ else None, status_code=302)

    @get("/code", name="signin.code")
    async def code_page(self, request: Request, next: FromQuery[str | None] = None) -> Template:
        form = EmailCodeForm(data={"email": request.session.get("code_email", "")})
        return Template("auth/code.html", context={"form": form, "next": safe_next(next, ""), "purpose": "signin"})

    @post("/code/verify", name="signin.code.verify")
    async def verify_code(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template | Redirect:
        form = await EmailCodeForm.from_request(request)
        next_ = safe_next((await request.form()).get("next"), "")
        context: dict[str, Any] = {"form": form, "next": next_, "purpose": "signin"}
        redeemed = await redeem(request, db_session, settings, form, "signin")
        if isinstance(redeemed, int):
            return Template("auth/code.html", context=context, status_code=redeemed)
        user = await services.signing_in_with_code(db_session, redeemed.email, clock.now())
        if user is None:
            form.add_error(
                "code", _("That code is not right or has expired. Check the latest email or ask for a new code.")
            )
            return Template("auth/code.html", context=context, status_code=400)
        await sign_in(request, db_session, user)
        request.session.pop("code_email", None)
        if not await services.passkeys_of(db_session, user.id):
            flash(
                request,
                _(
                    "You are signed in. Add a passkey so next time you can sign in with your fingerprint, face or screen lock."
                ),
                "info",
            )
            return redirect_to("settings", anchor="passkeys", status_code=302)
        return Redirect(safe_next(next_, url(request, home_route(user.role))))
