"""portal/web/urls.py: paths built from route names, with parameters quoted, a query and an anchor; redirects by name."""

from __future__ import annotations

import pytest
from litestar import Litestar, get, post
from litestar.exceptions import NoRouteMatchFoundException
from litestar.params import FromPath
from litestar.testing import TestClient

from portal.web.urls import redirect_to, reverse


@get("/reports/{name:str}", name="report", sync_to_thread=False)
def report(name: FromPath[str]) -> str:
    return name


@get("/orders/{order_id:int}/actions/{action:str}", name="order.action", sync_to_thread=False)
def order_action(order_id: FromPath[int], action: FromPath[str]) -> str:
    return f"{order_id}:{action}"


@post("/go", name="go", sync_to_thread=False)
def go() -> object:
    return redirect_to("order.action", order_id=7, action="read", anchor="form", query={"next": "/my/bills", "x": None})


APP = Litestar(route_handlers=[report, order_action, go])


def test_a_path_is_built_from_the_route_name_and_its_parameters() -> None:
    assert reverse(APP, "order.action", order_id=7, action="record_read") == "/orders/7/actions/record_read"


def test_a_parameter_called_name_is_accepted_and_values_are_quoted() -> None:
    assert reverse(APP, "report", name="collections.csv") == "/reports/collections.csv"
    assert reverse(APP, "report", name="a b/c") == "/reports/a%20b%2Fc"


def test_a_query_keeps_slashes_readable_and_drops_empty_values_and_an_anchor_comes_last() -> None:
    path = reverse(APP, "report", name="r", query={"next": "/my/bills", "day": None, "q": "Oak St"}, anchor="top")
    assert path == "/reports/r?next=/my/bills&q=Oak%20St#top"


def test_an_unknown_name_or_a_missing_parameter_is_an_error_not_a_guess() -> None:
    with pytest.raises(NoRouteMatchFoundException):
        reverse(APP, "nope")
    with pytest.raises(NoRouteMatchFoundException):
        reverse(APP, "order.action", order_id=7)


def test_a_redirect_by_name_is_a_303_to_the_route_built_when_it_is_sent() -> None:
    with TestClient(app=APP) as client:
        response = client.post("/go", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/orders/7/actions/read?next=/my/bills#form"
