"""The words of a ledger line in the reader's language.

An entry keeps its memo in English, written from one of the messages below with its raw values (ISO dates, dollars,
method codes' English words), so exports and audits read the same everywhere. What a page shows is rendered from
that data in the viewer's language: the memo is matched against the English messages and the message is shown in
the current language with its values formatted (dates as `format_date`, money as `format_money`). A memo no message
matches (a hand-typed reason, an older wording) is shown as stored; an entry with no memo shows its kind's label.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from portal import i18n
from portal.i18n import lazy_gettext as _

from .models import AdjustmentKind, LedgerEntry

# Most specific first: the first message whose English form matches the memo is the one shown.
MESSAGES: dict[str, str] = {
    "rebill_cancelled": _("Cancelled bill %(start_on)s to %(end_on)s (a corrected bill replaces it)"),
    "rebill": _("Corrected bill %(start_on)s to %(end_on)s"),
    "bill": _("Bill %(start_on)s to %(end_on)s"),
    "final_bill": _("Final bill %(start_on)s to %(end_on)s"),
    "late_fee": _("Late fee: %(percent)s%% of %(dollars)s past due"),
    "payment_receipt": _("Payment by %(method)s (receipt %(number)s)"),
    "payment_check": _("Payment by %(method)s (check %(number)s)"),
    "payment_reference": _("Payment by %(method)s (%(reference)s)"),
    "payment": _("Payment by %(method)s"),
    "returned_fee": _("Returned payment fee (%(reference)s)"),
    "returned": _("Returned payment %(reference)s (%(code)s)"),
    "disputed": _("Disputed payment %(reference)s"),
    "void": _("Void of receipt %(number)s: %(reason)s"),
    "reconnect_fee": _("Reconnection fee, restore order %(order)s (business hours)"),
    "reconnect_fee_after_hours": _("Reconnection fee, restore order %(order)s (after hours)"),
    "reconnect_after_hours_instead": _("Reconnection after hours instead (restore order %(order)s)"),
    "deposit_billed": _("Service deposit"),
    "deposit_final_bill": _("Deposit applied to the final bill"),
    "deposit_balance": _("Deposit applied to the balance"),
    "deposit_good_record": _("Deposit returned after %(count)s bills paid on time"),
    "deposit_unbilled": _("Unpaid part of the deposit: not owed once service ends"),
    "deposit_waived": _("Waived: letter of credit. %(note)s"),
    "start_cancelled": _("Start cancelled: %(reason)s"),
    "deposit_refund_check": _("Deposit refund by check %(number)s mailed to %(address)s"),
    "deposit_refund_check_no_number": _("Deposit refund by check mailed to %(address)s"),
    "credit_refund_check": _("Credit refund by check %(number)s mailed to %(address)s"),
    "credit_refund_check_no_number": _("Credit refund by check mailed to %(address)s"),
    "deposit_refund": _("Deposit refund to %(method)s (%(reference)s)"),
    "credit_refund": _("Credit refund to %(method)s (%(reference)s)"),
    "bankruptcy_discharge": _("Written off: bankruptcy case %(number)s discharged on %(on)s"),
    "transfer_out": _("Balance moved to account %(number)s"),
    "transfer_in": _("Balance moved from account %(number)s"),
    "write_off": _("Placed with %(agency)s on %(placed_on)s: balance written off"),
    "agency_direct": _("Paid to the utility while placed with %(agency)s: owed again, then paid"),
    "agency_recovery": _("Collected by %(agency)s (%(reference)s): owed again, then paid"),
    "agency_fee": _("Fee of %(agency)s on %(reference)s, paid by the utility"),
    "agency_recall": _("Recalled from %(agency)s: %(reason)s"),
    "adjustment": _("%(adjustment)s: %(reason)s"),
}

# How a payment method reads; the memo keeps the English word, older memos may hold the Spanish one.
METHOD_WORDS: dict[str, str] = {
    "card": _("card"),
    "us_bank_account": _("bank account"),
    "cash": _("cash"),
    "check": _("check"),
    "lockbox": _("mailed check"),
    "draft": _("bank draft"),
    "agency": _("collection agency"),
}

ADJUSTMENT_WORDS: dict[str, str] = {
    AdjustmentKind.LEAK: _("Leak"),
    AdjustmentKind.POOL_FILL: _("Pool fill"),
    AdjustmentKind.VACATION_GARBAGE: _("Vacation garbage"),
    AdjustmentKind.BILLING_ERROR: _("Billing error"),
    AdjustmentKind.FEE_WAIVER: _("Fee waiver"),
}


def memo(key: str, **values: Any) -> str:
    """The English memo to store for message `key` with its raw values (dates ISO, dollars "12.34", a method's code
    or an adjustment's kind)."""
    raw = dict(values)
    if "method" in raw:
        raw["method"] = _english(METHOD_WORDS, str(raw["method"]))
    if "adjustment" in raw:
        raw["adjustment"] = _english(ADJUSTMENT_WORDS, str(raw["adjustment"]))
    return _template("en", key) % raw


def ledger_words(entry: LedgerEntry) -> str:
    """The line's words in the current language: from its memo's message and values, else the memo as stored ("" for
    no memo: the page shows the entry's kind)."""
    return words_of(entry.memo or "")


def words_of(text: str) -> str:
    for key, pattern in _patterns():
        found = pattern.fullmatch(text)
        if found is None:
            continue
        values = {name: _shown(name, value) for name, value in found.groupdict().items()}
        if any(value is None for value in values.values()):
            continue  # a value that does not read as its kind (a method we do not know): try the next message
        return _template(i18n.current(), key) % values
    return text


def _template(locale: str, key: str) -> str:
    with i18n.use_locale(locale):
        return str(MESSAGES[key])


@cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Each message's English form as a pattern, its values as named groups."""
    found = []
    for key in MESSAGES:
        english = _template("en", key)
        parts = re.split(r"%\((\w+)\)s", english.replace("%%", "%"))
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        found.append((key, re.compile(regex, re.DOTALL)))
    return found


def _english(words: Mapping[str, str], code: str) -> str:
    with i18n.use_locale("en"):
        return str(words[code]) if code in words else code


_REVERSED: dict[int, dict[str, str]] = {}


def _reverse(words: Mapping[str, str]) -> dict[str, str]:
    """Each word, in English and in Spanish, to its code: old memos were sometimes written in the poster's language."""
    if id(words) in _REVERSED:
        return _REVERSED[id(words)]
    codes: dict[str, str] = {}
    for locale in i18n.SUPPORTED:
        with i18n.use_locale(locale):
            codes.update({str(word).casefold(): code for code, word in words.items()})
    _REVERSED[id(words)] = codes
    return codes


def _word(words: Mapping[str, str]) -> Callable[[str], str | None]:
    def shown(value: str) -> str | None:
        code = _reverse(words).get(value.casefold())
        return str(words[code]) if code is not None else None

    return shown


def _dollars(value: str) -> str | None:
    try:
        return i18n.format_money(int((Decimal(value.replace(",", "").lstrip("$")) * 100).to_integral_value()))
    except InvalidOperation:
        return None


def _date(value: str) -> str | None:
    try:
        return i18n.format_date(value)
    except ValueError:
        return None


def _number(value: str) -> str | None:
    try:
        return i18n.format_number(Decimal(value))
    except InvalidOperation:
        return None


def _shown(name: str, value: str) -> str | None:
    """A value as the reader reads it; None when it is not what the message expects (the message does not apply)."""
    if name.endswith("_on"):
        return _date(value)
    formats: dict[str, Callable[[str], str | None]] = {
        "dollars": _dollars,
        "percent": _number,
        "method": _word(METHOD_WORDS),
        "adjustment": _word(ADJUSTMENT_WORDS),
    }
    return formats[name](value) if name in formats else value
