"""What a field action may do to an order, and what its facts must look like: pure functions over plain values.

An action is a fact the technician reports ("read 48213 at 10:50"), not an overwrite. Whether it applies depends on
the order as the server knows it now: a fact about an order that was cancelled meanwhile is kept and shown to
dispatch, but it does not move the order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from portal.accounts import meter_rules
from portal.accounts.models import WorkOrderKind as K
from portal.accounts.models import WorkOrderStatus as S
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext

READ_KINDS = frozenset({K.READ, K.CHECK_READ, K.START, K.STOP, K.TRANSFER_READ, K.METER_TEST})
# Which order kinds each action completes (add_note goes on any order; request_restore follows a disconnect).
ACTION_KINDS: dict[str, frozenset[K]] = {
    "record_read": READ_KINDS,
    "skip_read": READ_KINDS,
    "disconnect_done": frozenset({K.DISCONNECT}),
    "restore_done": frozenset({K.RESTORE}),
    "complete_order": frozenset({K.LEAK_CHECK, K.METER_TEST, K.INVESTIGATE, K.START, K.STOP}),
    # A meter set is its own fact: an install's first read; a change's final read and the new meter's facts.
    "meter_installed": frozenset({K.METER_INSTALL}),
    "meter_changed": frozenset({K.METER_CHANGE}),
    "add_note": frozenset(K),
    "request_restore": frozenset({K.DISCONNECT}),
}
READ_ACTIONS = frozenset(
    {"record_read", "disconnect_done", "restore_done", "complete_order", "meter_installed", "meter_changed"}
)  # actions that carry a read
METER_SET_ACTIONS = frozenset({"meter_installed", "meter_changed"})
COMPLETING = frozenset(
    {
        "record_read",
        "skip_read",
        "disconnect_done",
        "restore_done",
        "complete_order",
        "meter_installed",
        "meter_changed",
    }
)
PHOTO_REQUIRED = frozenset({"disconnect_done", "restore_done"})
SKIP_CODES = {
    "locked_gate": lazy_gettext("Locked gate"),
    "dog": lazy_gettext("Dog"),
    "buried": lazy_gettext("Meter buried"),
    "no_access": lazy_gettext("No access"),
    "damaged": lazy_gettext("Meter damaged"),
}
ACTION_NAMES = {
    "record_read": lazy_gettext("read"),
    "skip_read": lazy_gettext("skipped read"),
    "disconnect_done": lazy_gettext("disconnect"),
    "restore_done": lazy_gettext("restore"),
    "complete_order": lazy_gettext("completion"),
    "add_note": lazy_gettext("note"),
    "request_restore": lazy_gettext("restore request"),
    "meter_installed": lazy_gettext("meter install"),
    "meter_changed": lazy_gettext("meter change"),
}
MAX_PHOTOS = 6


class InvalidAction(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Decision:
    apply: bool
    code: str | None = None
    exception: bool = False  # raise it to dispatch as a sync exception
    restore_offer: bool = False  # offer the technician a one-tap restore order


def decide(action: str, order_kind: K, order_status: S) -> Decision:
    """May this action apply to an order of this kind in this state?"""
    if order_kind not in ACTION_KINDS.get(action, frozenset()):
        return Decision(False, "wrong_kind")
    if action == "add_note":
        return Decision(True)
    if action == "request_restore":
        # After a disconnect: the order was cancelled (customer paid) or completed (service is off now).
        if order_status in (S.CANCELLED, S.COMPLETED):
            return Decision(True)
        return Decision(False, "not_disconnected")
    if order_status == S.CANCELLED:
        return Decision(False, "order_cancelled", exception=True, restore_offer=action == "disconnect_done")
    if order_status == S.COMPLETED:
        return Decision(False, "already_completed", exception=True)
    return Decision(True)


def needs_confirmation(action: str, flags: tuple[str, ...] | list[str]) -> bool:
    """Must the technician type this read again before it is saved? Any flag the read check raises, except a low
    read at a restore: the meter was off since the disconnect, so little or no use is what it should show."""
    if action == "restore_done":
        return any(flag != "low" for flag in flags)
    return bool(flags)


def _text(payload: dict[str, Any], name: str, limit: int) -> str | None:
    value = payload.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidAction(_("Some text in this action could not be read."))
    return value.strip()[:limit] or None


def _ascii_digits(text: str) -> bool:
    # str.isdigit() also takes "²" and other scripts' digits, which int() refuses; a dial shows 0-9 only.
    return text.isascii() and text.isdigit() and len(text) <= 10


def _register(payload: dict[str, Any], name: str, *, required: bool) -> int | None:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise InvalidAction(_("Enter the read: the numbers on the meter's dials."))
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not _ascii_digits(str(value).strip()):
        raise InvalidAction(_("A read is whole numbers only, as the dials show it."))
    number = int(str(value).strip())
    if number >= 10**10:
        raise InvalidAction(_("A read is whole numbers only, as the dials show it."))
    return number


def _when(payload: dict[str, Any], now: dt.datetime) -> dt.datetime:
    raw = payload.get("at")
    if not raw:
        return now
    try:
        when = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidAction(_("The time of this action is not readable.")) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    # A phone clock far in the future would reorder history; a week back covers a long offline stretch and more.
    if when > now + dt.timedelta(hours=1):
        return now
    return when.astimezone(dt.UTC)


def _location(payload: dict[str, Any]) -> dict[str, float] | None:
    raw = payload.get("location")
    if not isinstance(raw, dict):
        return None
    try:
        lat, lon = float(raw["lat"]), float(raw["lon"])
        accuracy = float(raw.get("accuracy") or 0)
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return {"lat": round(lat, 6), "lon": round(lon, 6), "accuracy": round(accuracy, 1)}


def facts(action: str, payload: dict[str, Any], photo_ids: list[str], now: dt.datetime) -> dict[str, Any]:
    """The action's facts, checked and normalized; InvalidAction with a message for the technician otherwise."""
    if action not in ACTION_KINDS:
        raise InvalidAction(_("This phone sent an action the server does not know. Update the app."))
    if not isinstance(payload, dict):
        raise InvalidAction(_("This action arrived without its details."))
    if len(photo_ids) > MAX_PHOTOS:
        raise InvalidAction(_("At most %(n)s photos per action.") % {"n": MAX_PHOTOS})
    out: dict[str, Any] = {
        "at": _when(payload, now),
        "location": _location(payload),
        "photo_ids": list(photo_ids),
        "note": _text(payload, "note", 500),
    }
    if action in PHOTO_REQUIRED and not photo_ids:
        raise InvalidAction(_("Take a photo of the meter before finishing."))
    # A read the read check flags is saved only when the technician typed it again ("confirmed").
    out["confirmed"] = bool(payload.get("confirmed"))
    if action == "record_read":
        out["value"] = _register(payload, "value", required=True)
    elif action == "skip_read":
        code = payload.get("code")
        if code not in SKIP_CODES:
            raise InvalidAction(_("Choose why the meter could not be read."))
        out["code"] = code
    elif action == "disconnect_done":
        out["value"] = _register(payload, "value", required=True)
        seal = _text(payload, "seal", 32)
        if not seal:
            raise InvalidAction(_("Enter the seal number you put on the meter."))
        out["seal"] = seal
    elif action == "restore_done":
        out["value"] = _register(payload, "value", required=True)
    elif action == "complete_order":
        out["value"] = _register(payload, "value", required=False)
        leak = payload.get("leak_found")
        out["leak_found"] = None if leak is None or leak == "" else leak in (True, "yes", "true", "1", 1)
    elif action == "meter_installed":
        out["value"] = _register(payload, "value", required=True)
        out["serial"] = meter_rules.clean_serial(_text(payload, "serial", 40))
        if out["serial"] is None:
            raise InvalidAction(_("Enter the serial stamped on the meter you set."))
    elif action == "meter_changed":
        out["value"] = _register(payload, "value", required=True)
        out["new_serial"] = meter_rules.clean_serial(_text(payload, "new_serial", 40))
        if out["new_serial"] is None:
            raise InvalidAction(_("Enter the serial stamped on the new meter."))
        out["new_size"] = _text(payload, "new_size", 8)
        if out["new_size"] not in meter_rules.METER_SIZES:
            raise InvalidAction(_("Choose the new meter's size."))
        out["new_value"] = _register(payload, "new_value", required=True)
    elif action == "add_note":
        if not out["note"]:
            raise InvalidAction(_("Write the note first."))
    return out
