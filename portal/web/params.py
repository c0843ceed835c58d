"""Numbers, dates and text taken from a request, parsed with bounds in one place each, so that a value the database
or the calendar cannot hold is refused as bad input (a 404 for an id in a path, a 400 or a form error otherwise)
instead of failing deep inside a query.

The bounds:
- ids and other integer keys: 1 .. 2**63 - 1 (every integer column is BIGINT on PostgreSQL, INTEGER on SQLite);
- money: dollars with at most 2 decimals, finite, from 0 to MAX_DOLLARS ($1,000,000.00) for one payment, refund,
  adjustment or price: far above any real utility bill, far below what a BIGINT of cents holds;
- dates: DATE_MIN .. DATE_MAX (1900-01-01 .. 2100-12-31), so date arithmetic (due dates, periods) cannot overflow;
- text: no NUL character (PostgreSQL text cannot store it), lengths bounded by each form field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from litestar import Request
from litestar.exceptions import ValidationException
from litestar.params import Parameter
from litestar.routes import base as _routes
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from portal.accounts import amounts
from portal.accounts.policy import MAX_CENTS, MAX_DOLLARS  # noqa: F401 - the bound forms and parsers check
from portal.i18n import gettext

ID_MAX = 2**63 - 1
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)

_DIGITS = re.compile(r"[0-9]{1,19}")
# "1234", "1,234.5", "$ 12.50": what people type. No exponent, no NaN or Infinity, no digits of other scripts.


class BadValue(ValueError):
    """A value outside its bounds; the message says what is wrong, for the person who typed it (not translated here:
    callers show their own translated message)."""


class BadAmount(BadValue):
    """An amount of money that cannot be taken; `reason` (portal.accounts.amounts.BadAmount's) lets a form say what
    was wrong (portal.web.forms.DollarsField)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_id(raw: object) -> int:
    """A row key: ASCII digits only, 1 .. ID_MAX."""
    text = str(raw).strip() if raw is not None else ""
    if not _DIGITS.fullmatch(text):
        raise BadValue("not an id")
    value = int(text)
    if not 1 <= value <= ID_MAX:
        raise BadValue("id out of range")
    return value


def id_or_none(raw: object) -> int | None:
    """A row key, or None when the value is empty or cannot be one (a choice nobody made)."""
    try:
        return parse_id(raw)
    except BadValue:
        return None


# A row key in a query string: out of range is a 400 naming the parameter and its bounds.
QueryId = Annotated[int, Parameter(ge=1, le=ID_MAX)]


def _path_int(raw: str) -> int:
    # Litestar answers 404 when a path parameter's parser raises ValueError: an id no row can have is "not found".
    if not _DIGITS.fullmatch(raw):
        raise BadValue(raw)
    value = int(raw)
    if value > ID_MAX:
        raise BadValue(raw)
    return value


def bound_int_path_params() -> None:
    """Make every `{name:int}` path parameter of routes built from now on a bounded key (call before the app is
    built): in this app an integer in a path is always a row key or a receipt number, both BIGINT."""
    _routes.parsers_map[int] = _path_int


def parse_cents(raw: object, *, minimum: int = 0, maximum: int = MAX_CENTS) -> int:
    """Dollars as typed ("$1,234.5", " 1,234 ", "0.75") to cents, within minimum .. maximum cents, by the one money
    parser (portal.accounts.amounts); BadAmount.reason says what was wrong."""
    try:
        return amounts.parse_cents(raw, minimum=minimum, maximum=maximum)
    except amounts.BadAmount as exc:
        raise BadAmount(exc.reason) from None


def parse_date(raw: object) -> dt.date:
    """A YYYY-MM-DD date within DATE_MIN .. DATE_MAX."""
    text = str(raw if raw is not None else "").strip()
    try:
        value = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        value = None
    if value is None:
        raise BadValue("not a date")
    return check_date(value)


def check_date(value: dt.date) -> dt.date:
    if not DATE_MIN <= value <= DATE_MAX:
        raise BadValue("date out of range")
    return value


def has_nul(value: object) -> bool:
    return isinstance(value, str) and "\x00" in value


async def refuse_nul(request: Request) -> None:
    """Before every handler: a NUL in the path, the query, a form or a JSON body is refused (400). No person types one
    and PostgreSQL text cannot store it, so one check here spares every handler and every column. Multipart bodies are
    not read here (a handler streams them); their text fields are checked by portal.web.forms.Form."""
    query = request.scope.get("query_string", b"").lower()
    found = b"%00" in query or b"\x00" in query or "\x00" in request.scope.get("path", "")
    if not found and request.method in {"POST", "PUT", "PATCH"}:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            body = (await request.body()).lower()  # cached: the handler's form() reads the same bytes
            found = b"%00" in body or b"\x00" in body
        elif "json" in content_type:
            body = await request.body()
            found = b"\\u0000" in body or b"\x00" in body
        elif content_type.startswith("multipart/form-data"):
            state = ScopeState.from_scope(request.scope)
            if state.form is not Empty and state.body is Empty:
                # The CSRF check read this form from the stream: a handler reading the raw body (a JSON or photo
                # endpoint sent a form) would wait for bytes already consumed. An empty body is refused as unreadable.
                state.body = b""
    if found:
        raise ValidationException(gettext("Remove the control character (NUL) from what you sent."))
