"""The words on a bill: every line and note is stored as a message key with its numbers, and rendered in the
reader's language when shown (the English text is also kept on the bill line for staff and exports)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from portal import i18n
from portal.i18n import lazy_gettext as _

MESSAGES: dict[str, Any] = {
    # lines
    "water_base": _("Water base charge, %(size)s-inch meter"),
    "water_tier": _("Water, %(low)s to %(high)s gallons"),
    "water_tier_top": _("Water, over %(low)s gallons"),
    "sewer_base": _("Sewer base charge"),
    "sewer_volume": _("Sewer volume"),
    "per_unit": _("%(name)s, %(quantity)s %(unit)s"),
    "per_unit_solid_waste": _("Solid waste, carts: %(quantity)s"),
    "per_unit_stormwater": _("Stormwater, equivalent residential units (ERU): %(quantity)s"),
    "electric_customer": _("Electric customer charge"),
    "electric_energy": _("Electric, all kWh at %(price)s per kWh"),
    "electric_tier": _("Electric, %(low)s to %(high)s kWh at %(price)s per kWh"),
    "electric_tier_top": _("Electric, over %(low)s kWh at %(price)s per kWh"),
    "electric_adjustment": _("Power-cost adjustment: %(units)s kWh at %(price)s per kWh (rate set from %(from_on)s)"),
    "gas_customer": _("Gas customer charge"),
    "gas_energy": _("Gas, all therms at %(price)s per therm"),
    "gas_tier": _("Gas, %(low)s to %(high)s therms at %(price)s per therm"),
    "gas_tier_top": _("Gas, over %(low)s therms at %(price)s per therm"),
    "gas_adjustment": _(
        "Purchased-gas adjustment: %(units)s therms at %(price)s per therm (rate set from %(from_on)s)"
    ),
    "note_summer": _("Summer rates (the period ends in a summer month)."),
    "electric_estimated": _(
        "We could not read your electric meter, so %(units)s kWh is estimated from %(basis)s. "
        "The next actual read corrects it."
    ),
    "gas_estimated": _(
        "We could not read your gas meter, so %(units)s therms is estimated from %(basis)s. "
        "The next actual read corrects it."
    ),
    "deposit_applied": _("Deposit applied to your final bill"),
    # notes on a line
    "note_rate_part": _("Rates in effect %(start_on)s to %(end_on)s: %(days)s of %(period_days)s days."),
    "note_prorated": _("Service for %(days)s days of a %(per_month)s-day month."),
    "note_sewer_actual": _("Billed on your water use."),
    "note_sewer_winter": _(
        "Billed on your winter average (December to February): %(daily)s gallons a day for %(days)s days, "
        "less than your water use of %(water)s gallons."
    ),
    "note_sewer_cap": _("Residential sewer is capped at %(cap)s gallons."),
    "note_share": _("Your share of the building's master meter: 1 of %(count)s units, of %(total)s gallons."),
    # usage notes on the bill
    "usage_actual": _("Meter read %(prev)s on %(prev_on)s and %(curr)s on %(curr_on)s."),
    "usage_meter_change": _(
        "Meter changed on %(changed_on)s: the old meter read %(prev)s, then %(final)s when removed; the new meter read "
        "%(first)s when set and %(curr)s on %(curr_on)s. Each meter is billed for its days."
    ),
    "usage_rollover": _("The meter passed its highest reading and started again from zero."),
    "usage_estimated": _(
        "We could not read your meter, so this bill is estimated from %(basis)s. The next actual read corrects it."
    ),
    "basis_last_year": _("the same period last year"),
    "basis_recent": _("your recent average use"),
    "basis_none": _("no usage history (no usage is charged)"),
    "usage_multiplier": _("Your meter counts in units of %(multiplier)s."),
    "usage_unit": _("Your meter counts %(unit)s; 1 %(unit)s is %(gallons)s gallons."),
    "final_bill": _("This is your final bill."),
    "read_order": _("A technician will read your meter before your next bill."),
}


def _format(key: str, value: Any) -> Any:
    if key.endswith("_cents") and isinstance(value, int):
        return i18n.format_money(value)
    if key.endswith("_on") and isinstance(value, str):
        return i18n.format_date(dt.date.fromisoformat(value))
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return i18n.format_number(value)
    if isinstance(value, list):  # a nested message, e.g. the basis of an estimate
        return render(value[0], value[1] if len(value) > 1 else {})
    return value


def render(key: str, params: Mapping[str, Any] | None = None) -> str:
    """One message in the current language, numbers and dates formatted for it."""
    template = str(MESSAGES[key])
    if not params:
        return template
    return template % {k: _format(k, v) for k, v in params.items()}


def render_english(key: str, params: Mapping[str, Any] | None = None) -> str:
    with i18n.use_locale("en"):
        return render(key, params)
