"""Request ids, one log line per request, request metrics, and the probes: /readyz and /metrics (/healthz is in
pages.py). See docs/operations.md ("Logs", "Metrics", "Health and readiness") and docs/security.md.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import ipaddress
import re
import time
import uuid
from typing import Any

import structlog
from alembic.script import ScriptDirectory
from litestar import Request, Response, get
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import NotFoundException
from litestar.status_codes import HTTP_200_OK, HTTP_401_UNAUTHORIZED, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from portal import logs, metrics
from portal.migrate import alembic_config

from .identity import parse_trusted_proxies

log = logs.get("portal.request")

REQUEST_ID_HEADER = b"x-request-id"
# A request id from a trusted proxy is kept only if it is short and plain (it goes into logs and a header).
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
# Load balancers poll these every few seconds: counted in the metrics, logged only when they fail.
QUIET_ROUTES = frozenset({"health", "ready", "metrics"})
UNMATCHED = "unmatched"  # 404s and 405s the router answers: one label, whatever path was asked for
# A method label from this set only: a client can send any word as a method, and each would be a new series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
READY_TIMEOUT_SECONDS = 3


def request_id_for(scope: Scope, trusted_proxies: str) -> str:
    """The X-Request-ID a trusted proxy sent (the same rule as the client address, docs/security.md), else a new
    one: anyone else could write anything there, and a forged id would tie their requests to someone else's."""
    peer = (scope.get("client") or (None,))[0]
    trusted = parse_trusted_proxies(trusted_proxies)
    if peer and trusted:
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            address = None
        if address is not None and any(address in net for net in trusted):
            for key, value in scope.get("headers", []):
                if key == REQUEST_ID_HEADER:
                    candidate = value.decode("latin-1").strip()
                    if SAFE_REQUEST_ID.fullmatch(candidate):
                        return candidate
    return uuid.uuid4().hex


def route_name(scope: Scope) -> str:
    """The route's name (or its path template): never the raw path, which can hold anything a visitor typed."""
    handler = scope.get("route_handler")
    if handler is None:
        return UNMATCHED
    return str(getattr(handler, "name", None) or scope.get("path_template") or UNMATCHED)


class RequestLog:
    """Wraps the whole app (outside the router, so 404s and 405s count too): gives every request an id, bound in the
    log context for everything the request logs and returned in `X-Request-ID`, then writes one line and counts
    the request and its latency. User id and role are logged; never emails, codes, card or bank details."""

    def __init__(self, app: ASGIApp, trusted_proxies: str) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(scope, self.trusted_proxies)
        status = 500  # what an exception escaping everything becomes
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)["X-Request-ID"] = request_id
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                seconds = time.perf_counter() - started
                route = route_name(scope)
                method = str(scope.get("method", ""))
                metrics.count_request(route, method if method in METHODS else "OTHER", status, seconds)
                if route not in QUIET_ROUTES or status >= 400:
                    user = scope.get("user")
                    (log.error if status >= 500 else log.info)(
                        "request",
                        method=scope.get("method"),
                        route=route,
                        status=status,
                        duration_ms=round(seconds * 1000, 1),
                        user_id=getattr(user, "id", None),
                        role=str(user.role) if user is not None and hasattr(user, "role") else None,
                    )


def install(app: Any, trusted_proxies: str) -> None:
    """Wrap the Litestar app's request handler (its before-send hooks still see our header)."""
    app.asgi_handler = RequestLog(app.asgi_handler, trusted_proxies)


# ---- probes -------------------------------------------------------------------------------------------------------


@functools.cache
def migration_heads() -> frozenset[str]:
    """The revisions this code expects the database to be at (read once: they ship with the code)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("")).get_heads())


def _not_ready(reason: str) -> Response[dict[str, str]]:
    return Response(
        {"status": "not ready", "reason": reason},
        status_code=HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Cache-Control": "no-store"},
    )


@get("/readyz", include_in_schema=False, name="ready")
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """Ready for traffic: the database answers and its schema is at this code's migration head. A load balancer
    stops sending requests to an instance answering 503 here (and keeps it alive: /healthz)."""
    engine: AsyncEngine = request.app.state.engine
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            try:
                current = frozenset(
                    (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars()
                )
            except Exception:  # no alembic_version table: never migrated
                current = frozenset()
    except TimeoutError:
        return _not_ready(f"the database did not answer within {READY_TIMEOUT_SECONDS} s")
    except Exception as exc:  # the reason is logged; the answer names no host or credentials
        log.warning("readiness: database unreachable", error=type(exc).__name__)
        return _not_ready("the database is unreachable")
    heads = migration_heads()
    if current != heads:
        found = ", ".join(sorted(current)) or "none"
        return _not_ready(
            f"migrations not at head (database: {found}; code: {', '.join(sorted(heads))}): run portal migrate"
        )
    return Response({"status": "ready"}, status_code=HTTP_200_OK, headers={"Cache-Control": "no-store"})


@get("/metrics", include_in_schema=False, name="metrics")
async def metrics_page(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus text format, for a scraper holding METRICS_TOKEN as a bearer token. Without the setting the route
    does not exist (404); a wrong or missing token is 401, compared in constant time."""
    token = request.app.state.settings.metrics_token
    if not token:
        raise NotFoundException()
    given = request.headers.get("authorization", "")
    scheme, _, credentials = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(credentials.strip().encode(), token.encode()):
        return Response(
            b"A valid bearer token is needed.\n",
            status_code=HTTP_401_UNAUTHORIZED,
            media_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body = await metrics.scrape(request.app.state.sessionmaker)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


ROUTES = [ready, metrics_page]
PROBE_PATHS = ["/healthz", "/readyz", "/metrics"]  # no session, no identity look-up
