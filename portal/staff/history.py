"""The account page's history in words: who did it (a person's name, "System" for jobs) and what, as a sentence in
the viewer's language. The audit row keeps the raw code and the actor's label (an email, "job:bill-run") for
auditors; this is only how a CSR reads it. An action with no sentence yet reads as its code made readable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portal.accounts.ledger_words import words_of
from portal.accounts.models import AuditEvent, Origin
from portal.i18n import format_date, format_money, lazy_gettext
from portal.i18n import gettext as _
from portal.web.labels import LABELS, label

SENTENCES: dict[str, str] = {
    "account.balance_transfer": lazy_gettext("Moved the balance between accounts"),
    "account.credit_letter": lazy_gettext("Issued a letter of credit"),
    "account.bankruptcy_hold": lazy_gettext("Changed the bankruptcy hold"),
    "account.dispute_hold": lazy_gettext("Changed the dispute hold"),
    "account.link": lazy_gettext("Linked a sign-in to this account"),
    "account.unlink": lazy_gettext("Took this account off the sign-ins it was linked to"),
    "account.note": lazy_gettext("Added a note"),
    "account.open": lazy_gettext("Opened the account"),
    "account.status": lazy_gettext("Changed the account's status"),
    "case.open": lazy_gettext("Opened a case"),
    "case.assign": lazy_gettext("Assigned a case"),
    "case.note": lazy_gettext("Added a note to a case"),
    "case.resolve": lazy_gettext("Resolved a case"),
    "case.discharge": lazy_gettext("Recorded a bankruptcy discharge"),
    "case.dismiss": lazy_gettext("Recorded a bankruptcy dismissal"),
    "adjustment.approve": lazy_gettext("Approved an adjustment"),
    "adjustment.reject": lazy_gettext("Rejected an adjustment"),
    "adjustment.request": lazy_gettext("Asked for an adjustment"),
    "account.correct": lazy_gettext("Corrected the rate class"),
    "bill.rebill": lazy_gettext("Cancelled a bill and rebilled its period"),
    "bill_correction.approve": lazy_gettext("Approved a cancel and rebill"),
    "bill_correction.reject": lazy_gettext("Rejected a cancel and rebill"),
    "bill_correction.request": lazy_gettext("Asked to correct a billed period"),
    "customer.correct": lazy_gettext("Corrected the customer's details"),
    "meter.correct": lazy_gettext("Corrected the meter's details"),
    "meter_read.correct": lazy_gettext("Corrected a meter read"),
    "meter_read.enter": lazy_gettext("Entered a meter read"),
    "premise.correct": lazy_gettext("Corrected the premise's details"),
    "service.add": lazy_gettext("Added a service"),
    "service.correct": lazy_gettext("Changed a service"),
    "arrangement.broken": lazy_gettext("A payment arrangement was broken"),
    "arrangement.cancelled": lazy_gettext("Cancelled a payment arrangement"),
    "arrangement.completed": lazy_gettext("A payment arrangement was completed"),
    "arrangement.grant": lazy_gettext("Granted a payment arrangement"),
    "bank_draft.active": lazy_gettext("Autopay became active"),
    "bank_draft.authorize": lazy_gettext("Enrolled in autopay"),
    "bank_draft.cancelled": lazy_gettext("Cancelled autopay"),
    "bank_draft.confirm": lazy_gettext("Sent the written confirmation of the autopay authorization"),
    "bank_draft.pending": lazy_gettext("Autopay is waiting to start"),
    "bank_draft.suspend": lazy_gettext("Suspended autopay"),
    "bank_draft.suspended": lazy_gettext("Autopay was suspended"),
    "customer.contact": lazy_gettext("Changed the contact details"),
    "customer.create": lazy_gettext("Created the customer"),
    "customer.texts": lazy_gettext("Turned text-message notices on or off by text (STOP or START)"),
    "cutoff_letter.printed": lazy_gettext("A cut-off letter went into a mailing batch"),
    "customer.mailing_address": lazy_gettext("Changed the mailing address"),
    "customer.medical_alert": lazy_gettext("Recorded a medical certification"),
    "customer.preferences": lazy_gettext("Changed the preferences"),
    "collections.batch": lazy_gettext("Made the collection agency's placement file"),
    "placement_batch.download": lazy_gettext("Downloaded a collection agency placement file"),
    "collections.place": lazy_gettext("Placed with the collection agency (balance written off)"),
    "collections.recovery": lazy_gettext("Recorded money the collection agency collected"),
    "collections.direct_payment": lazy_gettext("Paid the utility while placed with the agency (tell the agency)"),
    "collections.direct_returned": lazy_gettext(
        "A payment made while placed was taken back: placed again (tell the agency)"
    ),
    "collections.recall": lazy_gettext("Recalled the account from the collection agency"),
    "cutoff.courtesy_call": lazy_gettext("Made a courtesy call"),
    "cutoff.notice": lazy_gettext("Sent a cut-off notice"),
    "deposit.apply": lazy_gettext("Applied the deposit to the balance"),
    "deposit.good_record": lazy_gettext("Returned the deposit for paying on time"),
    "deposit.paid": lazy_gettext("Recorded the deposit as paid"),
    "deposit.require": lazy_gettext("Required a deposit"),
    "deposit.withdraw": lazy_gettext("Withdrew the deposit"),
    "drawer.close": lazy_gettext("Closed a cash drawer"),
    "drawer.open": lazy_gettext("Opened a cash drawer"),
    "extension.approve": lazy_gettext("Approved a payment extension"),
    "extension.broken": lazy_gettext("A payment extension was broken"),
    "extension.cancel": lazy_gettext("Cancelled a payment extension"),
    "extension.deny": lazy_gettext("Denied a payment extension"),
    "extension.grant": lazy_gettext("Granted a payment extension"),
    "extension.kept": lazy_gettext("A payment extension was kept"),
    "extension.queue": lazy_gettext("Asked for a payment extension"),
    "kiosk.end": lazy_gettext("Ended kiosk mode"),
    "kiosk.start": lazy_gettext("Started kiosk mode"),
    "ledger.reverse": lazy_gettext("Reversed a ledger entry"),
    "lockbox.import": lazy_gettext("Imported lockbox payments"),
    "meter.change": lazy_gettext("Changed the meter"),
    "meter.install": lazy_gettext("Set a new meter"),
    "meter.release": lazy_gettext("Released a meter to a premise"),
    "meter.test": lazy_gettext("Recorded a meter test"),
    "meter_read.record": lazy_gettext("Recorded a meter read"),
    "passkey.add": lazy_gettext("Added a passkey"),
    "passkey.remove": lazy_gettext("Removed a passkey"),
    "payment.cleared_arrears": lazy_gettext("A payment cleared the past-due balance"),
    "payment.disputed": lazy_gettext("A card payment was disputed"),
    "payment.draft": lazy_gettext("Drafted a payment from the bank account"),
    "payment.draft_failed": lazy_gettext("A bank draft failed"),
    "payment.refund": lazy_gettext("Refunded a payment"),
    "payment.returned": lazy_gettext("A bank payment was returned"),
    "payment.start": lazy_gettext("Started an online payment"),
    "photo.store": lazy_gettext("Stored a photo"),
    "premise.create": lazy_gettext("Added a premise for new construction"),
    "print_batch.create": lazy_gettext("Made a print batch"),
    "print_batch.download": lazy_gettext("Downloaded a print batch"),
    "receipt.create": lazy_gettext("Took a payment at the counter"),
    "receipt.void": lazy_gettext("Voided a receipt"),
    "receipt.void_requested": lazy_gettext("Asked to void a receipt"),
    "refund.approve": lazy_gettext("Approved a refund"),
    "refund.reject": lazy_gettext("Rejected a refund"),
    "refund.request": lazy_gettext("Asked for a refund"),
    "refund.send": lazy_gettext("Sent a refund"),
    "request.cancel": lazy_gettext("Cancelled a request"),
    "request.move": lazy_gettext("Asked to move service"),
    "request.problem": lazy_gettext("Reported a problem"),
    "request.start": lazy_gettext("Asked to start service"),
    "request.stop": lazy_gettext("Asked to stop service"),
    "route.owner": lazy_gettext("Changed the route's owner"),
    "staff.move": lazy_gettext("Moved service for the customer"),
    "staff.start": lazy_gettext("Started service for the customer"),
    "staff.start.new": lazy_gettext("Started service for a new customer"),
    "sync_exception.resolve": lazy_gettext("Resolved a field sync problem"),
    "user.create": lazy_gettext("Created a sign-in"),
    "user.sign_out_everywhere": lazy_gettext("Signed out everywhere"),
    "work_order.after_hours": lazy_gettext("Ordered an after-hours restore"),
    "work_order.assign": lazy_gettext("Assigned a work order"),
    "work_order.cancel": lazy_gettext("Cancelled a work order"),
    "work_order.complete": lazy_gettext("Completed a work order"),
    "outage.close": lazy_gettext("Closed an outage with its times"),
    "outage.report": lazy_gettext("Reported an outage"),
    "outage.restore": lazy_gettext("Marked an outage restored"),
    "outage.update": lazy_gettext("Updated an outage's area, cause or estimate"),
    "work_order.create": lazy_gettext("Created a work order"),
    "work_order.field_conflict": lazy_gettext("A field action conflicted with a work order"),
    "work_order.hold_override": lazy_gettext("Overrode a hold on a work order"),
    "work_order.note": lazy_gettext("Added a note to a work order"),
}


@dataclass(frozen=True)
class HistoryLine:
    at: dt.datetime
    who: str
    what: str
    code: str  # the raw action, kept for a title attribute or a test


def who(event: AuditEvent, name: str | None) -> str:
    """The person's name (and, for a CSR acting for a caller, how the customer asked); "System" for jobs and scripts;
    the payment processor for its webhooks."""
    if name:
        if event.actor_label.endswith(" for the customer, by phone"):
            return _("%(name)s, for the customer by phone", name=name)
        if event.actor_label.endswith(" for the customer, at the counter"):
            return _("%(name)s, for the customer at the counter", name=name)
        return name
    if event.origin == Origin.WEBHOOK or event.actor_label.startswith("webhook:"):
        return _("Payment processor")
    if event.actor_id is None:
        return _("System")
    return event.actor_label  # a user since removed: the label is all that is left


def what(action: str, after: Mapping[str, Any] | None = None) -> str:
    """The action as a sentence in the current language."""
    after = after or {}
    if action == "ledger.post":
        words = words_of(str(after.get("memo") or "")) or label(str(after.get("kind", "")))
        amount = after.get("amount_cents")
        if isinstance(amount, int):
            return _("Posted to the ledger: %(words)s, %(amount)s", words=words, amount=format_money(amount))
        return _("Posted to the ledger: %(words)s", words=words)
    if action in SENTENCES:
        return str(SENTENCES[action])
    # Unknown code: "work_order.hold_override" reads "Work order: hold override".
    parts = [part.replace("_", " ") for part in action.split(".") if part]
    if not parts:
        return action
    head, rest = parts[0], " ".join(parts[1:])
    return f"{head[:1].upper()}{head[1:]}: {rest}" if rest else f"{head[:1].upper()}{head[1:]}"


# Corrections of records and reads: the line says what changed, before and after.
SHOWS_CHANGES = frozenset(
    {
        "account.correct",
        "customer.correct",
        "customer.mailing_address",
        "meter.correct",
        "meter_read.correct",
        "premise.correct",
        "service.correct",
    }
)


def _day(value: Any) -> str:
    return format_date(str(value)) if value else "—"


def details(action: str, after: Mapping[str, Any]) -> str:
    """What a line adds to its sentence from the audit row: the amount, the day asked for. "Took a payment at the
    counter" without the amount, or "Asked to stop service" without the day, sent the CSR to another page."""
    if action == "receipt.create" and isinstance(after.get("amount_cents"), int):
        return _(
            "%(amount)s, %(tender)s", amount=format_money(after["amount_cents"]), tender=label(str(after.get("tender")))
        )
    if action.startswith("extension.") and isinstance(after.get("amount_cents"), int) and after.get("promised_on"):
        return _("%(amount)s by %(date)s", amount=format_money(after["amount_cents"]), date=_day(after["promised_on"]))
    if action == "work_order.note" and after.get("note"):
        return f"“{after['note']}”"
    if action == "request.stop" and after.get("stop_on"):
        return _("stop on %(date)s", date=_day(after["stop_on"]))
    if action == "request.start" and after.get("start_on"):
        return _("start on %(date)s", date=_day(after["start_on"]))
    if action == "request.move" and after.get("stop_on") and after.get("start_on"):
        return _("stop on %(stop)s, start on %(start)s", stop=_day(after["stop_on"]), start=_day(after["start_on"]))
    return ""


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(label(v) for v in value) or "—"
    return label(value) if isinstance(value, str) and value in LABELS else str(value)


def changes_words(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """ "phone: 254-555-0101 → 254-555-0199; language: English → Spanish" from an audit row's before and after."""
    after = after or {}
    before = before or {}
    parts = [
        f"{label(key)}: {_shown(before.get(key))} → {_shown(value)}"
        for key, value in after.items()
        if key not in ("reason", "flags")
    ]
    return "; ".join(parts)


def history_line(event: AuditEvent, name: str | None) -> HistoryLine:
    sentence = what(event.action, event.after)
    added = details(event.action, event.after or {})
    if added:
        sentence = f"{sentence}: {added}"
    if event.action in SHOWS_CHANGES:
        detail = changes_words(event.before, event.after)
        sentence = f"{sentence} ({detail})" if detail else sentence
    elif event.action == "bill.rebill" and event.before and event.after:
        sentence = _(
            "%(sentence)s: %(old)s → %(new)s",
            sentence=sentence,
            old=format_money(int(event.before.get("total_cents") or 0)),
            new=format_money(int(event.after.get("total_cents") or 0)),
        )
    return HistoryLine(event.at, who(event, name), sentence, event.action)
