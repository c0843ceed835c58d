"""Count route handlers and their length in lines, for every side's `screens/` package and `controllers.py`.

A handler is a function decorated with a Litestar route decorator (`@get`, `@post`, `@route`, ...); its length
runs from its `def` line to its last line (decorators not counted). Usage: `python scripts/handler_stats.py [ROOT]`.
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


def handlers(path: Path) -> list[tuple[str, int]]:
    """(name, length in lines) of each route handler in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            _decorator_name(d) in ROUTE_DECORATORS for d in node.decorator_list
        ):
            out.append((node.name, (node.end_lineno or node.lineno) - node.lineno + 1))
    return out


def handler_files(root: Path) -> list[Path]:
    portal = root / "portal"
    return sorted([*portal.glob("*/controllers.py"), *portal.glob("*/screens/*.py")])


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    by_side: dict[str, list[int]] = {}
    largest: dict[str, tuple[int, str]] = {}
    for path in handler_files(root):
        side = path.relative_to(root / "portal").parts[0]
        lengths = [n for _name, n in handlers(path)]
        by_side.setdefault(side, []).extend(lengths)
        size = len(path.read_text(encoding="utf-8").splitlines())
        if size > largest.get(side, (0, ""))[0]:
            largest[side] = (size, str(path.relative_to(root)))
    print(f"{'side':<10} {'handlers':>8} {'median':>7} {'max':>5}  largest module (lines)")
    everything: list[int] = []
    for side, lengths in sorted(by_side.items()):
        everything += lengths
        if lengths:
            median, longest = statistics.median(lengths), max(lengths)
            print(f"{side:<10} {len(lengths):>8} {median:>7g} {longest:>5}  {largest[side][1]} ({largest[side][0]})")
    if everything:
        print(f"{'all':<10} {len(everything):>8} {statistics.median(everything):>7g} {max(everything):>5}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
