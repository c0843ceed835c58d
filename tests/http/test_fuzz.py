"""Bad input never reaches a 500: Hypothesis sends generated bad input to every form and JSON endpoint of the route
table (a new route is covered without touching this file), as each role its guards allow, with a valid CSRF token.

Each case is one request. It must not answer 5xx, and a refused request (4xx, or a form shown again with its error
summary) must not write a row. One app and one database serve every case; the run is derandomized (the same cases
on every run, nothing stored under .hypothesis). FUZZ_CASES sets the number of cases (default 2,000).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from portal.accounts.models import Base
from portal.settings import Settings
from portal.web.forms import Form
from tests.field_world import make_field_order
from tests.http.helpers import sign_in
from tests.stripe_harness import stripe_settings_for

CASES = int(os.environ.get("FUZZ_CASES", "2000"))
ONLY = re.compile(os.environ.get("FUZZ_ROUTES", ""))  # e.g. FUZZ_ROUTES=/staff/drawer to look at a few routes

# Tables a refused request may legitimately write: the counters that make refusals expensive (failed look-ups and
# sign-in attempts are counted precisely because they were refused).
REFUSALS_COUNTED_IN = {"throttle_hit"}

# Routes that end the persona's session: fuzzed signed out only, so the other cases keep their signed-in client.
SIGNS_OUT = {"/signout", "/settings/signout-everywhere"}

HUGE = [
    "9223372036854775808",
    "9223372036854775807",
    "2147483648",
    "18446744073709551616",
    "1" + "0" * 40,
    "-9223372036854775809",
    "-1",
    "0",
    "00000000000000000001",
]
NUMBERS = [
    "1e308",
    "-1e308",
    "1e-308",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1.005",
    "0.001",
    "-0.01",
    "1,000.00",
    "$12.50",
    "12.5.5",
    "0x10",
    "1_000",
    "١٢٣",
    "²",
    "１２",
    "9" * 5000,
    "99999999999999999999.99",
    "21474836.48",
    "10000000",
    "1000000.01",
    " 12.50 ",
]
DATES = [
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "1899-12-31",
    "2101-01-01",
    "12/31/9999",
    "2026-13-01",
    "99999-01-01",
    "2026-1-1",
    "T",
    "2026-12-04T10:00:00",
]
STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r",
    "a\r\nb",
    "\ud7ff",
    "é✓日本",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
    "x" * 5000,
    "\u202e",
    "null",
    "true",
    "[]",
    "{}",
]


@pytest.fixture
def settings(settings: Settings, stripe_stand_in: str) -> Settings:
    """Payments on (through the local Stripe stand-in), so the payment routes answer as they do in production."""
    return stripe_settings_for(settings, stripe_stand_in)


@dataclass
class Target:
    method: str
    path: str
    roles: tuple[str, ...]
    path_params: dict[str, type]
    query: tuple[str, ...]
    fields: tuple[str, ...]


@dataclass
class World:
    client: AsyncTestClient
    jars: dict[str, httpx.Cookies]  # each persona's cookies (session, CSRF), worn by the one client in turn
    ids: dict[str, list[str]]
    tables: list[str]
    counts: dict[str, int] | None = None  # row counts as of the last case, while nothing may have changed them
    cases: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


_GUARD_ROLES = {"customer": "resident", "field": "technician", "csr": "csr", "supervisor": "supervisor"}


def _roles(handler: Any) -> tuple[str, ...]:
    """Who to send a route's cases as: the personas its guards let in (every guard must), else anyone."""
    allowed: set[str] | None = None
    for guard in handler.resolve_guards():
        name = getattr(getattr(guard, "func", guard), "__name__", "")
        if name == "signed_in":
            these = {"resident", "technician", "csr", "supervisor"}
        elif name.startswith("roles_"):
            these = {_GUARD_ROLES[r] for r in name.removeprefix("roles_").split("_") if r in _GUARD_ROLES}
        else:
            continue
        allowed = these if allowed is None else allowed & these
    return tuple(sorted(allowed)) if allowed is not None else ("anonymous", "resident")


def _forms_by_name() -> dict[str, type[Form]]:
    found: dict[str, type[Form]] = {}
    todo = [Form]
    while todo:
        for sub in todo.pop().__subclasses__():
            found[sub.__name__] = sub
            todo.append(sub)
    return found


_READS = re.compile(
    r"""(?:\.get|\.getall|\.getlist)\(\s*["']([a-z_][a-z0-9_\[\]]*)["']|\[["']([a-z_][a-z0-9_]*)["']\]"""
)


