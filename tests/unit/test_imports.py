"""The import graph of portal/ points one way: no module imports another that (directly or not) imports it back,
and no module takes another's private (`_name`) names. Imports inside functions count as much as those at the top:
a function-level import that breaks a cycle at load time still ties the two modules together.

Imports under `if TYPE_CHECKING:` are left out: they never run. Importing `portal.a.b` is an edge to `portal.a.b`
only (not to the package `portal.a`), so a package's `__init__` gathering its modules is no cycle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "portal"


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name, for its __init__)."""
    found: dict[str, Path] = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement at any depth, except those under `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    if not is_package:
        parts.pop()
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, node.module] if node.module else parts)


def graph(root: Path = ROOT) -> tuple[dict[str, set[str]], list[str]]:
    """(module -> the package modules it imports, private names taken from other modules as readable lines)."""
    known = modules(root)
    edges: dict[str, set[str]] = {name: set() for name in known}
    private: list[str] = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        for node in _imports(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in known:
                        edges[name].add(alias.name)
                continue
            base = _base(name, is_package, node)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in known:  # `from pkg import module`
                    edges[name].add(target)
                    continue
                if base in known:
                    edges[name].add(base)
                    if alias.name.startswith("_") and not alias.name.startswith("__") and base != name:
                        private.append(f"{name} imports {alias.name} from {base}")
    for name in edges:
        edges[name].discard(name)
    return edges, private


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted, in sorted order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))

    for name in sorted(edges):
        if name not in index:
            visit(name)
    return sorted(groups)


def test_no_module_of_the_portal_imports_itself_back() -> None:
    edges, _private = graph()
    assert cycles(edges) == []


def test_no_module_takes_anothers_private_names() -> None:
    _edges, private = graph()
    assert private == []


def test_the_domain_is_given_its_mailer_and_never_imports_the_outbox() -> None:
    edges, _private = graph()
    domain = ("portal.accounts", "portal.billing", "portal.payments")
    assert sorted(name for name, targets in edges.items() if name.startswith(domain) and "portal.mail" in targets) == []


def test_the_guard_sees_cycles_through_function_level_imports(tmp_path: Path) -> None:
    package = tmp_path / PACKAGE / "pay"
    package.mkdir(parents=True)
    (tmp_path / PACKAGE / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "core.py").write_text("def f():\n    from .top import g\n    return g\n")
    (package / "top.py").write_text("from portal.pay.core import _hidden, f\n")
    (package / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from portal.pay import top\n"
    )
    edges, private = graph(tmp_path)
    assert cycles(edges) == [["portal.pay.core", "portal.pay.top"]]
    assert private == ["portal.pay.top imports _hidden from portal.pay.core"]
    assert edges["portal.pay.typed"] == set()
