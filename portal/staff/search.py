"""Account search for the console: one box that takes an account number, a name, an address, a phone number or a
meter serial.

What was typed decides which look-ups run (`plan`, a pure function). Each look-up is a LIKE over one indexed
expression, and the look-ups are combined as a UNION of account ids, so on PostgreSQL every branch is answered by
its own trigram GIN index (migration 0500; the SQL expressions here must match the indexed ones) instead of a scan
over joined tables. On SQLite the same SQL scans, which an embedded demo city can afford.

What a caller says is not always what is stored, so the text look-ups compare words, not whole strings: an address is
matched word by word with the usual abbreviations folded (Street/St, Apartment/Apt/#/Unit, North/N), so "100 Oak
Street Apt 103", "100 Oak St #103" and "Oak St 103" find the same flat; a name matches with its words in either order.
When nothing matches exactly, names within a small misspelling are offered as close matches (trigram similarity on
PostgreSQL, a ranked prefix match on SQLite). An account number with a wrong check digit is answered with the
numbers one slip away that exist.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import (
    BindParameter,
    ColumnClause,
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    literal,
    literal_column,
    or_,
    select,
    text,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum import damm

from portal.accounts import numbers
from portal.accounts.address_words import address_words
from portal.accounts.models import Account, Customer, Meter, Premise

MIN_TEXT = 3
MIN_DIGITS = 4
# A name is offered as a close match when its words are on average this near the typed ones (difflib's ratio):
# one slip in a word of six letters or more ("Jonson", "Andersen", "Wilsen") passes, another name does not.
CLOSE_ENOUGH = 0.8
CLOSE_CANDIDATES = 200
EMBEDDED_CANDIDATES = 5000  # SQLite has no trigram index: a demo city's names sharing three letters are all ranked
WORD_SIMILARITY = 0.45  # pg_trgm's word similarity of "jonson" in "mary johnson" is 0.5; its default of 0.6 misses it

# Exactly the expressions migrations 0500 and 0720 index on PostgreSQL.
NAME_SQL: ColumnClause[str] = literal_column("(customer.first_name || ' ' || customer.last_name)")
PHONE_DIGITS_SQL: ColumnClause[str] = literal_column(
    "(replace(replace(replace(replace(replace(customer.phone, '-', ''), ' ', ''), '(', ''), ')', ''), '.', ''))"
)
# The address and unit as one lower-case line with a space at each end, so that a word can be matched as a word
# (`LIKE '% 103 %'`) by the same trigram index that answers substrings.
ADDRESS_WORDS_SQL: ColumnClause[str] = literal_column(
    "(' ' || lower(premise.address || ' ' || coalesce(premise.unit, '')) || ' ')"
)

_SEPARATORS = re.compile(r"[\s\-().+]")
_SERIAL = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9\-]{4,32}$")


@dataclass(frozen=True)
class Plan:
    kind: str  # number, bad_number, phone, serial, text, too_short, empty
    number: str | None = None  # a complete, valid account number
    digits: str | None = None  # phone digits / partial account number
    serial: str | None = None
    text: str | None = None
    words: tuple[str, ...] = ()  # the text's words, abbreviations folded, unit words dropped
    near_numbers: tuple[str, ...] = ()  # for a wrong check digit: valid numbers one slip away


def one_slip_away(digits: str) -> tuple[str, ...]:
    """The valid account numbers that one mistyped digit or one swap of neighbours would turn into `digits`.

    Damm's check catches exactly these slips, so these are the numbers the caller most likely meant."""
    found: list[str] = []
    for i in range(len(digits)):
        for d in "0123456789":
            candidate = digits[:i] + d + digits[i + 1 :]
            if d != digits[i] and damm.is_valid(candidate):
                found.append(candidate)
    for i in range(len(digits) - 1):
        if digits[i] != digits[i + 1]:
            candidate = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
            if damm.is_valid(candidate):
                found.append(candidate)
    return tuple(dict.fromkeys(found))


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
        if len(compact) == numbers.BODY_DIGITS + 1:
            # Nine digits are an account number with a slip in it (a valid one was caught above).
            return Plan("bad_number", digits=compact, near_numbers=one_slip_away(compact))
        # A US number typed with its country code still matches the stored ten digits.
        if len(compact) == 11 and compact.startswith("1"):
            compact = compact[1:]
        return Plan("phone", digits=compact)
    if _SERIAL.match(text):
        return Plan("serial", serial=text.upper(), text=text, words=address_words(text))
    if len(text) < MIN_TEXT:
        return Plan("too_short")
    return Plan("text", text=text, words=address_words(text))


def _word_condition(word: str) -> ColumnElement[bool]:
    """A house or unit number matches as a whole word (100 is not 1000); other words match from their start."""
    if word.isdigit():
        return ADDRESS_WORDS_SQL.like(_contains(f" {word} "), escape="\\")
    return ADDRESS_WORDS_SQL.like(_contains(f" {word}"), escape="\\")


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
        by_customer(Customer.business_name.ilike(_contains(p.text), escape="\\"))
        if p.words:
            # Every word somewhere in the name, in any order ("Anderson Robert" is Robert Anderson).
            by_customer(and_(*(NAME_SQL.ilike(_contains(word), escape="\\") for word in p.words)))
            by_premise(select(Premise.id).where(and_(*(_word_condition(word) for word in p.words))).limit(cap))
    return branches


