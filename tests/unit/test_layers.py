"""Layering that the imports must keep: demo code (portal/demo) imports the product, and the product imports the demo
only where it has to start it: the app factory in demo mode and the CLI's `demo` and `seed` commands."""

from __future__ import annotations

import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parents[2] / "portal"
DEMO = PORTAL / "demo"
# The only product modules that may import the demo, and where.
MAY_IMPORT_DEMO = {PORTAL / "app.py", PORTAL / "cli.py"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PORTAL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """Absolute names an import statement brings in (relative imports resolved against `module`)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            package = module.split(".")
            base = package if is_package else package[:-1]
            base = base[: len(base) - (node.level - 1)]
            stem = ".".join(base + ([node.module] if node.module else []))
        else:
            stem = node.module or ""
        return [stem, *(f"{stem}.{alias.name}" for alias in node.names)]
    return []


def _is_demo(name: str) -> bool:
    return name == "portal.demo" or name.startswith("portal.demo.")


def _demo_imports(path: Path, source: str | None = None) -> list[tuple[int, str, bool]]:
    """(line, imported name, at module level) for each import of portal.demo in the file."""
    tree = ast.parse(path.read_text() if source is None else source, filename=str(path))
    module, is_package = _module_name(path), path.name == "__init__.py"
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        demo = [name for name in _imported(node, module, is_package) if _is_demo(name)]
        if demo:
            found.append((node.lineno, demo[0], id(node) in top_level))
    return found


def test_the_product_does_not_import_the_demo() -> None:
    offenders = [
        f"{path.relative_to(PORTAL.parent)}:{line} imports {name}"
        for path in sorted(PORTAL.rglob("*.py"))
        if not path.is_relative_to(DEMO) and path not in MAY_IMPORT_DEMO
        for line, name, _top in _demo_imports(path)
    ]
    assert offenders == [], "only portal/app.py (demo mode) and portal/cli.py may import portal.demo"


def test_the_app_factory_imports_the_demo_only_in_demo_mode() -> None:
    """No module-level import in app.py: a production app never loads demo code, not even at import."""
    assert [found for found in _demo_imports(PORTAL / "app.py") if found[2]] == []
    tree = ast.parse((PORTAL / "app.py").read_text())
    guarded = [
        inner
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) == "settings.demo"
        for statement in node.body
        for inner in ast.walk(statement)
        if any(_is_demo(name) for name in _imported(inner, "portal.app", False))
    ]
    everywhere = [lineno for lineno, _name, _top in _demo_imports(PORTAL / "app.py")]
    assert everywhere, "the factory installs the demo in demo mode (see create_app)"
    assert sorted(inner.lineno for inner in guarded) == sorted(everywhere), "demo imports outside `if settings.demo:`"


def test_the_guard_sees_every_kind_of_import() -> None:
    """Absolute, from- and relative imports, nested ones too, are found (so a passing guard means something)."""
    source = (
        "import portal.demo.city\n"
        "from portal.demo import signin\n"
        "from portal import demo\n"
        "def f():\n    from ..demo.city import PERSONAS\n"
        "from portal import demonstration\n"
        "from . import deps\n"
    )
    found = _demo_imports(PORTAL / "web" / "sample.py", source)
    assert found == [
        (1, "portal.demo.city", True),
        (2, "portal.demo", True),
        (3, "portal.demo", True),
        (5, "portal.demo.city", False),
    ]


SIDES = ("portal.customer", "portal.field", "portal.staff", "portal.auth")
DOMAIN = ("portal.accounts", "portal.billing", "portal.payments")
# The one route the payments part serves is Stripe's signed webhook; it is the only web code a domain part holds.
DOMAIN_WEB_ALLOWED = {PORTAL / "payments" / "routes.py"}


def _part(name: str, parts: tuple[str, ...]) -> str | None:
    return next((part for part in parts if name == part or name.startswith(part + ".")), None)


def _all_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    module, is_package = _module_name(path), path.name == "__init__.py"
    return [(node.lineno, name) for node in ast.walk(tree) for name in _imported(node, module, is_package)]


def test_no_side_imports_another_side() -> None:
    offenders = []
    for path in sorted(PORTAL.rglob("*.py")):
        side = _part(_module_name(path), SIDES)
        if side is None:
            continue
        offenders += [
            f"{path.relative_to(PORTAL.parent)}:{line} imports {name}"
            for line, name in _all_imports(path)
            if _part(name, SIDES) not in (None, side)
        ]
    assert offenders == []


def test_the_domain_imports_no_side_and_no_web_code() -> None:
    """Accounts, billing and payments are used by every side; they import none of them, nor the web layer (mail and
    pages are given to them), so a job or the CLI can run them without an app."""
    offenders = []
    for path in sorted(PORTAL.rglob("*.py")):
        if _part(_module_name(path), DOMAIN) is None:
            continue
        for line, name in _all_imports(path):
            web = name == "portal.web" or name.startswith("portal.web.") or name.startswith("litestar")
            if _part(name, SIDES) or name.startswith("portal.mail") or (web and path not in DOMAIN_WEB_ALLOWED):
                offenders.append(f"{path.relative_to(PORTAL.parent)}:{line} imports {name}")
    assert offenders == []


JOBS = "portal.jobs"


def test_the_job_engine_imports_no_side_and_no_web_code() -> None:
    """portal/jobs (the schedule, the run ledger, the runners) sits with the domain: sides (the staff page) and the
    parts' commands use it, and it runs in a worker without an app. The jobs' bodies stay in each part's commands
    module (`JOBS`), which portal/jobs/catalog.py loads by name as the CLI loads their commands."""
    offenders = []
    for path in sorted((PORTAL / "jobs").rglob("*.py")):
        for line, name in _all_imports(path):
            web = name == "portal.web" or name.startswith("portal.web.") or name.startswith("litestar")
            if _part(name, SIDES) or name.startswith("portal.mail") or _is_demo(name) or web:
                offenders.append(f"{path.relative_to(PORTAL.parent)}:{line} imports {name}")
    assert offenders == []
    assert _part(JOBS, SIDES + DOMAIN) is None  # a package of its own, listed in docs/architecture.md
