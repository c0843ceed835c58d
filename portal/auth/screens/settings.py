"""Every signed-in person's own settings: passkeys, sign-out everywhere (residents' billing preferences are on the
resident side)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from portal.accounts.models import User
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, DbSession, FromPath
from portal.web.flash import flash
from portal.web.identity import sign_out
from portal.web.urls import redirect_to, url

from .. import passkeys, services
from .common import json_error, put_challenge, take_challenge


class SettingsController(Controller):
    path = "/settings"
    guards = [guards.signed_in]

    @get("/", name="settings")
    async def page(self, request: Request, db_session: DbSession) -> Template:
        keys = await services.passkeys_of(db_session, request.user.id)
        return Template("auth/settings.html", context={"passkeys": keys})

    @post("/passkeys/options", name="settings.passkeys.options")
    async def register_options(self, request: Request, db_session: DbSession, settings: AppSettings) -> Response:
        user = await db_session.get(User, request.user.id)
        assert user is not None
        existing = [p.credential_id for p in await services.passkeys_of(db_session, user.id)]
        options, challenge = passkeys.registration_options(
            settings,
            user_handle=user.webauthn_handle,
            user_name=user.email,
            display_name=user.display_name,
            existing=existing,
        )
        put_challenge(request, "register", challenge)
        return Response(options, media_type="application/json")

    @post("/passkeys", name="settings.passkeys.register")
    async def register(
        self, request: Request, db_session: DbSession, settings: AppSettings, actor: CurrentActor
    ) -> Response:
        challenge = take_challenge(request, "register")
        if challenge is None:
            return json_error(_("This page had expired. Try again."), 400, "expired")
        try:
            body = passkeys.parse(await request.body())
            new = passkeys.verify_registration(settings, body.get("credential") or {}, challenge)
        except passkeys.PasskeyError:
            return json_error(_("Your device could not create a passkey here. Try again."), 400, "passkey_failed")
        user = await db_session.get(User, request.user.id)
        assert user is not None
        nickname = str(body.get("nickname") or "")[:80] or _("Passkey")
        await services.add_passkey(db_session, actor, user, new, nickname)
        flash(request, _("Passkey added. Next time, choose “Sign in with a passkey”."), "success")
        return Response({"redirect": url(request, "settings", anchor="passkeys")})

    @post("/passkeys/{passkey_id:int}/delete", name="settings.passkeys.delete")
    async def remove(
        self, request: Request, db_session: DbSession, actor: CurrentActor, passkey_id: FromPath[int]
    ) -> Redirect:
        await services.remove_passkey(db_session, actor, request.user.id, passkey_id)
        flash(request, _("Passkey removed."), "success")
        return redirect_to("settings", anchor="passkeys", status_code=302)

    @post("/signout-everywhere", name="settings.signout_everywhere")
    async def signout_everywhere(self, request: Request, db_session: DbSession, actor: CurrentActor) -> Redirect:
        await services.sign_out_everywhere(db_session, actor, request.user.id)
        await sign_out(request, db_session)
        flash(request, _("You are signed out on every device."), "info")
        return redirect_to("signin", status_code=302)
