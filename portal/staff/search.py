"""Account search for the console: one box that takes an account number, a name, an address, a phone number or a
meter serial.

What was typed decides which look-ups run (`plan`, a pure function). Each look-up is a LIKE over one indexed
expression, and the look-ups are combined as a UNION of account ids, so on PostgreSQL every branch is answered by
its own trigram GIN index (migration 0500; the SQL expressions here must match the indexed ones) instead of a scan
over joined tables. On SQLite the same SQL scans, which an embedded demo city can afford.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import (
    BindParameter,
    ColumnClause,
    ColumnElement,
    Select,
    String,
    bindparam,
    literal_column,
    select,
    text,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import numbers
from portal.accounts.models import Account, Customer, Meter, Premise

MIN_TEXT = 3
MIN_DIGITS = 4

# Exactly the expressions migration 0500 indexes on PostgreSQL.
NAME_SQL: ColumnClause[str] = literal_column("(customer.first_name || ' ' || customer.last_name)")
PHONE_DIGITS_SQL: ColumnClause[str] = literal_column(
    "(replace(replace(replace(replace(replace(customer.phone, '-', ''), ' ', ''), '(', ''), ')', ''), '.', ''))"
)

_SEPARATORS = re.compile(r"[\s\-().+]")
_SERIAL = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9\-]{4,32}$")


@dataclass(frozen=True)
class Plan:
    kind: str  # number, phone, serial, text, too_short, empty
    number: str | None = None  # a complete, valid account number
    digits: str | None = None  # phone digits / partial account number
    serial: str | None = None
    text: str | None = None


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(value: str) -> BindParameter[str]:
    return _pattern(f"%{_escape_like(value)}%")


def _starts(value: str) -> BindParameter[str]:
    return _pattern(f"{_escape_like(value)}%")


def _pattern(value: str) -> BindParameter[str]:
    # Rendered into the statement (safely quoted by SQLAlchemy) rather than sent as a parameter: PostgreSQL's
    # generic plan for `LIKE $1` cannot use a prefix index, and the planner needs the pattern to pick an index.
    return bindparam(None, value, type_=String(), literal_execute=True)


def plan(raw: str) -> Plan:
    """Which look-ups a search box entry calls for."""
    text = " ".join((raw or "").split())
    if not text:
        return Plan("empty")
    if numbers.is_valid(text):
        return Plan("number", number=numbers.normalize(text))
    compact = _SEPARATORS.sub("", text)
    if compact.isascii() and compact.isdigit():
        if len(compact) < MIN_DIGITS:
            return Plan("too_short")
        # A US number typed with its country code still matches the stored ten digits.
        if len(compact) == 11 and compact.startswith("1"):
            compact = compact[1:]
        return Plan("phone", digits=compact)
    if _SERIAL.match(text):
        return Plan("serial", serial=text.upper(), text=text)
    if len(text) < MIN_TEXT:
        return Plan("too_short")
    return Plan("text", text=text)


def _account_ids(p: Plan, cap: int) -> list[Select]:
    """One SELECT of account ids per look-up. Each look-up keeps only `cap` matches (which ones is up to the index:
    more than a page of matches means the CSR should narrow the search), so a common name costs one index scan,
    never a join and sort over thousands of rows. An ORDER BY here would tempt the planner into walking a btree."""
    branches: list[Select] = []

    def by_customer(condition: ColumnElement[bool]) -> None:
        ids = select(Customer.id).where(condition).limit(cap)
        branches.append(select(Account.id).where(Account.customer_id.in_(ids)))

    def by_premise(ids: Select) -> None:
        branches.append(select(Account.id).where(Account.premise_id.in_(ids)))

    if p.kind == "number":
        branches.append(select(Account.id).where(Account.number == p.number))
    if p.kind == "phone" and p.digits:
        by_customer(PHONE_DIGITS_SQL.like(_contains(p.digits), escape="\\"))
        if len(p.digits) <= numbers.BODY_DIGITS + 1:
            partial = select(Account.id).where(Account.number.like(_starts(p.digits), escape="\\")).limit(cap)
            branches.append(select(Account.id).where(Account.id.in_(partial)))
    if p.kind == "serial" and p.serial:
        by_premise(
            select(Meter.premise_id)
            .where(Meter.serial.like(_starts(p.serial), escape="\\"), Meter.premise_id.is_not(None))
            .limit(cap)
        )
    if p.kind in ("text", "serial") and p.text:
        like = _contains(p.text)
        by_customer(NAME_SQL.ilike(like, escape="\\"))
        by_customer(Customer.business_name.ilike(like, escape="\\"))
        by_premise(select(Premise.id).where(Premise.address.ilike(like, escape="\\")).limit(cap))
    return branches


@dataclass(frozen=True)
class Results:
    plan: Plan
    rows: list[tuple[Account, Customer, Premise]]
    more: bool  # there were more matches than shown: the CSR should narrow the search


async def search(session: AsyncSession, raw: str, limit: int = 25) -> Results:
    p = plan(raw)
    branches = _account_ids(p, cap=limit + 1)
    if not branches:
        return Results(p, [], more=False)
    if session.get_bind().dialect.name == "postgresql":
        # asyncpg prepares statements, and after five runs PostgreSQL may switch to a generic plan that cannot see the
        # pattern: it guesses 500 rows for the LIKE and scans the table (measured 70-190 ms on 100,000 accounts, against
        # 14-20 ms for a plan made for each pattern from the trigram index). Plan each search for its own pattern.
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    ids = union(*branches).subquery()
    query = (
        select(Account, Customer, Premise)
        .join(Customer, Customer.id == Account.customer_id)
        .join(Premise, Premise.id == Account.premise_id)
        .where(Account.id.in_(select(ids.c[0])))
        # Open accounts first: a CSR is usually looking for the current occupant.
        .order_by(Account.status.in_(("closed", "final")), Premise.address, Premise.unit, Account.id)
        .limit(limit + 1)
    )
    rows = [(account, customer, premise) for account, customer, premise in await session.execute(query)]
    return Results(p, rows[:limit], more=len(rows) > limit)
