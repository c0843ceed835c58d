"""What the console offers each staff role: the home page tiles and the account page's action buttons."""

from __future__ import annotations

from portal.accounts.models import Account, AccountStatus, Role
from portal.i18n import gettext as _

SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)


def console_links(role: Role) -> list[tuple[str, str, str]]:
    """(route name, label, hint) for the console home."""
    links: list[tuple[str, str, str]] = [
        ("staff.accounts", _("Accounts"), _("Search, see and act on an account.")),
        ("staff.start", _("Start service"), _("A new customer, or one moving in: address, date, deposit.")),
        (
            "staff.premise.new",
            _("New premise"),
            _("New construction: the address, its route and services; then its meter and its start."),
        ),
        ("staff.drawer", _("Cash drawer"), _("Open a drawer, take payments, void, close with counts.")),
        (
            "staff.collections",
            _("Daily collections"),
            _("The day's payments by drawer and channel, and the deposit slip."),
        ),
        (
            "staff.placements",
            _("Collection agency"),
            _("Final accounts due for the agency, the placement file, recoveries and recalls."),
        ),
        ("staff.lockbox", _("Lockbox import"), _("Post the bank's file of mailed payments, each once.")),
        (
            "staff.print",
            _("Print batches"),
            _("Each cycle's paper bills and letters: the PDF and the vendor's manifest."),
        ),
        (
            "staff.extensions",
            _("Extension requests"),
            _("Payment extensions the rule sent to a person: grant or deny."),
        ),
        ("staff.cases", _("Cases"), _("Disputes, complaints and bankruptcies: mine, unassigned, overdue.")),
        ("staff.cutoff", _("Cut-off list"), _("Who may be disconnected on a day, and why the others may not.")),
        ("staff.dispatch", _("Dispatch"), _("Orders by status, kind, route and due date; assign; sync exceptions.")),
        ("staff.walkin", _("Walk-in demo"), _("Show self-service on a practice account; a QR code for sign-up.")),
        ("staff.outages", _("Outages"), _("Power and water outages: reports, customers affected, service back.")),
        (
            "staff.reports",
            _("Reports"),
            _("Collections, aged receivables, orders, adjustments, extensions, returns, reads."),
        ),
    ]
    if role in SUPERVISORS:
        links.append(
            ("staff.approvals", _("Approvals"), _("Adjustments and refunds over the limit waiting for a supervisor."))
        )
        links.append(("staff.rates", _("Rates"), _("Rate schedules: see them and set new prices from a date.")))
        links.append(
            ("staff.finance", _("Finance"), _("Bill register, deposit liability, revenue by service, journal export."))
        )
        links.append(("staff.jobs", _("Scheduled jobs"), _("The daily jobs: last and next runs, failures, run now.")))
    return links


def account_actions(role: Role, account: Account) -> list[tuple[str, dict[str, object], str]]:
    """(route name, its parameters, label) buttons on an account page."""
    this: dict[str, object] = {"number": account.number}
    actions: list[tuple[str, dict[str, object], str]] = [
        ("staff.drawer", {"query": {"account": account.number}}, _("Take a payment")),
        ("staff.adjustment.new", this, _("Adjustment")),
        ("staff.records", this, _("Correct the records")),
        ("staff.reads", this, _("Reads and rebills")),
    ]
    if account.status in (AccountStatus.ACTIVE, AccountStatus.DISCONNECTED):
        actions.append(("staff.move", this, _("Transfer service to a new address")))
    actions.append(
        ("staff.start", {"query": {"customer": account.number}}, _("Start service elsewhere for this customer"))
    )
    actions.append(("staff.credit_letter", this, _("Letter of credit")))
    actions.append(("staff.caller", this, _("Extension or problem for the customer")))
    actions.append(("staff.bank_draft", this, _("Bank draft for the customer")))
    return actions
