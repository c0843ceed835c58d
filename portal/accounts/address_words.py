"""A typed address's words as the city's records spell them: how a caller or a clerk says "100 Oak Street Apt 101"
and how the premise is stored ("100 Oak St", unit "101") meet. Used by the account search and the service address
look-up, so the two answer the same words the same way."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)

# How a caller may say a word -> the form addresses are stored in (USPS abbreviations, as the city's records use).
ABBREVIATIONS = {
    "street": "st",
    "str": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "boulevard": "blvd",
    "blv": "blvd",
    "trail": "trl",
    "place": "pl",
    "circle": "cir",
    "parkway": "pkwy",
    "highway": "hwy",
    "terrace": "ter",
    "square": "sq",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}
# Words that only say "a unit number follows": the number itself is what is stored with the unit.
UNIT_WORDS = {"apt", "apartment", "unit", "suite", "ste", "no", "number", "#"}


def address_words(raw: str) -> tuple[str, ...]:
    """The words of a typed address or name as they are stored: lower case, abbreviations folded, "Apt"/"#" dropped."""
    words = []
    for word in _WORD.findall((raw or "").lower().replace("#", " # ")):
        word = ABBREVIATIONS.get(word, word)
        if word not in UNIT_WORDS:
            words.append(word)
    return tuple(words)
