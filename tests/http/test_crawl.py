"""Every link a person can reach works: sign in as each role (or stay signed out), start from that role's home and
follow every link, redirect and form target breadth-first, over a small city holding one real row of each kind (bills,
a counter receipt, an open and a closed drawer, a lockbox batch, a cut-off letter, orders on a technician's list, a
pending extension, a stop request, an adjustment waiting for approval, rates).

Fails on a 404, 405 or 5xx answer, on a link answered "bad request" (400/422), on a page a role is shown but may not
open (401/403), on a form whose action is no route for its method, and on a link into another role's area. The pages
crawled per role are printed in the terminal summary (and with -s)."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlencode, urljoin, urlsplit

import pytest
from sqlalchemy import event

from portal import db
from portal.accounts import tenancy
from portal.accounts.models import WorkOrderKind
from portal.accounts.policy import current_policy
from portal.settings import Settings
from tests import factories
from tests.field_world import make_field_order
from tests.http.helpers import csrf, local_today, post_form, sign_in
from tests.integration.billing_helpers import with_rates
from tests.resident_data import bills_for
from tests.stripe_harness import stripe_settings_for

PAGE_CAP = 400  # pages fetched per role at most
PER_ROUTE = 20  # URLs per route name: only the language switch (one per page, ?next=) reaches it

# Where each role's links may not lead (whole path segments). Staff read a resident's bill on the bill page itself.
FORBIDDEN = {
    "visitor": ("/staff", "/field", "/my"),
    "resident": ("/staff", "/field"),
    "resident_with_bill": ("/staff", "/field"),
    "technician": ("/staff", "/my"),
    "csr": ("/field", "/my"),
    "supervisor": ("/field", "/my"),
}
SHARED = {"billing.bill", "billing.bill.pdf"}
# SQL statements one fetch of a page may run, identity and session included: what the page needs, no more, so an
# N+1 or a second look-up fails here (the cost of one request: docs/benchmarks.md#load). A page not named here has
# the ceiling. The figures are SQLite's (2026-12-05; on PostgreSQL the identity goes straight to asyncpg, uncounted, so
# each page runs one fewer): a budget is only useful tight, so each is the page's count today and may only come down.
STATEMENTS = {
    "customer.home": 5,
    "field.today": 3,
    "billing.bill": 3,  # identity, the bill with its account, lines and deposit, the chart's and the list's bills
    "billing.bill.pdf": 3,
    # identity, the order with its premise, its meter, account and customer, the meter's reads, arrears, holds, photos
    "field.order": 7,
    # the routes with their owners, the orders, the conflicts' arrears and facts, technicians, exceptions, photos
    "staff.dispatch": 8,
    # the console's sections are each a table of their own: the account, its summary (customer, premise, last bill,
    # balance), arrears, ledger, bills, reads, orders and their photos, plans, extensions, deposits, drafts,
    # adjustments, contacts, notes, messages, history, medical certifications; the strip two more and a receipt's tender
    "staff.account": 22,
    "customer.account": 5,  # identity, the account, its link to the login, the summary, the ledger
    # the cut-off list (owing, arrears, the notices and their messages, the accounts with their facts), then the open
    # orders, their accounts' arrears and facts, and the accounts
    "staff.cutoff.recheck.preview": 9,
    "staff.cutoff": 7,  # the list's six, and the letters printed this month
    "staff.cutoff.notices.preview": 6,
    "staff.cutoff.orders.preview": 6,
    "staff.cases": 2,
    "staff.case": 4,
}
# the ceiling is staff.caller's: the account, arrears and the extension rule's facts (customer.extension reads them too)
STATEMENTS_AT_MOST = 9
SEARCH = "Oak"  # every address the factories make is on Oak St
HOME = {
    "visitor": "/",
    "resident": "/my",
    "resident_with_bill": "/my",
    "technician": "/field",
    "csr": "/staff",
    "supervisor": "/staff",
}

LOCKBOX = "account_number,amount,paid_on,check_number\n{a},12.34,2026-11-20,5001\n"


@pytest.fixture
def settings(settings: Settings, stripe_clean: str) -> Settings:
    """Payments on (the local Stripe stand-in), so the pay, autopay and checkout pages answer as in production."""
    return stripe_settings_for(settings, stripe_clean)


class Links(HTMLParser):
    """The targets on a page: (kind, method, url) for <a href>, <form action> and <button formaction>. A search form
    (method get) is followed as sent empty and as sent with SEARCH typed into its search box, so the pages behind a
    search (an address found for a start or a move) are reached too."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []
        self._form: tuple[str, str] | None = None
        self._fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "href" in a:
            self.found.append(("link", "GET", a["href"]))
        elif tag == "form":
            self._form = ((a.get("method") or "get").upper(), a.get("action", ""))
            self._fields = []
            self.found.append(("form", *self._form))
        elif tag == "button" and "formaction" in a and self._form:
            self.found.append(("form", self._form[0], a["formaction"]))
        elif tag == "input" and self._form and a.get("name"):
            wanted = a["name"] == "q" and not a.get("value")  # the search box; other fields keep what the page gave
            self._fields.append((a["name"], SEARCH if wanted else a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form:
            method, action = self._form
            if method == "GET" and any(value == SEARCH for _name, value in self._fields):
                self.found.append(("search", "GET", f"{action.split('?')[0]}?{urlencode(self._fields)}"))
            self._form = None


@dataclass
class Routes:
    """The app's routes as (regex, methods, name), to tell which route a path and method reach."""

    table: list[tuple[re.Pattern[str], set[str], str]] = field(default_factory=list)

    @classmethod
    def of(cls, app) -> Routes:
        table = []
        for route in app.routes:
            pattern = re.sub(r"\{\w+:path\}", ".+", route.path)
            pattern = re.sub(r"\{\w+:\w+\}", "[^/]+", pattern)
            for handler in route.route_handlers:
                methods = set(getattr(handler, "http_methods", ())) - {"OPTIONS"}
                if methods:
                    table.append((re.compile(f"^{pattern}$"), methods, handler.name or route.path))
        # literal routes before parameter routes, as Litestar matches them
        table.sort(key=lambda row: row[0].pattern.count("[^/]+") + row[0].pattern.count(".+"))
        return cls(table)

    def name(self, path: str, method: str) -> str | None:
        return next((name for regex, methods, name in self.table if method in methods and regex.match(path)), None)


def _in_area(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


async def crawl(
    client, routes: Routes, role: str, statements: Callable[[], int] = lambda: 0, most: Counter[str] | None = None
) -> tuple[int, Counter[str], list[str]]:
    """Breadth-first from the role's home. Returns pages fetched, fetches per route name, and the problems found.
    `statements` reads a running count of SQL statements: `most` gets the most any one fetch of a route ran."""
    queue: deque[tuple[str, str]] = deque([(HOME[role], "start")])
    seen: set[str] = set()
    per_route: Counter[str] = Counter()
    problems: list[str] = []
    fetched = 0
    while queue and fetched < PAGE_CAP:
        url, source = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        path = urlsplit(url).path
        name = routes.name(path, "GET")
        if name is None:
            problems.append(f"{url} (from {source}): no GET route")
            continue
        if per_route[name] >= PER_ROUTE:
            per_route["(left by the per-route cap)"] += 1
            continue
        per_route[name] += 1
        before = statements()
        answer = await client.get(url, follow_redirects=False)
        if most is not None:
            most[name] = max(most[name], statements() - before)
        fetched += 1
        status = answer.status_code
        if status in (400, 401, 403, 404, 405, 422) or status >= 500:
            problems.append(f"{url} (from {source}): {status}")
            continue
        targets: list[tuple[str, str, str]] = []
        if 300 <= status < 400:
            targets.append(("redirect", "GET", answer.headers["location"]))
        elif answer.headers.get("content-type", "").startswith("text/html"):
            parser = Links()
            parser.feed(answer.text)
            targets += parser.found
        for kind, method, target in targets:
            target, _fragment = urldefrag(urljoin(f"http://portal.test{url}", target))
            parts = urlsplit(target)
            if parts.netloc != "portal.test":
                continue  # another site (Stripe's, a map): not ours to crawl
            if parts.scheme not in ("http", "https"):
                continue  # mailto:, tel:
            target_path = parts.path
            if target_path.startswith("/static/"):
                continue
            target_name = routes.name(target_path, method)
            if _in_area(target_path, FORBIDDEN[role]) and target_name not in SHARED:
                problems.append(f"{url}: {kind} into another role's area: {method} {target}")
                continue
            if kind == "form" and method == "POST":
                if target_name is None:
                    problems.append(f"{url}: form posts to {target}, which is no POST route")
                continue  # a form is not sent: it may change things; its target exists for its method
            relative = target_path + (f"?{parts.query}" if parts.query else "")
            if relative not in seen:
                queue.append((relative, url))
    return fetched, per_route, problems


async def _city(client, session, resident, other_resident, technician, csr, supervisor) -> None:
    """One row of each kind a link can carry an id of."""
    await bills_for(session, resident.account)  # 16 bills, one past due
    await with_rates(session)
    await make_field_order(session, technician, account=resident.account)
    await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    await factories.make_order(session, other_resident.account, kind=WorkOrderKind.LEAK_CHECK)  # unassigned: dispatch
    await session.commit()
    # A resident's own requests: an extension too far out (a CSR decides it) and a stop (an order for the field).
    await sign_in(client, session, resident.user)
    asked = await post_form(
        client, "/my/extension", {"promised_on": (local_today() + dt.timedelta(days=14)).isoformat(), "review": "1"}
    )
    assert asked.status_code == 303, asked.text
    client.cookies.clear()
    await sign_in(client, session, other_resident.user)
    stop_on = tenancy.earliest_date(current_policy(), local_today())
    stopped = await post_form(
        client, "/my/stop", {"stop_on": stop_on.isoformat(), "forwarding_address": "900 Lake Dr, Austin, TX 78701"}
    )
    assert stopped.status_code == 303, stopped.text
    client.cookies.clear()
    # Counter work through the app itself: a closed drawer with a receipt, a lockbox batch, a cut-off notice.
    await sign_in(client, session, csr)
    complaint = await post_form(
        client, f"/staff/accounts/{resident.account.number}/cases", {"kind": "complaint", "reason": "Gate left open"}
    )
    assert complaint.status_code == 303, complaint.text  # a case: the queue and the case page
    assert (await post_form(client, "/staff/drawer/open", {"opening_float": "100.00"})).status_code == 303
    paid = await post_form(
        client,
        "/staff/drawer/payments",
        {
            "account_number": resident.account.number,
            "account_id": str(resident.account.id),
            "tender": "cash",
            "amount": "20.00",
            "check_number": "",
        },
    )
    assert paid.status_code == 303, paid.text
    closed = await post_form(client, "/staff/drawer/close", {"cash": "120.00", "check": "0", "card": "0"})
    assert closed.status_code == 303, closed.text
    token = await csrf(client)
    batch = await client.post(
        "/staff/lockbox",
        data={"_csrf_token": token},
        follow_redirects=False,
        files={"file": ("lockbox.csv", LOCKBOX.format(a=other_resident.account.number).encode(), "text/csv")},
    )
    assert batch.status_code == 303, batch.text
    preview = (await client.get("/staff/cutoff/notices")).text  # bulk actions preview, then confirm
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', preview)[1]
    assert (await post_form(client, "/staff/cutoff/notices", {"fingerprint": fingerprint})).status_code == 303
    big = await post_form(
        client,
        f"/staff/accounts/{resident.account.number}/adjustments",
        {
            "kind": "billing_error",
            "error_from": (local_today() - dt.timedelta(days=200)).isoformat(),
            "amount": "300.00",
            "direction": "overcharged",
            "reason": "Meter multiplier was wrong",
            "action": "submit",
        },
    )
    assert big.status_code == 303, big.text  # over the CSR's limit: waits for the supervisor
    phoned = await post_form(client, "/staff/outages/report", {"utility": "water", "address": "1 Oak St"})
    assert phoned.status_code == 303, phoned.text  # an open outage: its console page and its forms are crawled
    client.cookies.clear()
    # The supervisor's drawer stays open with a receipt on it, so the open drawer's links are crawled too.
    await sign_in(client, session, supervisor)
    assert (await post_form(client, "/staff/drawer/open", {"opening_float": "50.00"})).status_code == 303
    paid = await post_form(
        client,
        "/staff/drawer/payments",
        {
            "account_number": resident.account.number,
            "account_id": str(resident.account.id),
            "tender": "check",
            "amount": "10.00",
            "check_number": "1234",
        },
    )
    assert paid.status_code == 303, paid.text
    # A final account placed with the collection agency, and another due for it: the placement pages and the file.
    for owed in (15_000, 9_000):
        await factories.make_final_account(
            session,
            owed_cents=owed,
            due_on=local_today() - dt.timedelta(days=current_policy().collection_placement_days + 1),
        )
        await session.commit()
        if owed == 15_000:
            assert (await post_form(client, "/staff/placements/file")).status_code == 303
    client.cookies.clear()


_SUMMARY: dict[str, str] = {}


class _Report:
    """Adds the pages crawled per role to pytest's terminal summary."""

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if _SUMMARY:
            terminalreporter.section("links crawled")
            for line in _SUMMARY.values():
                terminalreporter.write_line(line)


@pytest.fixture
def report_line(request: pytest.FixtureRequest):
    plugins = request.config.pluginmanager
    if not plugins.has_plugin("links-crawl-report"):
        plugins.register(_Report(), "links-crawl-report")

    def write(key: str, line: str) -> None:
        _SUMMARY[key] = line
        print(line)

    return write


@pytest.mark.parametrize("role", list(HOME))
async def test_every_link_and_form_a_role_reaches_works_and_stays_in_its_area(
    role, app, client, session, resident, other_resident, technician, csr, supervisor, report_line, monkeypatch
) -> None:
    await _city(client, session, resident, other_resident, technician, csr, supervisor)
    person = {
        "visitor": None,
        "resident": other_resident.user,
        "resident_with_bill": resident.user,
        "technician": technician,
        "csr": csr,
        "supervisor": supervisor,
    }[role]
    if person is not None:
        await sign_in(client, session, person)
    ran = Counter[str]()
    event.listen(app.state.engine.sync_engine, "before_cursor_execute", lambda *_a: ran.update(["sql"]))
    # On PostgreSQL the hot statements go straight to asyncpg, past SQLAlchemy's events: each passes portal.db's
    # _driver once, so counting there makes the budgets hold on both databases (BEGIN is counted on neither).
    straight = db._driver

    async def counted(*args: object, **kwargs: object) -> object:
        ran.update(["sql"])
        return await straight(*args, **kwargs)

    monkeypatch.setattr(db, "_driver", counted)
    most: Counter[str] = Counter()
    fetched, per_route, problems = await crawl(client, Routes.of(app), role, lambda: ran["sql"], most)
    over = {name: n for name, n in most.items() if n > STATEMENTS.get(name, STATEMENTS_AT_MOST)}
    report_line(
        f"{role} sql",
        f"  most statements a page ran ({role}): " + ", ".join(f"{n} {name}" for name, n in most.most_common(5)),
    )
    left = per_route.pop("(left by the per-route cap)", 0)
    report_line(
        role,
        f"crawl {os.environ.get('TEST_DB', 'sqlite')} {role}: {fetched} pages over {len(per_route)} routes"
        f"{f', {left} links left by the per-route cap' if left else ''}",
    )
    assert not problems, "\n".join(problems)
    assert not over, f"pages running more SQL statements than their budget (STATEMENTS): {over}"
    # The crawl really went through the role's pages, ids included.
    expected = {
        "visitor": {"landing", "signin", "signup", "pay", "language"},
        "resident": {"customer.home", "customer.bills", "customer.requests", "settings"},
        "resident_with_bill": {
            "customer.home",
            "billing.bill",
            "billing.bill.pdf",
            "pay.account",
            "customer.usage",
            "customer.extension",
            "payments.autopay",
        },
        "technician": {"field.today", "field.order", "settings"},
        "csr": {
            "staff.home",
            "staff.account",
            "staff.drawer.closed",
            "staff.lockbox.batch",
            "staff.cutoff.letter",
            "staff.collections",
            "staff.dispatch",
            "staff.extensions",
            "staff.cases",
            "staff.case",
            "staff.adjustment.new",
            "staff.start.new",
            "staff.move.new",
            "staff.bank_draft",
            "staff.caller",
        },
        "supervisor": {
            "staff.home",
            "staff.receipt",
            "staff.rates",
            "staff.rates.new",
            "staff.approvals",
            "staff.account",
            "staff.placements",
            "staff.placement",
            "staff.placements.csv",
        },
    }[role]
    assert expected <= set(per_route), sorted(expected - set(per_route))
