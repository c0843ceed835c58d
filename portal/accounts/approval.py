"""Four eyes on money: who may approve what someone else asked for (adjustments and refunds over their limits)."""

from __future__ import annotations

from portal.i18n import gettext as _


def may_decide(*, approver_id: int, approver_is_supervisor: bool, requester_id: int) -> str | None:
    """Why this person may not approve or reject, or None when they may."""
    if not approver_is_supervisor:
        return _("Only a supervisor can approve an amount over the limit.")
    if approver_id == requester_id:
        return _("Someone other than the person who asked must approve it.")
    return None
