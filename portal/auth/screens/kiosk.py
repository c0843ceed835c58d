"""Leaving kiosk mode: the CSR who started it proves it is them again, with one of their passkeys (the sign-in
ceremony) or a one-time code mailed to their address (the sign-in code flow). Both count failures like sign-in."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _
from portal.web import guards, kiosk
from portal.web.deps import AppSettings, CurrentActor, DbSession
from portal.web.flash import flash
from portal.web.identity import client_ip
from portal.web.urls import redirect_to, url

from .. import attempts, passkeys, services
from ..forms import EmailCodeForm
from .common import json_error, put_challenge, redeem, requester, take_challenge

CODE_SENT = "kiosk_code_sent"


async def _page(
    request: Request, db_session: AsyncSession, form: EmailCodeForm | None = None, status_code: int = 200
) -> Template:
    context: dict[str, Any] = {
        "form": form or EmailCodeForm(),
        "code_sent": bool(request.session.get(CODE_SENT)),
        "has_passkey": bool(await services.passkeys_of(db_session, request.user.id)),  # else only the code is offered
    }
    return Template("auth/kiosk_exit.html", context=context, status_code=status_code)


class KioskExitController(Controller):
    path = "/kiosk/exit"
    guards = [guards.staff]

    @get("/", name="kiosk.exit")
    async def page(self, request: Request, db_session: DbSession) -> Template | Redirect:
        if kiosk.active(request.session) is None:
            return redirect_to("staff.walkin")
        return await _page(request, db_session)

    @post("/passkey/options", name="kiosk.exit.passkey.options")
    async def passkey_options(self, request: Request, db_session: DbSession, settings: AppSettings) -> Response:
        mine = [p.credential_id for p in await services.passkeys_of(db_session, request.user.id)]
        options, challenge = passkeys.authentication_options(settings, allow=mine)
        put_challenge(request, "kiosk", challenge)
        return Response(options, media_type="application/json")

    @post("/passkey", name="kiosk.exit.passkey")
    async def passkey_verify(
        self, request: Request, db_session: DbSession, settings: AppSettings, actor: CurrentActor
    ) -> Response:
        maker, ip = request.app.state.sessionmaker, client_ip(request)
        if await attempts.passkey_limited(maker, ip):
            return json_error(_("Too many attempts. Wait a while and try again."), 429, "rate_limited")
        challenge = take_challenge(request, "kiosk")
        record = kiosk.active(request.session)
        if challenge is None or record is None:
            return json_error(_("This page had expired. Try again."), 400, "expired")
        failed = _("That passkey is not the one of the staff member who started kiosk mode.")
        try:
            user = await attempts.passkey_sign_in(db_session, maker, settings, ip, await request.body(), challenge)
        except passkeys.PasskeyError:
            return json_error(failed, 400, "passkey_failed")
        if user.id != record["by"] or user.id != request.user.id:
            await db_session.rollback()  # nothing of that passkey's use is kept (and SQLite's write lock is freed)
            await attempts.count_passkey_failure(maker, ip)  # another person's passkey is a failed proof here
            return json_error(failed, 400, "passkey_failed")
        await kiosk.finish(request, db_session, actor, "passkey")
        flash(request, _("Kiosk mode is off."), "success")
        return Response({"redirect": url(request, "staff.home")})

    @post("/code", name="kiosk.exit.code")
    async def send_code(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template | Redirect:
        if kiosk.active(request.session) is None:
            return redirect_to("staff.walkin")
        email = services.normalize_email(request.user.email)
        maker, ip = request.app.state.sessionmaker, client_ip(request)
        if await attempts.code_requests_exceeded(maker, ip, email):
            form = EmailCodeForm()
            form.add_error("code", _("Too many codes were asked for. Wait an hour and try again."))
            return await _page(request, db_session, form, 429)
        await attempts.send_signin_code(db_session, maker, settings, ip, email, requester(request), purpose="kiosk")
        request.session[CODE_SENT] = True
        return redirect_to("kiosk.exit", anchor="by-code")

    @post("/code/verify", name="kiosk.exit.code.verify")
    async def verify_code(
        self, request: Request, db_session: DbSession, settings: AppSettings, actor: CurrentActor
    ) -> Template | Redirect:
        if kiosk.active(request.session) is None:
            return redirect_to("staff.walkin")
        form = await EmailCodeForm.from_request(request)
        form.email.data = request.user.email  # always the signed-in CSR's address, whatever the page sent
        redeemed = await redeem(request, db_session, settings, form, "kiosk")
        if isinstance(redeemed, int):
            return await _page(request, db_session, form, redeemed)
        request.session.pop(CODE_SENT, None)
        await kiosk.finish(request, db_session, actor, "code")
        flash(request, _("Kiosk mode is off."), "success")
        return redirect_to("staff.home")
