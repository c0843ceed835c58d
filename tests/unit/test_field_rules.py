"""Which field action may move which order, and what its facts must look like."""

import datetime as dt
import uuid

import pytest

from portal.accounts.models import WorkOrderKind as K
from portal.accounts.models import WorkOrderStatus as S
from portal.field.rules import InvalidAction, decide, facts

NOW = dt.datetime(2026, 11, 26, 17, 0, tzinfo=dt.UTC)


def test_an_open_order_takes_its_own_kind_of_action() -> None:
    assert decide("record_read", K.READ, S.ASSIGNED).apply
    assert decide("disconnect_done", K.DISCONNECT, S.ASSIGNED).apply
    assert decide("complete_order", K.LEAK_CHECK, S.ASSIGNED).apply
    assert decide("disconnect_done", K.READ, S.ASSIGNED).code == "wrong_kind"


def test_a_disconnect_on_a_cancelled_order_is_an_exception_with_a_restore_offer() -> None:
    decision = decide("disconnect_done", K.DISCONNECT, S.CANCELLED)
    assert not decision.apply and decision.code == "order_cancelled" and decision.exception and decision.restore_offer
    assert not decide("record_read", K.READ, S.CANCELLED).restore_offer


def test_an_order_finished_twice_is_an_exception_and_a_note_goes_on_any_order() -> None:
    decision = decide("record_read", K.READ, S.COMPLETED)
    assert decision.code == "already_completed" and decision.exception
    assert decide("add_note", K.READ, S.COMPLETED).apply and decide("add_note", K.DISCONNECT, S.CANCELLED).apply


def test_a_restore_is_asked_for_only_after_a_disconnect_order_closed() -> None:
    assert decide("request_restore", K.DISCONNECT, S.CANCELLED).apply
    assert decide("request_restore", K.DISCONNECT, S.COMPLETED).apply
    assert decide("request_restore", K.DISCONNECT, S.ASSIGNED).code == "not_disconnected"


def test_facts_are_checked_and_normalized() -> None:
    read = facts(
        "record_read",
        {
            "value": "048213",
            "at": "2026-11-26T10:50:00-06:00",
            "confirmed": True,
            "location": {"lat": 31.1, "lon": -97.3, "accuracy": 12.34},
        },
        [],
        NOW,
    )
    assert (
        read["value"] == 48213 and read["confirmed"] and read["at"] == dt.datetime(2026, 11, 26, 16, 50, tzinfo=dt.UTC)
    )
    assert read["location"] == {"lat": 31.1, "lon": -97.3, "accuracy": 12.3}
    future = facts("record_read", {"value": 1, "at": "2030-01-01T00:00:00Z"}, [], NOW)
    assert future["at"] == NOW  # a phone clock far ahead does not write the future


@pytest.mark.parametrize(
    ("action", "payload", "photos", "words"),
    [
        ("record_read", {}, [], "Enter the read"),
        ("record_read", {"value": "12a"}, [], "whole numbers"),
        ("record_read", {"value": -5}, [], "whole numbers"),
        ("skip_read", {"code": "aliens"}, [], "Choose why"),
        ("disconnect_done", {"value": 1, "seal": "S1"}, [], "photo"),
        ("disconnect_done", {"value": 1}, [str(uuid.uuid4())], "seal"),
        ("add_note", {"note": "  "}, [], "Write the note"),
        ("teleport", {}, [], "does not know"),
    ],
)
def test_bad_facts_are_refused_with_words_for_the_technician(
    action: str, payload: dict, photos: list, words: str
) -> None:
    with pytest.raises(InvalidAction) as caught:
        facts(action, payload, photos, NOW)
    assert words in caught.value.message
