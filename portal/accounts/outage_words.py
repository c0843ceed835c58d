"""An outage's cause and updates in the reader's language.

Staff pick the cause from a list (`CAUSES`), so a Spanish reader gets it in Spanish; a cause stored as free text
before the list existed shows as it was typed. An update may carry a Spanish text beside the English one
(`text_es`); a Spanish reader gets it when staff wrote one, the English otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from portal import i18n
from portal.i18n import lazy_gettext as _

CAUSES: dict[str, str] = {
    "main_break": _("Water main break"),
    "pump": _("Pump station failure"),
    "storm": _("Storm damage"),
    "tree": _("A tree on the lines"),
    "vehicle": _("A vehicle hit a pole"),
    "animal": _("An animal in the equipment"),
    "equipment": _("Equipment failure"),
    "supply": _("Loss of supply from our provider"),
    "planned": _("Planned work"),
}


# Which causes a water or a power outage can have: a water main offered "A tree on the lines".
CAUSES_FOR: dict[str, tuple[str, ...]] = {
    "water": ("main_break", "pump", "storm", "equipment", "supply", "planned"),
    "power": ("storm", "tree", "vehicle", "animal", "equipment", "supply", "planned"),
}


def cause_words(cause: str | None) -> str:
    """The cause in the reader's language; empty when not known yet."""
    if not cause:
        return ""
    return str(CAUSES[cause]) if cause in CAUSES else cause  # a lazy text, read in the current language


def update_words(update: Mapping[str, Any]) -> str:
    """An update's text in the reader's language, when staff wrote it in Spanish too."""
    if i18n.current() == "es" and update.get("text_es"):
        return str(update["text_es"])
    return str(update.get("text") or "")
