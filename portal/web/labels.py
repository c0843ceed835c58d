"""Words for stored codes (statuses, kinds), translated where shown: templates use the `label` filter."""

from __future__ import annotations

import enum

from portal.i18n import gettext
from portal.i18n import lazy_gettext as _

LABELS: dict[str, object] = {
    # account status
    "pending": _("Pending"),
    "active": _("Active"),
    "disconnected": _("Disconnected"),
    "final": _("Final"),
    "closed": _("Closed"),
    "collections": _("In collections"),
    # account class
    "residential": _("Residential"),
    "commercial": _("Commercial"),
    # services
    "water": _("Water"),
    "sewer": _("Sewer"),
    "solid_waste": _("Solid waste"),
    "stormwater": _("Stormwater"),
    "fire_line": _("Fire line"),
    "electric": _("Electric"),
    "gas": _("Gas"),
    # work orders
    "start": _("Start service"),
    "stop": _("Stop service"),
    "transfer_read": _("Transfer read"),
    "disconnect": _("Disconnect for non-pay"),
    "restore": _("Restore service"),
    "read": _("Meter read"),
    "check_read": _("Check read"),
    "meter_test": _("Meter test"),
    "leak_check": _("Leak check"),
    "meter_change": _("Meter change"),
    "meter_install": _("Meter install"),
    "investigate": _("Investigate"),
    "open": _("Open"),
    "assigned": _("Assigned"),
    "completed": _("Completed"),
    "cancelled": _("Cancelled"),
    # ledger
    "charge": _("Charge"),
    "payment": _("Payment"),
    "adjustment": _("Adjustment"),
    "late_fee": _("Late fee"),
    "deposit_billed": _("Deposit billed"),
    "deposit_paid": _("Deposit paid"),
    "deposit_applied": _("Deposit applied"),
    "deposit_refunded": _("Deposit refunded"),
    "refund": _("Refund"),
    "fee": _("Fee"),
    "reversal": _("Reversal"),
    "transfer": _("Balance transfer"),
    "write_off": _("Written off"),
    "write_off_recovery": _("Owed again (collection agency)"),
    "agency_fee": _("Agency fee (paid by the utility)"),
    "placed": _("Placed"),
    "recalled": _("Recalled"),
    "paid": _("Paid"),
    # cases
    "dispute": _("Dispute"),
    "complaint": _("Complaint"),
    "bankruptcy": _("Bankruptcy"),
    "discharged": _("Discharged"),
    "dismissed": _("Dismissed"),
    "resolved": _("Resolved"),
    # staff: adjustments, arrangements, deposits, extensions, autopay, reads, tenders, contacts
    "leak": _("Leak"),
    "pool_fill": _("Pool fill"),
    "vacation_garbage": _("Vacation garbage"),
    "billing_error": _("Billing error"),
    "fee_waiver": _("Fee waiver"),
    "meter_accuracy": _("Meter accuracy"),
    "pending_approval": _("Waiting for approval"),
    "done": _("Done"),
    # corrections (cancel and rebill)
    "read_corrected": _("Read corrected"),
    "read_entered": _("Read entered"),
    "records": _("Records corrected"),
    "corrected": _("Corrected"),
    "alt_phone": _("Other phone"),
    "en": _("English"),
    "es": _("Spanish"),
    "posted": _("Posted"),
    "rejected": _("Rejected"),
    "broken": _("Broken"),
    "kept": _("Kept"),
    "pending_review": _("Waiting for review"),
    "denied": _("Denied"),
    "required": _("Required"),
    "held": _("Held"),
    "waived": _("Waived"),
    "applied": _("Applied"),
    "refunded": _("Refunded"),
    "suspended": _("Suspended"),
    "high": _("High"),
    "low": _("Low"),
    "re_entered": _("Re-entered"),
    "negative": _("Lower than the last read"),
    "rollover": _("Rollover"),
    "estimated": _("Estimated"),
    "customer": _("Customer"),
    "check": _("Check"),
    "field": _("Field"),
    "office": _("Office"),
    "cash": _("Cash"),
    "card": _("Card"),
    "cutoff_notice": _("Cut-off notice"),
    "courtesy_call": _("Courtesy call"),
    "duplicate": _("Already posted"),
    "counter": _("Counter"),
    "lockbox": _("Lockbox"),
    "counter_no_receipt": _("Counter, no drawer receipt"),
    "online": _("Online"),
    "sent": _("Sent"),
    "autopay": _("Autopay"),
    "other": _("Other"),
    "reached": _("Reached"),
    "voicemail": _("Left a voicemail"),
    "no_answer": _("No answer"),
    "wrong_number": _("Wrong number"),
    "promised": _("Promised to pay"),
    "emailed": _("Emailed"),
    "letter": _("Letter"),
    "order_cancelled": _("Order was cancelled"),
    "disconnect_hold": _("Disconnect refused: account on hold"),
    # resident requests and problem reports
    "request_start": _("Start service"),
    "request_stop": _("Stop service"),
    "request_move": _("Move"),
    "request_problem": _("Problem report"),
    "in_progress": _("In progress"),
    "no_water": _("No water"),
    "meter_damage": _("Meter damage"),
    "lid_damage": _("Meter box lid damage"),
}


# what a meter counts in (`Meter.unit`): in words, and short beside a number
UNIT_WORDS: dict[str, object] = {
    "gal": _("gallons"),
    "cf": _("cubic feet"),
    "ccf": _("hundreds of cubic feet"),
    "kgal": _("thousands of gallons"),
    "kWh": _("kilowatt-hours (kWh)"),
    "therm": _("therms"),
}
UNIT_SHORT: dict[str, object] = {
    "gal": _("gal"),
    "cf": _("cu ft"),
    "ccf": _("CCF"),
    "kgal": _("kgal"),
    "kWh": _("kWh"),
    "therm": _("therms"),
}


def unit_words(unit: object) -> str:
    """A meter's unit in words ("kilowatt-hours (kWh)"), translated."""
    found = UNIT_WORDS.get(str(unit))
    return str(found) if found is not None else str(unit)


def unit_short(unit: object) -> str:
    """A meter's unit beside a number ("kWh", "therms", "gal", "CCF"), translated."""
    found = UNIT_SHORT.get(str(unit))
    return str(found) if found is not None else str(unit)


def label(value: object) -> str:
    key = value.value if isinstance(value, enum.Enum) else str(value)
    found = LABELS.get(key)
    return str(found) if found is not None else gettext(key.replace("_", " ").capitalize())
