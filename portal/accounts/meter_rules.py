"""The meters' plain rules: a new premise's address, a meter's serial and size, and a meter test's verdict. No
database; unit tests call them directly (tests/unit/test_meter_rules.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal.i18n import gettext as _

from .models import ServiceKind
from .policy import Policy

METER_SIZES = ("5/8", "3/4", "1", "1-1/2", "2", "3", "4", "6")
STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR".split()
)
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_STREET = re.compile(r"^\d+[A-Za-z]?\s+\S")  # a house number, then the street
_SERIAL = re.compile(r"^[A-Z0-9][A-Z0-9-]{3,31}$")


@dataclass(frozen=True)
class Address:
    address: str
    unit: str | None
    city: str
    state: str
    zip: str


def _spaces(text: str | None) -> str:
    return " ".join((text or "").split())


def check_address(
    address: str | None, unit: str | None, city: str | None, state: str | None, zip_code: str | None
) -> tuple[Address | None, list[tuple[str, str]]]:
    """The address cleaned (spaces collapsed, street and city in title case as the premise list shows them, state in
    capitals), or the problems by field: a house number and a street, a city, a US state, a 5-digit ZIP."""
    street, unit_text, city_text = _spaces(address), _spaces(unit), _spaces(city)
    state_text, zip_text = _spaces(state).upper(), _spaces(zip_code)
    problems: list[tuple[str, str]] = []
    if not _STREET.match(street) or len(street) > 160:
        problems.append(("address", _("Enter the house number and the street, as in 1402 Oak Street.")))
    if len(unit_text) > 20:
        problems.append(("unit", _("A unit is at most 20 characters.")))
    if not city_text or len(city_text) > 80:
        problems.append(("city", _("Enter the city.")))
    if state_text not in STATES:
        problems.append(("state", _("Enter the state's two-letter code, as in TX.")))
    if not _ZIP.match(zip_text):
        problems.append(("zip", _("Enter a 5-digit ZIP code.")))
    if problems:
        return None, problems
    return Address(street.title(), unit_text.upper() or None, city_text.title(), state_text, zip_text), []


def check_services(kinds: list[str]) -> tuple[list[str], str | None]:
    """The services a new premise offers, in a fixed order; water is needed for a metered premise."""
    known: list[str] = [str(k.value) for k in ServiceKind if k.value in set(kinds)]
    if ServiceKind.WATER.value not in known:
        return known, _("A new premise needs water service: it is what the meter measures.")
    return known, None


def clean_serial(serial: str | None) -> str | None:
    """A meter's serial as stamped on it (letters, digits, dashes; 4 to 32), in capitals; None when it is not one."""
    text = _spaces(serial).upper().replace(" ", "")
    return text if _SERIAL.match(text) else None


@dataclass(frozen=True)
class Verdict:
    passed: bool
    over_registering: bool
    average_tenths: int  # the mean of the three flows, in tenths of a percent (1000 = 100.0 %)
    reason: str


def _percent(tenths: int) -> str:
    return f"{tenths / 10:.1f} %"


def verdict(policy: Policy, low: int, mid: int, high: int) -> Verdict:
    """A test passes when each flow is within the policy's tolerance of 100 %. It over-registers when the average of
    the three is above 100 % by more than the tolerance (the customer paid for water the meter invented)."""
    tolerance = policy.meter_test_tolerance_tenths
    flows = {"low": low, "mid": mid, "high": high}
    average = round((low + mid + high) / 3)
    outside = [name for name, value in flows.items() if abs(value - 1000) > tolerance]
    over = average - 1000 > tolerance
    if not outside:
        return Verdict(True, False, average, _("Every flow is within %(t)s of 100 %%.") % {"t": _percent(tolerance)})
    reason = _("Outside %(t)s of 100 %%: %(flows)s. Average %(avg)s.") % {
        "t": _percent(tolerance),
        "flows": ", ".join(f"{name} {_percent(flows[name])}" for name in outside),
        "avg": _percent(average),
    }
    return Verdict(False, over, average, reason)