def _fields(handler: Any, forms: dict[str, type[Form]]) -> tuple[str, ...]:
    """The form fields a handler reads: its WTForms forms' fields and the names it takes from the raw form."""
    try:
        source = inspect.getsource(handler.fn)
    except (OSError, TypeError):
        return ()
    names: set[str] = set()
    for form_name, form in forms.items():
        if re.search(rf"\b{form_name}\b", source):
            names.update(name for name, _ in form()._fields.items())
    names.update(a or b for a, b in _READS.findall(source))
    return tuple(sorted(names - {"_csrf_token"}))


def targets(app: Any) -> list[Target]:
    forms = _forms_by_name()
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith("/static"):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                params = {p.name: p.type for p in route.path_parameters.values()}
                signature = handler.parsed_fn_signature.parameters
                query = tuple(
                    sorted(
                        name
                        for name, p in signature.items()
                        if name not in params
                        and name not in {"self", "request", "db_session", "settings", "data", "scope", "body"}
                        and not str(p.annotation).startswith(("litestar.", "<class 'litestar"))
                        and "NamedDependency" not in str(p.annotation)
                    )
                )
                roles = _roles(handler)
                if route.path in SIGNS_OUT:
                    roles = ("anonymous",)
                found.append(Target(method, route.path, roles, params, query, _fields(handler, forms)))
    return found


def bad_values(known: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HUGE + NUMBERS + DATES + STRINGS + known),
        st.text(max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
        st.dates().map(lambda d: d.isoformat()),
    )


def json_values(known: list[str]) -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        bad_values(known),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.none(),
        st.booleans(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.just(1e308),
    )
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
        max_leaves=12,
    )


@st.composite
def cases(draw: st.DrawFn, all_targets: list[Target], ids: dict[str, list[str]]) -> dict[str, Any]:
    target = draw(st.sampled_from(all_targets))
    role = draw(st.sampled_from(target.roles))
    known = ids["any"]
    path = target.path
    for name, kind in target.path_params.items():
        # Half the cases use a real value, so the rest of the request reaches the handler's own parsing.
        if kind is int:
            value = draw(
                st.sampled_from(ids["int"]) | st.sampled_from(HUGE) | st.integers(min_value=0, max_value=2**70).map(str)
            )
        else:
            value = draw(
                st.sampled_from(ids["str"]) | st.sampled_from(HUGE + STRINGS[1:6]) | st.text(min_size=1, max_size=20)
            )
        path = re.sub(rf"{{{name}:[a-z]+}}", lambda _, value=value: quote(value, safe=""), path)
    query = {name: draw(bad_values(known)) for name in target.query if draw(st.booleans())}
    body: dict[str, Any] = {"kind": "none"}
    if target.method in {"POST", "PUT", "PATCH", "DELETE"}:
        # Plus names no handler source shows: the rate form's fields are built in a loop, the sync batch is JSON.
        names = list(target.fields) + [
            "amount",
            "id",
            "number",
            "base",
            "per_kgal",
            "base_0",
            "tier_price_0",
            "tier_up_to_0",
            "mutations",
            "device_id",
            "schema",
        ]
        chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=min(8, len(names))))
        if target.fields and draw(st.booleans()):  # every field the handler reads, so validation gets past "missing"
            chosen = list(dict.fromkeys([*target.fields, *chosen]))
        encoding = draw(st.sampled_from(["form", "form", "json", "multipart"]))
        if encoding == "json":
            body = {
                "kind": "json",
                "value": draw(
                    st.one_of(
                        st.dictionaries(st.sampled_from(names), json_values(known), max_size=8), json_values(known)
                    )
                ),
            }
        else:
            body = {"kind": encoding, "value": {name: draw(bad_values(known)) for name in chosen}}
            if encoding == "multipart":
                body["file"] = draw(
                    st.sampled_from(
                        [
                            b"account_number,amount,paid_on\n"
                            + ids["csv_account"][0].encode()
                            + b",99999999999999999999.99,2026-12-01\n",
                            b"account_number,amount,paid_on,check_number\n"
                            + ids["csv_account"][0].encode()
                            + b',12.00,2026-12-01,"12\r34"\n',
                            b"account_number,amount,paid_on\n" + ids["csv_account"][0].encode() + b",NaN,9999-12-31\n",
                            b"\xff\xfe\x00garbage",
                            b"",
                            b"account_number,amount\n1,2\n",
                        ]
                    )
                    | st.binary(max_size=200)
                )
    return {
        "target": f"{target.method} {target.path}",
        "method": target.method,
        "path": path,
        "role": role,
        "query": query,
        "body": body,
    }


