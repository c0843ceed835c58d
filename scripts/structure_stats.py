"""Figures for the shape of the code: the largest module and function, route handlers' lengths, import cycles,
modules importing portal.demo, noqa and type-ignore markers. Run: .venv/bin/python scripts/structure_stats.py"""

from __future__ import annotations

import ast
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / "portal"
ROUTE_DECORATORS = {"get", "post", "put", "delete", "patch", "route"}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PORTAL.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, tree: ast.AST, known: set[str]) -> set[str]:
    out = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skipped = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for stmt in node.body
        for child in ast.walk(stmt)
    }  # imports for annotations only never run
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(10000)

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def main() -> None:
    mods = modules()
    known = set(mods)
    graph: dict[str, set[str]] = {}
    sizes: dict[str, int] = {}
    functions: list[tuple[int, str]] = []
    handlers: list[int] = []
    demo_importers = []
    for name, path in mods.items():
        text = path.read_text()
        sizes[name] = len(text.splitlines())
        tree = ast.parse(text)
        graph[name] = imports_of(name, path, tree, known)
        if not name.startswith("portal.demo") and any(t.startswith("portal.demo") for t in graph[name]):
            demo_importers.append(name)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                functions.append((length, f"{name}.{node.name}"))
                decorators = {
                    (d.func.id if isinstance(d.func, ast.Name) else getattr(d.func, "attr", ""))
                    for d in node.decorator_list
                    if isinstance(d, ast.Call)
                }
                if decorators & ROUTE_DECORATORS:
                    body_start = node.body[0].lineno
                    handlers.append((node.end_lineno or body_start) - body_start + 1)
    # Package __init__ edges to their own children are how packages gather routes, not cycles.
    for name in graph:
        graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    largest = max(sizes.items(), key=lambda item: item[1])
    longest = max(functions)
    found = cycles(graph)
    markers = {"noqa": 0, "type: ignore": 0}
    for path in [
        *ROOT.glob("portal/**/*.py"),
        *ROOT.glob("tests/**/*.py"),
        *ROOT.glob("scripts/*.py"),
        *ROOT.glob("bench/*.py"),
    ]:
        text = path.read_text()
        for marker in markers:
            markers[marker] += text.count(f"# {marker}")
    print(f"modules                      {len(mods)}")
    print(f"largest module               {largest[1]} lines ({largest[0]})")
    print(f"modules over 300 lines       {sum(1 for n in sizes.values() if n > 300)}")
    print(f"longest function             {longest[0]} lines ({longest[1]})")
    print(
        f"route handlers               {len(handlers)}, body median {statistics.median(handlers):.0f} lines, max {max(handlers)}"
    )
    print(f"import cycles                {len(found)}")
    for component in found:
        print(f"  cycle: {' <-> '.join(component)}")
    print(f"modules importing portal.demo outside portal/demo: {len(demo_importers)} {demo_importers}")
    print(f"noqa markers                 {markers['noqa']}")
    print(f"type: ignore markers         {markers['type: ignore']}")


if __name__ == "__main__":
    main()
