"""Links are built from route names: no template or handler writes an internal path by hand, every handler has a
name, and every name a page or a redirect asks for exists (so a moved route cannot leave a broken link behind)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.app import create_app
from portal.settings import Settings
from portal.staff import navigation
from portal.web.templating import NAVIGATION, TEMPLATE_DIR

PORTAL = Path(__file__).resolve().parents[2] / "portal"
TEMPLATES = sorted(TEMPLATE_DIR.rglob("*.html"))
SOURCES = sorted(p for p in PORTAL.rglob("*.py") if "migrations" not in p.parts)

# A path written into an attribute, or handed to the post_button macro; static files go through static_url().
LITERAL_IN_TEMPLATE = re.compile(
    r"""\b(?:href|action|formaction|src|data-[\w-]*url)=["']/(?!static/)|post_button\(\s*["']/"""
)
LITERAL_IN_PYTHON = re.compile(r"""\b(?:Redirect|_see_other)\(\s*f?["']/""")
SCRIPTS = sorted((PORTAL / "static" / "js").rglob("*.js"))
# Fixed by design: the service worker is served at the root (its scope) and precaches the offline page; the shared
# script recognises the header's sign-out forms (a selector, not a link) to clear this phone's cached pages.
SCRIPT_EXCEPTIONS = {("sw.js", "/offline"), ("app.js", "/sw.js"), ("app.js", "/signout"), ("app.js", "/settings")}


def literal_paths_in_script(text: str, areas: set[str]) -> list[str]:
    """Quoted paths that start with one of the app's first path segments (/field, /my, /signout...)."""
    found = re.findall(r"""["'`=]\s*(/[\w.-]+)(?=[/"'`?$])""", text)
    return [path for path in found if path.lstrip("/") in areas]


NAME_IN_TEMPLATE = re.compile(r"""\burl\(\s*["']([\w.]+)["']""")
NAME_IN_PYTHON = re.compile(
    r"""\b(?:redirect_to|RouteLink)\(\s*["']([\w.]+)["']|\burl\(\s*request,\s*["']([\w.]+)["']"""
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('links') / 'app.db'}"
    return create_app(Settings(database_url=url, secret_key="x" * 40, demo=True))


@pytest.fixture(scope="module")
def route_names(app) -> set[str]:
    return {h.name for route in app.routes for h in route.route_handlers if h.name}


@pytest.fixture(scope="module")
def route_areas(app) -> set[str]:
    """The first path segments of the app's routes (field, my, staff, signout, sw.js...), static files aside."""
    return {route.path.strip("/").split("/")[0] for route in app.routes} - {"", "static"}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATE_DIR)))
def test_no_template_writes_an_internal_path_by_hand(template: Path) -> None:
    found = [line.strip() for line in template.read_text().splitlines() if LITERAL_IN_TEMPLATE.search(line)]
    assert not found, f"use url(name, ...) instead of a literal path: {found}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(PORTAL)))
def test_no_handler_redirects_to_a_path_written_by_hand(source: Path) -> None:
    found = [line.strip() for line in source.read_text().splitlines() if LITERAL_IN_PYTHON.search(line)]
    assert not found, f"use redirect_to(name, ...) instead of a literal path: {found}"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_no_script_writes_an_internal_path_by_hand(script: Path, route_areas: set[str]) -> None:
    found = [
        p for p in literal_paths_in_script(script.read_text(), route_areas) if (script.name, p) not in SCRIPT_EXCEPTIONS
    ]
    assert not found, f"read the path from a data-url-* attribute the page builds with url(): {found}"


def test_the_check_catches_a_literal_link() -> None:
    assert LITERAL_IN_TEMPLATE.search('<a href="/my/bills/{{ b.id }}.pdf">')
    assert LITERAL_IN_TEMPLATE.search('<form method="post" action="/staff/drawer/open">')
    assert not LITERAL_IN_TEMPLATE.search('<a href="{{ url("billing.bill.pdf", bill_id=b.id) }}">')
    assert not LITERAL_IN_TEMPLATE.search('<script src="/static/js/app.js">')
    assert LITERAL_IN_PYTHON.search('return Redirect(f"/staff/accounts/{n}", status_code=303)')
    areas = {"field", "my"}
    assert literal_paths_in_script("link.href = `/field/orders/${order.id}`;", areas) == ["/field"]
    assert literal_paths_in_script('fetch("/my")', areas) == ["/my"]
    assert not literal_paths_in_script(
        'link.href = route("order", { order_id: order.id }); x.includes("/js/field/")', areas
    )


def test_every_route_handler_has_a_name(app) -> None:
    unnamed = [
        route.path
        for route in app.routes
        for h in route.route_handlers
        if not h.name and "OPTIONS" not in getattr(h, "http_methods", ())
    ]
    assert not unnamed


def test_every_name_a_page_or_a_handler_links_to_is_a_route(route_names: set[str]) -> None:
    wanted: set[tuple[str, str]] = set()
    for template in TEMPLATES:
        wanted |= {(name, template.name) for name in NAME_IN_TEMPLATE.findall(template.read_text())}
    for source in SOURCES:
        for groups in NAME_IN_PYTHON.findall(source.read_text()):
            wanted |= {(name, source.name) for name in groups if name}
    wanted |= {(name, "templating.NAVIGATION") for links in NAVIGATION.values() for name, _label in links}
    assert len(wanted) > 100
    assert not {(name, where) for name, where in wanted if name not in route_names}


def test_the_console_links_name_routes(route_names: set[str]) -> None:
    from portal.accounts.models import Role

    names = {name for name, _label, _hint in navigation.console_links(Role.SUPERVISOR)}
    assert names <= route_names
    from portal.web.identity import home_route

    assert {home_route(role) for role in Role} <= route_names
