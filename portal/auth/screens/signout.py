"""Signing out of this browser."""

from __future__ import annotations

from litestar import Request, post
from litestar.datastructures import Cookie
from litestar.response import Redirect

from portal import i18n
from portal.i18n import gettext as _
from portal.web.deps import DbSession
from portal.web.flash import flash
from portal.web.identity import sign_out
from portal.web.middleware import LANG_COOKIE, cookie_value
from portal.web.urls import redirect_to


@post("/signout", name="signout")
async def signout(request: Request, db_session: DbSession) -> Redirect:
    saved = getattr(request.user, "locale", None)
    await sign_out(request, db_session)
    flash(request, _("You are signed out."), "info")
    if saved in i18n.SUPPORTED and cookie_value(request.scope, LANG_COOKIE) is None:
        # The saved language came with the session; this device keeps it after sign-out, so a person who reads
        # Spanish is not dropped into English (the language link still switches it).
        keep = Cookie(key=LANG_COOKIE, value=saved, max_age=365 * 24 * 3600, samesite="lax", httponly=False)
        return redirect_to("landing", status_code=302, cookies=[keep])
    return redirect_to("landing", status_code=302)
