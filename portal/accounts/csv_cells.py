"""Text bound for a spreadsheet: the one guard against formula injection, for every CSV the portal writes (the
finance and staff reports, the collection agency's placement file). A cell that starts like a formula ("=", "+",
"-", "@", a tab or a carriage return) is prefixed with a quote, so a spreadsheet reads it as text and runs nothing."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """The text as a spreadsheet should read it: as text, never as a formula."""
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
