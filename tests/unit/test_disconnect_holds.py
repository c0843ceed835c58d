"""What holds an account off disconnection at the meter (portal/accounts/holds.py) and which reads are typed again
before they are saved (portal/field/rules.needs_confirmation)."""

import datetime as dt

from portal.accounts.holds import HoldFacts, disconnect_hold
from portal.field.rules import needs_confirmation

TODAY = dt.date(2026, 12, 4)


def test_a_medical_alert_until_today_or_later_holds_a_disconnect() -> None:
    assert disconnect_hold(HoldFacts(medical_alert_until=TODAY), TODAY) == "medical_alert"
    assert disconnect_hold(HoldFacts(medical_alert_until=TODAY - dt.timedelta(days=1)), TODAY) is None


def test_an_active_extension_or_arrangement_holds_a_disconnect_and_a_medical_alert_is_named_first() -> None:
    assert disconnect_hold(HoldFacts(extension_until=TODAY + dt.timedelta(days=3)), TODAY) == "extension"
    assert disconnect_hold(HoldFacts(arrangement=True), TODAY) == "arrangement"
    assert disconnect_hold(HoldFacts(TODAY, TODAY, True), TODAY) == "medical_alert"
    assert disconnect_hold(HoldFacts(), TODAY) is None


def test_every_flagged_read_is_typed_again_except_a_low_read_at_a_restore() -> None:
    assert needs_confirmation("disconnect_done", ["low"]) and needs_confirmation("record_read", ["high"])
    assert needs_confirmation("complete_order", ["negative"]) and needs_confirmation("restore_done", ["high"])
    assert not needs_confirmation("restore_done", ["low"]) and not needs_confirmation("disconnect_done", [])
