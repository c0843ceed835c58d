"""Count route handlers and their length in lines, for every side's `screens/` package and `controllers.py`.

A handler is a function decorated with a Litestar route decorator (`@get`, `@post`, `@route`, ...). Its length runs
from its `def` line to its last line (decorators not counted); its body, from the first statement after the signature
and docstring to the last line, so that parameters taken by injection do not count as work done.
Usage: `python scripts/handler_stats.py [ROOT]`.
"""

from __future__ import annotations

import ast
import statistics
import sys
from pathlib import Path

ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete", "head", "route", "websocket"}


def _decorator_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _body_start(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    docstring = isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and len(body) > 1
    return body[1 if docstring else 0].lineno


def handlers(path: Path) -> list[tuple[str, int, int]]:
    """(name, length, body length) in lines of each route handler in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            _decorator_name(d) in ROUTE_DECORATORS for d in node.decorator_list
        ):
            end = node.end_lineno or node.lineno
            out.append((node.name, end - node.lineno + 1, end - _body_start(node) + 1))
    return out


def handler_files(root: Path) -> list[Path]:
    portal = root / "portal"
    return sorted([*portal.glob("*/controllers.py"), *portal.glob("*/screens/*.py")])


def _figures(lengths: list[tuple[int, int]]) -> str:
    whole, body = [n for n, _b in lengths], [b for _n, b in lengths]
    return (
        f"{len(lengths):>8} {statistics.median(whole):>7g} {max(whole):>5} {statistics.median(body):>9g} {max(body):>9}"
    )


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    by_side: dict[str, list[tuple[int, int]]] = {}
    largest: dict[str, tuple[int, str]] = {}
    for path in handler_files(root):
        side = path.relative_to(root / "portal").parts[0]
        lengths = [(n, body) for _name, n, body in handlers(path)]
        by_side.setdefault(side, []).extend(lengths)
        size = len(path.read_text(encoding="utf-8").splitlines())
        if size > largest.get(side, (0, ""))[0]:
            largest[side] = (size, str(path.relative_to(root)))
    print(
        f"{'side':<10} {'handlers':>8} {'median':>7} {'max':>5} {'body med':>9} {'body max':>9}  largest module (lines)"
    )
    everything: list[tuple[int, int]] = []
    for side, lengths in sorted(by_side.items()):
        everything += lengths
        if lengths:
            print(f"{side:<10} {_figures(lengths)}  {largest[side][1]} ({largest[side][0]})")
    if everything:
        print(f"{'all':<10} {_figures(everything)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
