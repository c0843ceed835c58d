"""Links by route name: every href, form action and redirect is built here, so a route can move without a page breaking."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import pass_context
from litestar import Litestar, Request
from litestar.exceptions import NoRouteMatchFoundException
from litestar.response import Redirect
from litestar.types.internal_types import PathParameterDefinition


@dataclass(frozen=True)
class RouteLink:
    """A link named by a service that knows no paths; the page builds it: ``url(link.name, **link.params)``."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Param:
    name: str


def _shape(app: Litestar, route_name: str, names: frozenset[str]) -> tuple[str | _Param, ...]:
    """The route's path as fixed parts and parameters, found once per app, name and parameter names (a page builds
    twenty links or more: looking the route up each time was a tenth of the resident home's CPU)."""
    known: dict[tuple[str, frozenset[str]], tuple[str | _Param, ...]] | None = getattr(app.state, "route_shapes", None)
    if known is None:
        known = app.state.route_shapes = {}  # on the app: each app has its own routes (tests make many)
    shape = known.get((route_name, names))
    if shape is None:
        index = app.get_handler_index_by_name(route_name)
        if index is None:
            raise NoRouteMatchFoundException(f"no route named {route_name!r}")
        routes = sorted(
            app.asgi_router.route_mapping[index["identifier"]], key=lambda r: len(r.path_parameters), reverse=True
        )
        route = next((r for r in routes if names.issuperset(r.path_parameters)), None)
        if route is None:
            raise NoRouteMatchFoundException(f"route {route_name!r} needs {sorted(routes[-1].path_parameters)}")
        shape = tuple(
            _Param(c.name) if isinstance(c, PathParameterDefinition) else c.strip("/") for c in route.path_components
        )
        known[(route_name, names)] = shape
    return shape


def reverse(
    app: Litestar, route_name: str, /, *, query: Mapping[str, Any] | None = None, anchor: str = "", **params: Any
) -> str:
    """The path of the route named ``route_name`` with its path parameters filled in (each quoted), then the query
    string and the anchor. Unlike ``app.route_reverse`` it takes a path parameter called ``name`` (the staff report)
    and accepts a number given as a string or a string given as a number."""
    shape = _shape(app, route_name, frozenset(params))
    parts = [quote(str(params[part.name]), safe="") if isinstance(part, _Param) else part for part in shape]
    path = "/" + "/".join(p for p in parts if p)
    if query:
        # "/" stays readable in a query value (?next=/my/bills), as quote() leaves it.
        path += "?" + urlencode(
            {k: v for k, v in query.items() if v is not None}, doseq=True, safe="/", quote_via=quote
        )
    return path + (f"#{anchor}" if anchor else "")


def pattern(app: Litestar, route_name: str, /) -> str:
    """The path of a route with its parameters left as ``{name}`` (``/field/orders/{order_id}``), for a script that
    fills them in: pages hand it to scripts in a ``data-url-*`` attribute."""
    index = app.get_handler_index_by_name(route_name)
    if index is None:
        raise NoRouteMatchFoundException(f"no route named {route_name!r}")
    route = max(app.asgi_router.route_mapping[index["identifier"]], key=lambda r: len(r.path_parameters))
    parts = [f"{{{c.name}}}" if isinstance(c, PathParameterDefinition) else c.strip("/") for c in route.path_components]
    return "/" + "/".join(p for p in parts if p)


def url(request: Request, route_name: str, /, **params: Any) -> str:
    """``reverse`` for a handler or a service holding the request."""
    return reverse(request.app, route_name, **params)


@pass_context
def template_url(context: Mapping[str, Any], route_name: str, /, **params: Any) -> str:
    """The Jinja global ``url(name, **params)``: ``{{ url("billing.bill.pdf", bill_id=bill.id) }}``."""
    return reverse(context["request"].app, route_name, **params)


@pass_context
def template_pattern(context: Mapping[str, Any], route_name: str, /) -> str:
    """The Jinja global ``url_pattern(name)``: ``data-url-order="{{ url_pattern('field.order') }}"``."""
    return pattern(context["request"].app, route_name)


class RouteRedirect(Redirect):
    """A 303 (by default) to a named route, resolved when the response is sent, so a handler builds it without
    holding the request: ``redirect_to("staff.account", number=n, anchor="notes")``."""

    __slots__ = ("route_name", "params")

    def __init__(self, route_name: str, params: dict[str, Any], **kwargs: Any) -> None:
        kwargs.setdefault("status_code", 303)
        super().__init__("", **kwargs)
        self.route_name = route_name
        self.params = params

    def to_asgi_response(self, app: Litestar | None, request: Request, **kwargs: Any) -> Any:
        self.url = reverse(request.app, self.route_name, **self.params)
        return super().to_asgi_response(None, request, **kwargs)


def redirect_to(route_name: str, /, *, status_code: int = 303, cookies: Any = None, **params: Any) -> RouteRedirect:
    """A redirect to the route named ``route_name``; ``query=`` and ``anchor=`` as for ``reverse``."""
    extra: dict[str, Any] = {"status_code": status_code}
    if cookies is not None:
        extra["cookies"] = cookies
    return RouteRedirect(route_name, params, **extra)
