"""ASGI middleware: the request's language, and the security headers every response carries."""

from __future__ import annotations

from http.cookies import SimpleCookie

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal import i18n

LANG_COOKIE = "lang"
SIGNED_OUT_LANG = "signed_out_lang"  # the session's note, after sign-out, of the language the person had saved


def cookie_value(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is the visitor's problem, not a 500
                return None
            if name in jar:
                return jar[name].value
    return None


def header_value(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def locale_for(scope: Scope) -> str:
    """This device's explicit choice, else the signed-in person's saved language (or, just after sign-out, the one
    they had saved), else the browser's."""
    chosen = cookie_value(scope, LANG_COOKIE)
    if chosen in i18n.SUPPORTED:
        return chosen
    saved = getattr(scope.get("user"), "locale", None)
    if saved in i18n.SUPPORTED:
        return saved
    # Just signed out: the pages stay in the language the person had saved until someone signs in (a sign-in starts
    # a fresh session without it), so a Spanish reader is not dropped into English on a shared device either.
    session = scope.get("session")
    left = session.get(SIGNED_OUT_LANG) if isinstance(session, dict) else None
    if left in i18n.SUPPORTED:
        return str(left)
    return i18n.negotiate(header_value(scope, b"accept-language"))


class LocaleMiddleware:
    """Sets the locale for everything this request runs: handlers, templates, error pages.
    Runs after the identity middleware so a signed-in person's saved language counts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        locale = locale_for(scope)
        scope.setdefault("state", {})["locale"] = locale
        token = i18n.set_locale(locale)
        try:
            await self.app(scope, receive, send)
        finally:
            i18n._current.reset(token)


def content_security_policy(extra_script: list[str], extra_frame: list[str], extra_connect: list[str]) -> str:
    script = " ".join(["'self'", *extra_script])
    frame = " ".join(["'self'", *extra_frame]) if extra_frame else "'none'"
    connect = " ".join(["'self'", *extra_connect])
    return (
        "default-src 'self'; "
        f"script-src {script}; "
        "style-src 'self'; "
        "img-src 'self' data: blob:; "
        "font-src 'self'; "
        f"connect-src {connect}; "
        f"frame-src {frame}; "
        "worker-src 'self'; "
        "manifest-src 'self'; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )


STATIC_PREFIX = "/static/"


class SecurityHeaders:
    """A before-send hook, so every response but an asset's carries the headers: routed pages and the 404 or 405
    the router answers before any middleware runs. The CSP applies to HTML documents only. A response nobody marked
    cacheable, and anything answered to a signed-in person, is `no-store`: no browser or proxy keeps a copy of a
    bill, a balance or a Stripe client secret. The one exception is a response that marked itself `private` (a
    photo): the viewer's own browser may keep it, no shared cache may."""

    def __init__(self, csp: str, hsts: bool) -> None:
        self.csp = csp
        self.headers = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Permissions-Policy": "camera=(self), geolocation=(self), microphone=(), payment=(self)",
        }
        if hsts:
            self.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or scope.get("type") != "http":
            return
        if str(scope.get("path", "")).startswith(STATIC_PREFIX):
            return  # an asset carries its own few headers (portal/web/static_files.py)
        headers = MutableScopeHeaders.from_message(message)
        for name, value in self.headers.items():
            if name not in headers:
                headers[name] = value
        if (headers.get("Content-Type") or "").startswith("text/html") and "Content-Security-Policy" not in headers:
            headers["Content-Security-Policy"] = self.csp
        # The page depends on the language (cookie or Accept-Language) and the session: said beside the compression's
        # "Accept-Encoding", which used to stand alone, so a browser's copy of /outages in English was shown again
        # after the visitor chose Spanish.
        vary = [part.strip() for part in (headers.get("Vary") or "").split(",") if part.strip()]
        missing = [name for name in ("Cookie", "Accept-Language") if name.lower() not in {v.lower() for v in vary}]
        if missing:
            headers["Vary"] = ", ".join([*vary, *missing])
        signed_in = scope.get("user") is not None
        cache = headers.get("Cache-Control") or ""
        # A response to a signed-in person may be kept by that person's browser only if it says `private` itself
        # (the photo route); anything else answered to them is no-store.
        if not cache or (signed_in and not cache.startswith("private")):
            headers["Cache-Control"] = "no-store"
        elif "public" in cache and "set-cookie" in headers:
            headers["Cache-Control"] = "no-store"  # a shared cache must never hand one visitor's cookie to another
