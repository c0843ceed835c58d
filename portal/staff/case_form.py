"""What the case forms post, parsed into the domain's arguments: a refusal names its field and says what was wrong
in words (docs/features.md, Cases)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from portal.accounts.errors import DomainError
from portal.i18n import gettext as _
from portal.web import params


def text(data: Mapping[str, Any], name: str) -> str:
    value = str(data.get(name, "") or "")
    if params.has_nul(value):
        raise DomainError(_("Remove the unusual characters."), field=name)
    return value


def optional_date(data: Mapping[str, Any], name: str) -> dt.date | None:
    raw = text(data, name).strip()
    if not raw:
        return None
    try:
        return params.parse_date(raw)
    except params.BadValue:
        raise DomainError(_("Give the date as YYYY-MM-DD."), field=name) from None


def optional_cents(data: Mapping[str, Any], name: str) -> int | None:
    raw = text(data, name).strip()
    if not raw:
        return None
    try:
        return params.parse_cents(raw, minimum=1)
    except params.BadAmount:
        raise DomainError(_("Give the amount in dollars and cents, like 120.50."), field=name) from None


def optional_chapter(data: Mapping[str, Any]) -> int | None:
    raw = text(data, "chapter").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 2):
        raise DomainError(_("Choose chapter 7, 11 or 13."), field="chapter")
    return int(raw)


def opening(data: Mapping[str, Any]) -> dict[str, Any]:
    """The open-a-case form as cases.open_case's keyword arguments (the kind's own checks are the domain's)."""
    kind = text(data, "kind").strip()
    return {
        "kind": kind,
        "reason": text(data, "reason"),
        "due_on": optional_date(data, "due_on") if kind != "bankruptcy" else None,
        "disputed_cents": optional_cents(data, "disputed") if kind == "dispute" else None,
        "chapter": optional_chapter(data) if kind == "bankruptcy" else None,
        "case_number": text(data, "case_number") if kind == "bankruptcy" else "",
        "filed_on": optional_date(data, "filed_on") if kind == "bankruptcy" else None,
    }
