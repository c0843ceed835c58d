"""An adjustment's explanation (the rule's working) in the reader's language.

The rule (portal/staff/rules.py) returns a message key and the numbers it used; the adjustment keeps them in
`inputs["explanation"]` and its English text in `explanation` (for exports and audits). Pages render the words from
the key and numbers in the viewer's language; an adjustment recorded before the key was kept shows its stored text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from portal import i18n
from portal.i18n import lazy_gettext as _

from .models import Adjustment

EXPLANATIONS: dict[str, str] = {
    "leak": _(
        "Leak: used %(usage)s gal against a 12-month average of %(average)s gal. Water rebilled on %(rebilled)s gal "
        "(average plus half the excess): %(water)s back. Sewer rebilled on %(sewer_basis)s gal: %(sewer)s back."
    ),
    "pool_fill": _(
        "Pool fill: sewer rebilled on the average of %(average)s gal instead of %(billed)s gal: %(credit)s back."
    ),
    "vacation_garbage": _(
        "Vacation garbage: %(months)d whole months from %(start)s to %(end)s at %(monthly)s a month (no credit before "
        "the request on %(requested)s)."
    ),
    "billing_error": _(
        "Billing error: %(count)d bills from %(start)s, %(each)s each (back to the error date or %(months)d months, "
        "whichever is shorter)."
    ),
    "fee_waiver": _("Fee waived: %(amount)s."),
    "meter_accuracy": _(
        "Meter over-registering: tested at %(accuracy)s%% on average. %(count)d bills from %(start)s (since the last "
        "passing test, at most %(months)d months) charged %(charged)s for usage; the over-registered share is %(credit)s."
    ),
}

# How each value reads: money in cents, gallons as a number, dates as ISO strings; counts stay integers (%d).
_MONEY = {"water", "sewer", "credit", "monthly", "each", "amount", "charged"}
_GALLONS = {"usage", "average", "rebilled", "sewer_basis", "billed"}
_DATES = {"start", "end", "requested"}


def _shown(name: str, value: Any) -> Any:
    if name in _MONEY:
        return i18n.format_money(abs(int(value)))
    if name in _GALLONS:
        return i18n.format_number(int(value))
    if name in _DATES:
        return i18n.format_date(value.isoformat() if isinstance(value, dt.date) else str(value))
    return value


def render(key: str, values: Mapping[str, Any]) -> str:
    """The explanation in the current language."""
    return str(EXPLANATIONS[key]) % {name: _shown(name, value) for name, value in values.items()}


def render_english(key: str, values: Mapping[str, Any]) -> str:
    with i18n.use_locale("en"):
        return render(key, values)


def explanation_words(adjustment: Adjustment) -> str:
    """The adjustment's explanation in the viewer's language, from its kept key and numbers, else as stored."""
    kept = (adjustment.inputs or {}).get("explanation")
    if isinstance(kept, dict) and kept.get("key") in EXPLANATIONS:
        try:
            return render(str(kept["key"]), kept.get("values") or {})
        except (KeyError, TypeError, ValueError):
            pass  # numbers that do not fit the message: the stored text is still right
    return adjustment.explanation
