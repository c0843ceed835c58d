"""What completing a field order does to its account: start, stop, transfer read, disconnect, restore."""

import datetime as dt

import pytest

from portal.accounts.models import AccountStatus as A
from portal.accounts.models import WorkOrderKind as K
from portal.accounts.service_state import Change, change_for, service_dates, settles

DAY = dt.date(2026, 11, 24)


def test_a_start_turns_a_pending_account_on_from_the_day_of_the_read() -> None:
    assert change_for(K.START, "record_read", A.PENDING, DAY) == Change(A.ACTIVE, starts_on=DAY)
    assert change_for(K.START, "complete_order", A.PENDING, DAY) == Change(A.ACTIVE, starts_on=DAY)


def test_a_stop_makes_a_running_account_final_on_the_day_of_the_final_read() -> None:
    assert change_for(K.STOP, "record_read", A.ACTIVE, DAY) == Change(A.FINAL, ends_on=DAY)
    assert change_for(K.STOP, "record_read", A.DISCONNECTED, DAY) == Change(A.FINAL, ends_on=DAY)


def test_a_transfer_read_starts_the_incoming_account_and_stops_the_outgoing_one() -> None:
    assert change_for(K.TRANSFER_READ, "record_read", A.PENDING, DAY) == Change(A.ACTIVE, starts_on=DAY)
    assert change_for(K.TRANSFER_READ, "record_read", A.ACTIVE, DAY) == Change(A.FINAL, ends_on=DAY)


def test_a_disconnect_and_a_restore_turn_service_off_and_on() -> None:
    assert change_for(K.DISCONNECT, "disconnect_done", A.ACTIVE, DAY) == Change(A.DISCONNECTED)
    assert change_for(K.DISCONNECT, "disconnect_done", A.COLLECTIONS, DAY) == Change(A.DISCONNECTED)
    assert change_for(K.RESTORE, "restore_done", A.DISCONNECTED, DAY) == Change(A.ACTIVE)


@pytest.mark.parametrize(
    ("kind", "action", "status"),
    [
        (K.START, "skip_read", A.PENDING),  # the meter could not be reached: nothing was turned on
        (K.STOP, "skip_read", A.ACTIVE),
        (K.START, "record_read", A.ACTIVE),  # already on
        (K.START, "record_read", A.CLOSED),  # the start was cancelled meanwhile
        (K.STOP, "record_read", A.FINAL),  # already stopped
        (K.STOP, "record_read", A.PENDING),  # never started: a cancelled request's business, not the field's
        (K.RESTORE, "restore_done", A.ACTIVE),
        (K.DISCONNECT, "disconnect_done", A.FINAL),
        (K.READ, "record_read", A.ACTIVE),  # a plain read changes nothing
        (K.METER_TEST, "complete_order", A.ACTIVE),
    ],
)
def test_completions_that_leave_the_account_as_it_is(kind: K, action: str, status: A) -> None:
    assert change_for(kind, action, status, DAY) is None


def test_service_dates_follow_the_start_and_stop_and_leave_ended_services_alone() -> None:
    earlier, later = DAY - dt.timedelta(days=3), DAY + dt.timedelta(days=3)
    assert service_dates(Change(A.ACTIVE, starts_on=DAY), earlier, None) == (DAY, None)
    assert service_dates(Change(A.ACTIVE, starts_on=DAY), later, None) == (DAY, None)  # turned on early
    assert service_dates(Change(A.FINAL, ends_on=DAY), earlier, None) == (earlier, DAY)
    assert service_dates(Change(A.FINAL, ends_on=DAY), later, None) == (later, later)  # never ends before it began
    assert service_dates(Change(A.FINAL, ends_on=DAY), earlier, earlier) == (earlier, earlier)
    assert service_dates(Change(A.DISCONNECTED), earlier, None) == (earlier, None)


def test_a_final_account_settles_only_at_exactly_zero_after_its_final_bill() -> None:
    assert settles(A.FINAL, final_billed=True, balance_cents=0)
    assert not settles(A.FINAL, final_billed=True, balance_cents=1)
    assert not settles(A.FINAL, final_billed=True, balance_cents=-1)  # a credit is refunded first
    assert not settles(A.FINAL, final_billed=False, balance_cents=0)  # the final bill has not gone out
    assert not settles(A.ACTIVE, final_billed=True, balance_cents=0)
