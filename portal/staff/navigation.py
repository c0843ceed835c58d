"""What the console offers each staff role: the home page tiles and the account page's action buttons."""

from __future__ import annotations

from portal.accounts.models import Account, Role
from portal.i18n import gettext as _

SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)


def console_links(role: Role) -> list[tuple[str, str, str]]:
    """(path, label, hint) for the console home."""
    links: list[tuple[str, str, str]] = [
        ("/staff/accounts", _("Accounts"), _("Search, see and act on an account.")),
    ]
    if role in SUPERVISORS:
        links.append(("/staff/approvals", _("Approvals"), _("Adjustments over the limit waiting for a supervisor.")))
        links.append(("/staff/rates", _("Rates"), _("Rate schedules: see them and set new prices from a date.")))
    return links


def account_actions(role: Role, account: Account) -> list[tuple[str, str]]:
    """(path, label) buttons on an account page."""
    base = f"/staff/accounts/{account.number}"
    return [(f"{base}/adjustments/new", _("Adjustment"))]