@dataclass(frozen=True)
class Results:
    plan: Plan
    rows: list[tuple[Account, Customer, Premise]]
    more: bool  # there were more matches than shown: the CSR should narrow the search
    close: bool = False  # no exact match: these are names within a small misspelling
    near: list[tuple[Account, Customer, Premise]] = field(default_factory=list)  # for a number with a slip

    @property
    def only(self) -> Account | None:
        """The one account an exact search found: the console opens it straight away."""
        if len(self.rows) == 1 and not self.more and not self.close:
            return self.rows[0][0]
        return None


def _rows_query(ids: Select, limit: int) -> Select:
    return (
        select(Account, Customer, Premise)
        .join(Customer, Customer.id == Account.customer_id)
        .join(Premise, Premise.id == Account.premise_id)
        .where(Account.id.in_(ids))
        # Open accounts first: a CSR is usually looking for the current occupant.
        .order_by(Account.status.in_(("closed", "final")), Premise.address, Premise.unit, Account.id)
        .limit(limit)
    )


def fold_accents(word: str) -> str:
    """López -> lopez: a caller spelling a name aloud rarely says the accent."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _same_but_accents(typed: tuple[str, ...], customer: Customer) -> bool:
    """Every typed word is in the name once accents are set aside, as the exact search asks of the name as stored."""
    name = fold_accents(f"{customer.first_name} {customer.last_name}".lower())
    return bool(typed) and all(fold_accents(word) in name for word in typed)


def name_closeness(typed: tuple[str, ...], first_name: str, last_name: str) -> float:
    """How near a typed name is to a stored one, 0 to 1: each typed word against its nearest word of the name, in any
    order, averaged ("Jonson" is 0.92 of "Johnson"; "Andersen Robert" is 0.94 of "Robert Anderson")."""
    stored = [fold_accents(word) for word in address_words(f"{first_name} {last_name}")]
    if not typed or not stored:
        return 0.0
    best = [max(difflib.SequenceMatcher(None, fold_accents(word), name).ratio() for name in stored) for word in typed]
    return sum(best) / len(best)


async def _close_names(session: AsyncSession, p: Plan, limit: int) -> list[tuple[Account, Customer, Premise]]:
    """Names a small misspelling away, nearest first. The database finds candidates (on PostgreSQL by trigram word
    similarity from the name index, on SQLite by any three letters in a row of a typed word); `name_closeness`
    ranks them."""
    typed = tuple(word for word in p.words if len(word) >= MIN_TEXT and not word.isdigit())
    if not typed:
        return []
    cap = CLOSE_CANDIDATES
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(f"SET LOCAL pg_trgm.word_similarity_threshold = {WORD_SIMILARITY}"))
        condition = or_(*(literal(word).op("<%")(NAME_SQL) for word in typed))
    else:
        cap = EMBEDDED_CANDIDATES
        # "Jonson" shares "son" with "Johnson"; an embedded city is small enough to rank every such name.
        grams = {word[i : i + 3] for word in typed for i in range(len(word) - 2)}
        condition = or_(*(NAME_SQL.ilike(_contains(gram), escape="\\") for gram in sorted(grams)))
    ids = select(Customer.id).where(condition).limit(cap)
    rows = [
        tuple(row)
        for row in await session.execute(_rows_query(select(Account.id).where(Account.customer_id.in_(ids)), cap))
    ]
    ranked = sorted(
        ((name_closeness(typed, row[1].first_name, row[1].last_name), row) for row in rows),
        key=lambda pair: -pair[0],
    )
    return [row for score, row in ranked if score >= CLOSE_ENOUGH][:limit]


async def search(session: AsyncSession, raw: str, limit: int = 25) -> Results:
    p = plan(raw)
    if p.kind == "bad_number":
        if not p.near_numbers:
            return Results(p, [], more=False)
        query = _rows_query(select(Account.id).where(Account.number.in_(p.near_numbers)), limit)
        return Results(p, [], more=False, near=[tuple(row) for row in await session.execute(query)])
    branches = _account_ids(p, cap=limit + 1)
    if not branches:
        return Results(p, [], more=False)
    if session.get_bind().dialect.name == "postgresql":
        # asyncpg prepares statements, and after five runs PostgreSQL may switch to a generic plan that cannot see the
        # pattern: it guesses 500 rows for the LIKE and scans the table (measured 70-190 ms on 100,000 accounts, against
        # 14-20 ms for a plan made for each pattern from the trigram index). Plan each search for its own pattern.
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    ids = union(*branches).subquery()
    rows = [tuple(row) for row in await session.execute(_rows_query(select(ids.c[0]), limit + 1))]
    if not rows and p.kind == "text":
        close = await _close_names(session, p, limit)
        # "maria lopez" for María Lopez is the name, not a close spelling of it: an accent is rarely said aloud
        same = [row for row in close if _same_but_accents(p.words, row[1])]
        if same:
            return Results(p, same, more=False)
        return Results(p, close, more=False, close=bool(close))
    return Results(p, rows[:limit], more=len(rows) > limit)
