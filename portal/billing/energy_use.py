"""A bill's electric and gas use as billed, read from the bill's document (the numbers frozen at bill time): the
kWh or therms of each meter and whether they were estimated. For the resident's usage page and the staff console,
which show energy per period beside water's gallons (`Bill.usage`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

ENERGY_KINDS = ("electric", "gas")
UNIT_OF = {"electric": "kWh", "gas": "therm"}  # the unit each kind is billed in (the meter's `unit`)


class EnergyUse(NamedTuple):
    kind: str
    units: int
    estimated: bool


def energy_use(document: Mapping[str, Any] | None) -> dict[str, EnergyUse]:
    """{"electric"/"gas": its use} of one bill. Bills made before the document kept each meter's part ("energy")
    still say their use on the PCA/PGA line, which prices every kWh or therm of the period once."""
    doc = document or {}
    stored = doc.get("energy")
    if stored:
        return {
            kind: EnergyUse(kind, int(part.get("units") or 0), bool(part.get("estimated")))
            for kind, part in stored.items()
            if kind in ENERGY_KINDS
        }
    found: dict[str, int] = {}
    for line in doc.get("lines") or []:
        key, params = line[0], line[1] if len(line) > 1 else {}
        for kind in ENERGY_KINDS:
            if key == f"{kind}_adjustment":
                found[kind] = found.get(kind, 0) + int((params or {}).get("units") or 0)
    return {kind: EnergyUse(kind, units, False) for kind, units in found.items()}


def water_estimated(estimated: bool, document: Mapping[str, Any] | None) -> bool:
    """Whether a bill's water use was estimated: `Bill.estimated` says any of its meters was; a bill with electric or
    gas tells water's estimate apart by its usage note."""
    if not estimated:
        return False
    if not energy_use(document):
        return True
    return any(note and note[0] == "usage_estimated" for note in (document or {}).get("usage_notes") or [])
