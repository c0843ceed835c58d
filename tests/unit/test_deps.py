"""The app's dependencies are resolved one after the other when all are plain functions (portal/web/deps.py):
the same values as Litestar's own way, without a task group; an async dependency still goes Litestar's way."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar, get
from litestar._kwargs import kwargs_model
from litestar.di import NamedDependency, Provide
from litestar.testing import TestClient

from portal.web import deps


def _app(*, with_async: bool) -> Litestar:
    async def later() -> str:
        return "later"

    def one() -> int:
        return 1

    def after(a: NamedDependency[int]) -> int:
        return a + 1

    def ten() -> int:
        return 10

    @get("/", sync_to_thread=False)
    def handler(
        a: NamedDependency[int], b: NamedDependency[int], c: NamedDependency[int], later: NamedDependency[str] = "none"
    ) -> dict[str, Any]:
        return {"sum": a + b + c, "later": later}

    dependencies = {
        "a": Provide(one, sync_to_thread=False),
        "b": Provide(after, sync_to_thread=False),
        "c": Provide(ten, sync_to_thread=False),
    }
    if with_async:
        dependencies["later"] = Provide(later)
    return Litestar([handler], dependencies=dependencies)


def test_it_replaces_litestars_own_method() -> None:
    assert deps._resolve_concurrently.__module__ == "litestar._kwargs.kwargs_model"
    deps.resolve_dependencies_in_turn()
    assert kwargs_model.KwargsModel.resolve_dependencies is deps._resolve_in_turn


@pytest.mark.parametrize("with_async", [False, True])
def test_plain_dependencies_run_in_turn_and_an_async_one_litestars_way(
    monkeypatch: pytest.MonkeyPatch, with_async: bool
) -> None:
    deps.resolve_dependencies_in_turn()
    groups = []
    real = kwargs_model.create_task_group

    def counted() -> Any:
        groups.append(1)
        return real()

    monkeypatch.setattr(kwargs_model, "create_task_group", counted)
    with TestClient(_app(with_async=with_async)) as client:
        answer = client.get("/").json()
    assert answer == {"sum": 13, "later": "later" if with_async else "none"}
    assert len(groups) == (1 if with_async else 0)
