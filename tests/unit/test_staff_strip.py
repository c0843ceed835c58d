"""The account page's summary strip decides from plain values: which alerts, in which order, with which dates."""

from __future__ import annotations

import datetime as dt

from portal.accounts.arrears import Arrears
from portal.accounts.models import (
    Account,
    ArrangementStatus,
    BankDraft,
    BankDraftStatus,
    CollectionPlacement,
    Customer,
    ExtensionStatus,
    PlacementStatus,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.staff.strip import LastPayment, OpenCase, OpenOrder, strip_facts

TODAY = dt.date(2026, 12, 4)


def facts(**overrides):
    values = {
        "today": TODAY,
        "account": Account(),
        "customer": Customer(language="en", paperless=False, medical_alert_until=None),
        "arrears": Arrears(0, 0, None, ()),
        "last_bill_due_on": dt.date(2026, 11, 20),
        "last_payment": None,
        "drafts": [],
        "extensions": [],
        "arrangements": [],
        "open_orders": [],
        "pending_adjustments_cents": [],
        "pending_refunds_cents": [],
        "returned_on": [],
    }
    return strip_facts(**{**values, **overrides})


def test_a_quiet_account_has_no_alerts_and_no_due_date_when_nothing_is_owed() -> None:
    quiet = facts()
    assert quiet.alerts == () and quiet.due_on is None and quiet.autopay is None


def test_money_facts() -> None:
    owed = Arrears(18_450, 10_950, dt.date(2026, 11, 14), ((dt.date(2026, 11, 14), 10_950),))
    draft = BankDraft(status=BankDraftStatus.SUSPENDED, last4="6789")
    paid = LastPayment(2_500, dt.date(2026, 11, 29), "lockbox")
    got = facts(arrears=owed, drafts=[draft], last_payment=paid)
    assert (got.balance_cents, got.past_due_cents, got.days_past_due) == (18_450, 10_950, 20)
    assert got.due_on == dt.date(2026, 11, 20) and got.last_payment == paid
    assert (got.autopay, got.autopay_last4) == (BankDraftStatus.SUSPENDED, "6789")


def test_every_alert_in_order_with_its_date() -> None:
    got = facts(
        cases=[
            OpenCase(9, "complaint", dt.date(2026, 12, 14)),
            OpenCase(8, "dispute", dt.date(2027, 1, 3), disputed_cents=10_000),
            OpenCase(7, "bankruptcy", None, held_cents=42_000, filed_on=dt.date(2026, 11, 2), case_number="26-1234"),
        ],
        customer=Customer(language="es", paperless=True, medical_alert_until=dt.date(2026, 12, 29)),
        extensions=[(ExtensionStatus.ACTIVE, dt.date(2026, 12, 16)), (ExtensionStatus.KEPT, dt.date(2026, 6, 1))],
        arrangements=[
            (ArrangementStatus.ACTIVE, [dt.date(2026, 12, 1), dt.date(2027, 1, 15), dt.date(2026, 12, 20)]),
            (ArrangementStatus.BROKEN, [dt.date(2026, 1, 1)]),
        ],
        open_orders=[
            OpenOrder(WorkOrderKind.RESTORE, WorkOrderStatus.OPEN, dt.date(2026, 12, 7)),
            OpenOrder(WorkOrderKind.DISCONNECT, WorkOrderStatus.ASSIGNED, TODAY),
            OpenOrder(WorkOrderKind.STOP, WorkOrderStatus.OPEN, dt.date(2026, 12, 15)),
        ],
        pending_adjustments_cents=[-74_199],
        pending_refunds_cents=[1_000, 250],
        returned_on=[dt.date(2026, 10, 1), dt.date(2026, 11, 2)],
    )
    assert [(a.kind, a.tone, a.on) for a in got.alerts] == [
        ("disconnect", "stop", TODAY),
        ("restore", "info", dt.date(2026, 12, 7)),
        ("stop", "info", dt.date(2026, 12, 15)),  # a stop of service: said, not a warning
        ("medical", "hold", dt.date(2026, 12, 29)),
        ("extension", "hold", dt.date(2026, 12, 16)),
        ("arrangement", "hold", dt.date(2026, 12, 20)),  # the next date of its schedule
        ("bankruptcy", "hold", dt.date(2026, 11, 2)),
        ("dispute", "hold", dt.date(2027, 1, 3)),
        ("complaint", "info", dt.date(2026, 12, 14)),
        ("returned_payments", "stop", dt.date(2026, 11, 2)),
        ("adjustment_pending", "info", None),
        ("refund_pending", "info", None),
        ("language", "info", None),
        ("paperless", "info", None),
    ]
    bankruptcy = next(a for a in got.alerts if a.kind == "bankruptcy")
    assert (bankruptcy.amount_cents, bankruptcy.detail, bankruptcy.case_id) == (42_000, "26-1234", 7)
    assert next(a for a in got.alerts if a.kind == "dispute").amount_cents == 10_000
    refund = next(a for a in got.alerts if a.kind == "refund_pending")
    assert (refund.count, refund.amount_cents) == (2, 1_250)
    assert next(a for a in got.alerts if a.kind == "disconnect").detail == "assigned"


def test_what_is_over_is_no_alert() -> None:
    got = facts(
        customer=Customer(language="en", paperless=False, medical_alert_until=TODAY - dt.timedelta(days=1)),
        extensions=[(ExtensionStatus.PENDING_REVIEW, dt.date(2026, 12, 18)), (ExtensionStatus.BROKEN, TODAY)],
        open_orders=[OpenOrder(WorkOrderKind.READ, WorkOrderStatus.OPEN, TODAY)],
    )
    assert [(a.kind, a.on) for a in got.alerts] == [("extension_review", dt.date(2026, 12, 18))]
    assert got.has("extension_review") and not got.has("medical")


def test_an_account_with_the_collection_agency_says_so_until_recalled_or_paid() -> None:
    placed = CollectionPlacement(
        status=PlacementStatus.PLACED, placed_on=dt.date(2026, 11, 2), amount_cents=15_000, agency="Acme Recovery"
    )
    alert = next(a for a in facts(placement=placed).alerts if a.kind == "placed")
    assert (alert.on, alert.amount_cents, alert.detail, alert.tone) == (
        dt.date(2026, 11, 2),
        15_000,
        "Acme Recovery",
        "info",
    )
    for status in (PlacementStatus.RECALLED, PlacementStatus.PAID):
        placed.status = status
        assert not facts(placement=placed).has("placed")
