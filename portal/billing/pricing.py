"""Pricing a quantity of water: gallons through a schedule's inclining tiers, and a volume at one price per 1,000
gallons. Pure, and the one place these amounts are worked out: the bill's water and sewer lines (compute.py) and the
staff console's adjustment calculators (leak, pool fill) both price here, so a credit matches what the bill charged.

Every amount is rounded once, in the block (line) that charges it, as the bill shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from .rates import EnergyTier, Tier

ONE = Decimal(1)


def cents(value: Decimal) -> int:
    return int(value.quantize(ONE, rounding=ROUND_HALF_UP))


def volume_cents(gallons: Decimal | int, cents_per_kgal: int) -> int:
    """What `gallons` cost at one price per 1,000 gallons, rounded to the cent."""
    return cents(Decimal(gallons) * cents_per_kgal / 1000)


class TierBlock(NamedTuple):
    """The part of the use that falls in one tier, and what it costs."""

    low: int  # the gallon the tier starts above (0 for the first tier)
    up_to_gallons: int | None  # the tier's upper bound; None for the open-ended top tier
    gallons: Decimal
    cents_per_kgal: int
    amount_cents: int


def water_blocks(tiers: Sequence[Tier], gallons: Decimal | int, fraction: Decimal = ONE) -> list[TierBlock]:
    """`gallons` through the tiers, one block a tier used. Tiers are monthly blocks: a stretch of a period billed
    under one schedule takes `fraction` of the use and of each block, so splitting a period by a rate change never
    moves use into a higher tier."""
    blocks = []
    remaining = Decimal(gallons) * fraction
    floor = 0
    for tier in tiers:
        if remaining <= 0:
            break
        if tier.up_to_gallons is None:
            block = remaining
        else:
            block = min(remaining, (tier.up_to_gallons - floor) * fraction)
        blocks.append(
            TierBlock(floor, tier.up_to_gallons, block, tier.cents_per_kgal, volume_cents(block, tier.cents_per_kgal))
        )
        remaining -= block
        floor = tier.up_to_gallons or floor
    return blocks


def water_cents(tiers: Sequence[Tier], gallons: Decimal | int, fraction: Decimal = ONE) -> int:
    """The volume charge for `gallons` through the tiers: the sum of the bill's tier lines."""
    return sum(block.amount_cents for block in water_blocks(tiers, gallons, fraction))


def energy_cents(units: Decimal | int, millicents_per_unit: int) -> int:
    """What `units` (kWh or therms) cost at a price in thousandths of a cent per unit, rounded to the cent."""
    return cents(Decimal(units) * millicents_per_unit / 1000)


class EnergyBlock(NamedTuple):
    low: int  # the unit the tier starts above (0 for the first tier)
    up_to_units: int | None
    units: Decimal
    millicents_per_unit: int
    amount_cents: int


def energy_blocks(tiers: Sequence[EnergyTier], units: Decimal | int, fraction: Decimal = ONE) -> list[EnergyBlock]:
    """`units` through inclining energy tiers, one block a tier used; `fraction` as in water_blocks (a stretch of
    the period under one schedule takes its share of the use and of each block)."""
    blocks = []
    remaining = Decimal(units) * fraction
    floor = 0
    for tier in tiers:
        if remaining <= 0:
            break
        block = remaining if tier.up_to_units is None else min(remaining, (tier.up_to_units - floor) * fraction)
        price = tier.millicents_per_unit
        blocks.append(EnergyBlock(floor, tier.up_to_units, block, price, energy_cents(block, price)))
        remaining -= block
        floor = tier.up_to_units or floor
    return blocks
