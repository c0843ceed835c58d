"""Signing out of this browser."""

from __future__ import annotations

from litestar import Request, post
from litestar.response import Redirect

from portal import i18n
from portal.i18n import gettext as _
from portal.web.deps import DbSession
from portal.web.flash import flash
from portal.web.identity import sign_out
from portal.web.middleware import SIGNED_OUT_LANG
from portal.web.urls import redirect_to


@post("/signout", name="signout")
async def signout(request: Request, db_session: DbSession) -> Redirect:
    saved = getattr(request.user, "locale", None)
    await sign_out(request, db_session)
    flash(request, _("You are signed out."), "info")
    if saved in i18n.SUPPORTED:
        request.session[SIGNED_OUT_LANG] = saved  # the next pages stay in it until someone signs in (middleware.py)
    return redirect_to("landing", status_code=302)
