"""Amounts of money as people type them ("$1,234.50", "1234.5", " 1,234 "): the one parser behind every money field,
the resident's payment amount and the console's (through portal.web.params) alike, so both sides accept and refuse
the same things. Plain strings in, integer cents out."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from portal import i18n

from .policy import MAX_CENTS

# Digits with an optional "$", thousands grouped by commas (or not), at most 2 decimals. No exponent, no NaN or
# Infinity, no digits of other scripts, no sign.
_DOLLARS = re.compile(r"\$?\s*(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.[0-9]{0,2})?")
_TOO_PRECISE = re.compile(r"\$?\s*(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?\.[0-9]{3,}")  # "12.345": a slip, not a price
_LARGEST = Decimal(2**63 - 1) / 100  # beyond a BIGINT of cents
# "244,01": cents after a comma, as a Spanish reader writes them (on a Spanish page only: in English "1,23" is more
# likely a slip than $1.23, and stays refused). Never a thousands group: those have 3 digits.
_DECIMAL_COMMA = re.compile(r"(\$?\s*[0-9]+),([0-9]{1,2})")


class BadAmount(ValueError):
    """Not an amount that can be taken; `reason` says why, for the form to say it in words: not_amount, decimals
    (more than 2), negative, too_small (below the caller's minimum) or too_large (above its maximum)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_cents(raw: object, *, minimum: int = 0, maximum: int = MAX_CENTS) -> int:
    """Dollars as typed to cents, within minimum .. maximum cents (by default up to MAX_CENTS, $1,000,000.00)."""
    text = str(raw if raw is not None else "").strip()
    if i18n.current() == "es" and (comma := _DECIMAL_COMMA.fullmatch(text)):
        text = f"{comma.group(1)}.{comma.group(2)}"
    has_digit = any(c.isdigit() for c in text)
    if text.startswith("-") and has_digit and _DOLLARS.fullmatch(text[1:].strip()):
        raise BadAmount("negative")
    if not has_digit or not _DOLLARS.fullmatch(text):
        raise BadAmount("decimals" if _TOO_PRECISE.fullmatch(text) else "not_amount")
    return cents_of(Decimal(text.replace("$", "").replace(",", "").strip() or "0"), minimum=minimum, maximum=maximum)


def cents_of(value: Decimal, *, minimum: int = 0, maximum: int = MAX_CENTS) -> int:
    """A Decimal amount of dollars to cents: finite, at most 2 decimals, within minimum .. maximum cents."""
    try:
        if not value.is_finite() or abs(value) > _LARGEST:
            raise BadAmount("not_amount")
        cents = value * 100
        if cents != cents.to_integral_value():
            raise BadAmount("decimals")
    except InvalidOperation:
        raise BadAmount("not_amount") from None
    if cents < minimum:
        raise BadAmount("negative" if cents < 0 else "too_small")
    if cents > maximum:
        raise BadAmount("too_large")
    return int(cents)