async def _counts(client: AsyncTestClient, tables: list[str]) -> dict[str, int]:
    engine = client.app.state.fuzz_engine
    async with engine.connect() as conn:
        row = (await conn.execute(text("SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables)))).one()
    return dict(zip(tables, row, strict=True))


def _refused(status: int, body: str) -> bool:
    return 400 <= status < 500 or (status == 200 and 'class="error-summary"' in body)


async def send(world: World, case: dict[str, Any]) -> None:
    client = world.client
    client.cookies = world.jars[case["role"]]
    headers = {"x-csrftoken": client.cookies.get("csrftoken", "")}
    kwargs: dict[str, Any] = {"params": case["query"], "headers": headers, "follow_redirects": False}
    body = case["body"]
    if body["kind"] == "json":
        kwargs["content"] = json.dumps(body["value"], allow_nan=False, default=str)
        headers["content-type"] = "application/json"
        headers["accept"] = "application/json"
    elif body["kind"] in ("form", "multipart"):
        data = {**body["value"], "_csrf_token": client.cookies.get("csrftoken", "")}
        kwargs["data"] = data
        if body["kind"] == "multipart":
            kwargs["files"] = {"file": ("fuzz.csv", body["file"], "text/csv")}
    before = world.counts or await _counts(client, world.tables)
    world.counts = None
    response = await client.request(case["method"], case["path"], **kwargs)
    # A "run now" that was accepted runs in the background (SQLite's in-process runner): its rows belong to this case,
    # not to the next one, which would otherwise be "refused but wrote" whenever the clock makes a job due.
    jobs = getattr(client.app.state, "jobs", None)
    if hasattr(jobs, "idle"):
        await jobs.idle()
    world.jars[case["role"]] = httpx.Cookies(client.cookies)
    world.cases += 1
    world.by_status[response.status_code] = world.by_status.get(response.status_code, 0) + 1
    shown = {k: case[k] for k in ("role", "method", "path", "query", "body")}
    if response.status_code >= 500:
        world.failures.append(f"{response.status_code} {case['target']}: {shown!r}"[:600])
        return
    if _refused(response.status_code, response.text):
        after = await _counts(client, world.tables)
        written = {
            t: after[t] - before[t] for t in world.tables if after[t] != before[t] and t not in REFUSALS_COUNTED_IN
        }
        if written:
            world.failures.append(f"refused ({response.status_code}) but wrote {written}: {shown!r}"[:600])
        world.counts = after


async def test_bad_input_never_reaches_a_500(
    app, engine, session, resident, other_resident, technician, csr, supervisor
):
    order = await make_field_order(session, technician)
    await session.commit()
    app.state.fuzz_engine = engine
    all_targets = [t for t in targets(app) if ONLY.search(f"{t.method} {t.path}")]
    ids = {
        "int": [str(resident.account.id), str(order.id), "1", "2"],
        "str": [
            resident.account.number,
            other_resident.account.number,
            "water",
            "approve",
            "reject",
            "complete",
            "record_read",
            "leak",
            "start",
            "move",
            "extension",
            "hold",
            "R01",
        ],
        "csv_account": [resident.account.number],
    }
    ids["any"] = ids["int"] + ids["str"]
    tables = [t.name for t in Base.metadata.sorted_tables]
    # One client (one app lifespan); each persona's cookies are put on it for that persona's cases.
    async with AsyncTestClient(app=app, base_url="http://portal.test") as client:
        jars: dict[str, httpx.Cookies] = {}
        for role, user in [
            ("anonymous", None),
            ("resident", resident.user),
            ("technician", technician),
            ("csr", csr),
            ("supervisor", supervisor),
        ]:
            client.cookies = httpx.Cookies()
            await client.get("/signin")
            if user is not None:
                await sign_in(client, session, user)
            jars[role] = httpx.Cookies(client.cookies)
        world = World(client, jars, ids, tables)
        loop = asyncio.get_running_loop()

        # Hypothesis drives the cases from a worker thread; each request runs on the test's own loop, where the app
        # and its database connections live.
        @hypothesis_settings(
            max_examples=CASES, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=cases(all_targets, ids))
        def run(case: dict[str, Any]) -> None:
            asyncio.run_coroutine_threadsafe(send(world, case), loop).result()

        started = time.monotonic()
        await asyncio.to_thread(run)
        elapsed = time.monotonic() - started
    print(
        f"\nfuzz: {world.cases} cases to {len(all_targets)} endpoints in {elapsed:.0f} s; "
        f"5xx: {sum(n for s, n in world.by_status.items() if s >= 500)}; statuses {dict(sorted(world.by_status.items()))}"
    )
    assert world.cases >= min(CASES, 2000) * 0.9, "Hypothesis ran fewer cases than asked"
    assert not world.failures, "\n".join(sorted(set(world.failures))[:40])
