"""The account page's summary strip: the money and every fact that changes what a CSR tells a caller, on the first
screen of a counter tablet (docs/features.md). `strip_facts` decides from plain values; `load_strip` adds the few
facts the page does not already load, in two statements (a third when the last payment was at the counter)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Select,
    String,
    and_,
    bindparam,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import collections, extensions, ledger
from portal.accounts.arrears import Arrears
from portal.accounts.models import (
    Account,
    AccountStatus,
    ArrangementStatus,
    BankDraft,
    BankDraftStatus,
    Case,
    CollectionPlacement,
    Customer,
    ExtensionStatus,
    LedgerEntry,
    OnlinePayment,
    PlacementStatus,
    Receipt,
    RefundRequest,
    RefundStatus,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import Policy
from portal.billing.run import emailed

from .rules import add_months

OPEN_ORDER = (WorkOrderStatus.OPEN, WorkOrderStatus.ASSIGNED)
# The open orders the strip names: those that turn service off or on (a stop of service showed nowhere but the orders).
STRIP_ORDER_KINDS = (WorkOrderKind.DISCONNECT, WorkOrderKind.RESTORE, WorkOrderKind.STOP)
# The order in which alerts are listed: what stops or starts service first, then holds, then how to speak to them.
ALERT_ORDER = (
    "disconnect",
    "restore",
    "stop",
    "medical",
    "extension",
    "extension_review",
    "arrangement",
    "bankruptcy",
    "dispute",
    "complaint",
    "placed",
    "returned_payments",
    "adjustment_pending",
    "refund_pending",
    "language",
    "paperless",
)


@dataclass(frozen=True)
class LastPayment:
    amount_cents: int  # positive
    paid_on: dt.date
    method: str  # portal.accounts.payments.METHODS, or "" when the ledger does not say


@dataclass(frozen=True)
class Alert:
    """One fact that changes what a CSR says. `tone` is "stop" (service is being cut or held back), "hold" (no
    cut-off for now) or "info"; the words always say which, the colour only repeats it."""

    kind: str
    tone: str
    on: dt.date | None = None
    count: int = 0
    amount_cents: int = 0
    detail: str = ""
    case_id: int | None = None  # a case's alert links to the case


@dataclass(frozen=True)
class StripFacts:
    balance_cents: int
    past_due_cents: int
    days_past_due: int
    due_on: dt.date | None  # the latest bill's due date, while something is owed
    last_payment: LastPayment | None
    autopay: BankDraftStatus | None  # the newest enrolment's status; None: never enrolled
    autopay_last4: str | None
    alerts: tuple[Alert, ...]

    def has(self, kind: str) -> bool:
        return any(alert.kind == kind for alert in self.alerts)


@dataclass(frozen=True)
class OpenCase:
    id: int
    kind: str  # dispute | complaint | bankruptcy
    due_on: dt.date | None
    disputed_cents: int | None = None
    held_cents: int | None = None
    filed_on: dt.date | None = None
    case_number: str | None = None


@dataclass(frozen=True)
class OpenOrder:
    kind: WorkOrderKind
    status: WorkOrderStatus
    due_on: dt.date | None


def strip_facts(
    *,
    today: dt.date,
    account: Account,
    customer: Customer,
    arrears: Arrears,
    last_bill_due_on: dt.date | None,
    last_payment: LastPayment | None,
    drafts: Sequence[BankDraft],
    extensions: Sequence[tuple[ExtensionStatus, dt.date]],
    arrangements: Sequence[tuple[ArrangementStatus, Sequence[dt.date]]],
    open_orders: Sequence[OpenOrder],
    pending_adjustments_cents: Sequence[int],
    pending_refunds_cents: Sequence[int],
    returned_on: Sequence[dt.date],
    placement: CollectionPlacement | None = None,
    cases: Sequence[OpenCase] = (),
) -> StripFacts:
    """The strip's facts. extensions: (status, promised date); arrangements: (status, due dates of its schedule);
    drafts: newest first; returned_on: the dates of the payments returned within the window that matters."""
    alerts: list[Alert] = []
    for order in sorted(open_orders, key=lambda o: o.due_on or dt.date.max):
        if order.kind in STRIP_ORDER_KINDS and order.status in OPEN_ORDER:
            alerts.append(
                Alert(
                    order.kind.value,
                    "stop" if order.kind == WorkOrderKind.DISCONNECT else "info",
                    order.due_on,
                    detail=order.status.value,
                )
            )
    until = customer.medical_alert_until
    if until is not None and until >= today:
        alerts.append(Alert("medical", "hold", until))
    for status, promised_on in extensions:
        if status == ExtensionStatus.ACTIVE:
            alerts.append(Alert("extension", "hold", promised_on))
        elif status == ExtensionStatus.PENDING_REVIEW:
            alerts.append(Alert("extension_review", "info", promised_on))
    for plan_status, due_dates in arrangements:
        if plan_status == ArrangementStatus.ACTIVE:
            coming = [day for day in due_dates if day >= today]
            alerts.append(Alert("arrangement", "hold", min(coming) if coming else None))
    for case in cases:  # open cases: a bankruptcy and a dispute hold money off cut-off, a complaint is to answer
        if case.kind == "bankruptcy":
            alerts.append(
                Alert(
                    "bankruptcy",
                    "hold",
                    case.filed_on,
                    amount_cents=case.held_cents or 0,
                    detail=case.case_number or "",
                    case_id=case.id,
                )
            )
        elif case.kind == "dispute":
            alerts.append(Alert("dispute", "hold", case.due_on, amount_cents=case.disputed_cents or 0, case_id=case.id))
        else:
            alerts.append(Alert("complaint", "info", case.due_on, case_id=case.id))
    if placement is not None and placement.status == PlacementStatus.PLACED:
        alerts.append(
            Alert("placed", "info", placement.placed_on, amount_cents=placement.amount_cents, detail=placement.agency)
        )
    if returned_on:
        alerts.append(Alert("returned_payments", "stop", max(returned_on), count=len(returned_on)))
    if pending_adjustments_cents:
        alerts.append(
            Alert(
                "adjustment_pending",
                "info",
                count=len(pending_adjustments_cents),
                amount_cents=sum(pending_adjustments_cents),
            )
        )
    if pending_refunds_cents:
        alerts.append(
            Alert("refund_pending", "info", count=len(pending_refunds_cents), amount_cents=sum(pending_refunds_cents))
        )
    if customer.language and customer.language != "en":
        alerts.append(Alert("language", "info", detail=customer.language))
    if customer.paperless:
        # Billing sends paper when it cannot email (no address, or email off): the strip says which one it is.
        alerts.append(Alert("paperless", "info", detail="email" if emailed(customer) else "paper"))
    alerts.sort(key=lambda alert: (ALERT_ORDER.index(alert.kind), alert.case_id or 0))
    draft = drafts[0] if drafts else None
    return StripFacts(
        balance_cents=arrears.balance_cents,
        past_due_cents=arrears.past_due_cents,
        days_past_due=arrears.days_past_due(today),
        due_on=last_bill_due_on if arrears.balance_cents > 0 else None,
        last_payment=last_payment,
        autopay=draft.status if draft else None,
        autopay_last4=draft.last4 if draft else None,
        alerts=tuple(alerts),
    )


def _how_paid(entry: LedgerEntry, method: str | None, channel: str | None) -> tuple[str, int | None]:
    """How a payment came: an online payment's method, a bank draft, a lockbox line; or the number of the counter
    receipt whose tender says it (looked up by the caller)."""
    how = "draft" if channel == "draft" else (method or "")
    prefix, _sep, rest = entry.source_key.partition(":")
    if not how and prefix == "lockbox":
        how = "lockbox"
    elif not how and prefix == "receipt" and rest.isdigit():
        return "", int(rest)
    return how, None


async def _last_payment(
    session: AsyncSession, entry: LedgerEntry | None, method: str | None, channel: str | None
) -> LastPayment | None:
    """The newest payment and how it came (a counter receipt's tender costs one more look-up)."""
    if entry is None:
        return None
    how, receipt = _how_paid(entry, method, channel)
    if receipt is not None:
        tender = await session.scalar(select(Receipt.tender).where(Receipt.number == receipt))
        how = tender.value if tender else ""
    return LastPayment(-entry.amount_cents, entry.effective_on, how)


@functools.cache
def _payment_and_cases_query() -> Select[LedgerEntry, str, str, Case]:
    """Built once; `account_id` is bound at each run. The newest payment (joined on the id its subquery picks, with
    its online payment's method) and the open cases, one row each: one statement where it was two."""
    account_id: BindParameter[int] = bindparam("account_id")
    newest_payment = (
        select(LedgerEntry.id)
        .where(LedgerEntry.account_id == account_id, ledger.payment_in_force())
        .order_by(LedgerEntry.effective_on.desc(), LedgerEntry.id.desc())
        .limit(1)
    ).scalar_subquery()
    return (
        select(LedgerEntry, OnlinePayment.method, OnlinePayment.channel, Case)
        .select_from(Account)
        .outerjoin(LedgerEntry, LedgerEntry.id == newest_payment)
        .outerjoin(OnlinePayment, OnlinePayment.ledger_entry_id == LedgerEntry.id)
        .outerjoin(Case, and_(Case.account_id == Account.id, Case.status == "open"))
        .where(Account.id == account_id)
        .order_by(Case.id)
    )


@functools.cache
def _lists_query() -> CompoundSelect[Any]:
    """Built once; `account_id` and `since` are bound at each run. Three short lists as narrow rows of one statement
    (`what` says which): the open disconnect, restore and stop orders, the refunds waiting for a supervisor, and the bank
    returns after `since`."""
    account_id: BindParameter[int] = bindparam("account_id")
    nothing = null()
    orders = select(
        literal_column("'order'", String).label("what"),
        WorkOrder.kind.label("kind"),
        WorkOrder.status.label("status"),
        WorkOrder.due_on.label("on"),
        nothing.label("cents"),
    ).where(
        WorkOrder.account_id == account_id,
        WorkOrder.kind.in_(STRIP_ORDER_KINDS),
        WorkOrder.status.in_(OPEN_ORDER),
    )
    refunds = select(literal_column("'refund'", String), nothing, nothing, nothing, RefundRequest.amount_cents).where(
        RefundRequest.account_id == account_id, RefundRequest.status == RefundStatus.PENDING_APPROVAL
    )
    returned = select(literal_column("'returned'", String), nothing, nothing, LedgerEntry.effective_on, nothing).where(
        extensions.returned_payment(account_id, bindparam("since"))
    )
    both: CompoundSelect[Any] = union_all(orders, refunds, returned)
    return both.order_by(both.selected_columns.what, both.selected_columns.on)


async def load_strip(
    session: AsyncSession,
    policy: Policy,
    account: Account,
    customer: Customer,
    arrears: Arrears,
    last_bill_due_on: dt.date | None,
    today: dt.date,
    *,
    drafts: Sequence[BankDraft],
    extensions: Sequence[tuple[ExtensionStatus, dt.date]],
    arrangements: Sequence[tuple[ArrangementStatus, Sequence[dt.date]]],
    pending_adjustments_cents: Sequence[int],
) -> StripFacts:
    """The strip from what the account page loaded, plus open field orders, refunds waiting for a supervisor, the
    last payment and the payments returned within the window the extension rule looks at."""
    since = add_months(today, -policy.extension_no_return_months)
    orders: list[OpenOrder] = []
    refunds: list[int] = []
    returned: list[dt.date] = []
    for what, kind, status, on, cents in await session.execute(
        _lists_query(), {"account_id": account.id, "since": since}
    ):
        if what == "order":
            orders.append(OpenOrder(WorkOrderKind(kind), WorkOrderStatus(status), on))
        elif what == "refund":
            refunds.append(cents)
        else:
            returned.append(on)
    rows = list(await session.execute(_payment_and_cases_query(), {"account_id": account.id}))
    entry, method, channel = rows[0][:3]  # the account's row: always one, the payment's columns on each
    cases: dict[int, OpenCase] = {}
    for case in (row[3] for row in rows if row[3] is not None):
        cases[case.id] = OpenCase(
            case.id, case.kind, case.due_on, case.disputed_cents, case.held_cents, case.filed_on, case.case_number
        )
    return strip_facts(
        today=today,
        account=account,
        customer=customer,
        arrears=arrears,
        last_bill_due_on=last_bill_due_on,
        last_payment=await _last_payment(session, entry, method, channel),
        drafts=drafts,
        extensions=extensions,
        arrangements=arrangements,
        open_orders=orders,
        pending_adjustments_cents=pending_adjustments_cents,
        pending_refunds_cents=refunds,
        returned_on=returned,
        cases=list(cases.values()),
        # Only an account in collections can be with the agency: no query for the others.
        placement=(
            await collections.placement_of(session, account.id) if account.status == AccountStatus.COLLECTIONS else None
        ),
    )
