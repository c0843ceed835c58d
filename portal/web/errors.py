"""Turning errors into answers: a page written for a person, or a JSON error for API calls. Never a bare 500."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from portal.accounts.errors import DomainError
from portal.i18n import gettext as _
from portal.i18n import set_locale

from .middleware import locale_for
from .urls import redirect_to

log = logging.getLogger("portal")


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    content_type = request.headers.get("content-type", "")
    return (
        request.url.path.startswith("/api/")
        or "application/json" in content_type
        or ("application/json" in accept and "text/html" not in accept)
    )


def _json_error(code: str, message: str, status: int, **extra: object) -> Response:
    return Response(
        {"error": {"code": code, "message": message, **extra}}, status_code=status, media_type=MediaType.JSON
    )


def _ensure_locale(request: Request) -> None:
    if "locale" not in request.scope.get("state", {}):
        # No route matched, so no middleware ran: pick the language here.
        set_locale(locale_for(request.scope))


def _page(request: Request, status: int, title: str, message: str, back: str | None = None) -> Template:
    return Template(
        "errors/problem.html",
        context={"title": title, "message": message, "status": status, "back": back},
        status_code=status,
    )


def form_page_of(request: Request) -> str | None:
    """The page whose form was refused: the same-origin Referer of a POST, as a path. The refusal links back to it
    (JavaScript goes back in history instead, where the browser keeps what was typed)."""
    referer = request.headers.get("referer")
    if request.method != "POST" or not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc != request.headers.get("host") or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def domain_error(request: Request, exc: DomainError) -> Response:
    _ensure_locale(request)
    if wants_json(request):
        return _json_error(exc.code, exc.message, exc.status_code, field=exc.field)
    return _page(request, exc.status_code, _("We could not do that"), exc.message, form_page_of(request))


def not_authorized(request: Request, exc: NotAuthorizedException) -> Response:
    _ensure_locale(request)
    if wants_json(request):
        return _json_error("signin_required", _("Please sign in."), 401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect_to("signin", query={"next": target}, status_code=302)


def permission_denied(request: Request, exc: PermissionDeniedException) -> Response:
    _ensure_locale(request)
    if "csrf" in str(exc.detail).lower():
        return http_error(request, exc)
    if wants_json(request):
        return _json_error("forbidden", _("You do not have access to this."), 403)
    return _page(request, 403, _("Not available to you"), _("You do not have access to this page."))


def http_error(request: Request, exc: HTTPException) -> Response:
    _ensure_locale(request)
    status = exc.status_code
    if status == 404:
        title, message = _("Page not found"), _("We could not find that page. Check the address or go back.")
    elif status == 403 and "csrf" in str(exc.detail).lower():
        title = _("Please try again")
        message = _("This form had expired. Go back, reload the page and send it again.")
    elif status == 429:
        title, message = _("Too many tries"), _("Too many attempts. Wait a while and try again.")
    elif status == 405:
        title, message = _("Not allowed"), _("That action is not available here.")
    else:
        title, message = _("Something is not right"), str(exc.detail) if status < 500 else _("Please try again later.")
    if wants_json(request):
        code = "csrf" if status == 403 and "csrf" in str(exc.detail).lower() else f"http_{status}"
        return _json_error(code, message, status, **({"details": exc.extra} if exc.extra else {}))
    return _page(request, status, title, message)


def server_error(request: Request, exc: Exception) -> Response:
    _ensure_locale(request)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    message = _("Something went wrong on our side. Nothing was changed. Please try again in a moment.")
    if wants_json(request):
        return _json_error("server_error", message, HTTP_500_INTERNAL_SERVER_ERROR)
    return _page(request, 500, _("Sorry, something went wrong"), message)


HANDLERS: ExceptionHandlersMap = {
    DomainError: domain_error,
    NotAuthorizedException: not_authorized,
    PermissionDeniedException: permission_denied,
    HTTPException: http_error,
    Exception: server_error,
}
