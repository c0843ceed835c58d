"""What a bill page (and its PDF) shows: the stored bill rendered in the reader's language, with its usage chart,
the same period last year, and each charge explained. Staff read the same page from an account."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel import dates
from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Select,
    bindparam,
    cast,
    false,
    func,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from portal import i18n
from portal.accounts import numbers
from portal.accounts.errors import NotFound
from portal.accounts.models import (
    STAFF_ROLES,
    Account,
    Bill,
    BillLine,
    Customer,
    LedgerEntry,
    LedgerKind,
    Premise,
    Role,
    UserAccount,
)
from portal.billing.amount_due import amount_due_cents, due_now_cents
from portal.billing.compute import same_period_last_year
from portal.billing.energy_use import water_estimated
from portal.billing.wording import MESSAGES, render
from portal.i18n import gettext as _
from portal.web.charts import BarChart, ChartPoint, bar_chart
from portal.web.labels import label


@dataclass(frozen=True)
class LineView:
    description: str
    detail: str
    notes: tuple[str, ...]
    amount_cents: int


@dataclass(frozen=True)
class ServiceView:
    name: str
    lines: tuple[LineView, ...]
    subtotal_cents: int


@dataclass(frozen=True)
class Comparison:
    gallons: int
    days: int
    period_end: dt.date

    @property
    def daily(self) -> int:
        return round(self.gallons / self.days) if self.days else 0


@dataclass(frozen=True)
class BillView:
    bill: Bill
    account: Account
    premise: Premise
    customer: Customer
    services: tuple[ServiceView, ...]
    usage_notes: tuple[str, ...]
    notes: tuple[str, ...]
    chart: BarChart
    last_year: Comparison | None
    deposit_applied_cents: int
    # the account's other recent bills (id, bill_date, total_cents, cancelled_on), at most 12
    others: tuple[Any, ...] = ()

    @property
    def days(self) -> int:
        return (self.bill.period_end - self.bill.period_start).days + 1

    @property
    def daily(self) -> int:
        return round(self.bill.usage / self.days) if self.days else 0

    @property
    def water_estimated(self) -> bool:
        """The water use was estimated (the bill's `estimated` says any of its meters was; energy lines say so
        themselves)."""
        return water_estimated(self.bill.estimated, self.bill.document)

    @property
    def amount_due_cents(self) -> int:
        return amount_due_cents(self.bill.previous_balance_cents, self.bill.total_cents, self.deposit_applied_cents)

    @property
    def due_now_cents(self) -> int:
        return due_now_cents(self.bill.previous_balance_cents, self.bill.total_cents, self.deposit_applied_cents)

    @property
    def title(self) -> str:
        return _(
            "Bill of %(date)s, account %(number)s",
            date=i18n.format_date(self.bill.bill_date),
            number=numbers.display(self.account.number),
        )


@dataclass(frozen=True)
class LoadedBill:
    """A bill with what its page shows beside it, read in one statement (`_bill_query`)."""

    bill: Bill
    account: Account
    premise: Premise
    customer: Customer
    lines: tuple[BillLine, ...]
    deposit_applied_cents: int
    balance_now_cents: int = 0  # the account's balance today (the page says whether anything is left to pay)


@functools.cache
def _bill_query() -> Select[Any]:
    """Built once; `bill_id` and `user_id` are bound at each run. The bill, its account, premise and customer, whether
    the reader's login is linked to the account, the deposit applied to the bill, the account's balance today, and its
    lines (one row each, outer joined so a bill without lines still answers): one statement where it was eight
    look-ups."""
    bill_id: BindParameter[int] = bindparam("bill_id")
    deposit = (
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.bill_id == Bill.id, LedgerEntry.kind == LedgerKind.DEPOSIT_APPLIED)
        .scalar_subquery()
    )
    balance_now = (
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.account_id == Account.id)
        .scalar_subquery()
    )
    linked = (
        select(UserAccount.user_id)
        .where(UserAccount.user_id == bindparam("user_id"), UserAccount.account_id == Account.id)
        .exists()
    )
    return (
        select(Bill, Account, Premise, Customer, deposit, linked, BillLine, balance_now)
        .join(Account, Account.id == Bill.account_id)
        .join(Premise, Premise.id == Account.premise_id)
        .join(Customer, Customer.id == Account.customer_id)
        .outerjoin(BillLine, BillLine.bill_id == Bill.id)
        .where(Bill.id == bill_id)
        .order_by(BillLine.sort, BillLine.id)
    )


async def bill_for(session: AsyncSession, user_id: int, role: Role, bill_id: int) -> LoadedBill:
    """The bill if this person may see its account (staff see all, a resident the accounts linked to their login);
    someone else's bill answers exactly like a missing one."""
    rows = list(await session.execute(_bill_query(), {"bill_id": bill_id, "user_id": user_id}))
    if not rows:
        raise NotFound(_("We could not find that bill."))
    bill, account, premise, customer, deposit, linked, _line, balance_now = rows[0]
    if not (role in STAFF_ROLES or (role == Role.CUSTOMER and linked)):
        raise NotFound(_("We could not find that bill."))
    lines = tuple(row[6] for row in rows if row[6] is not None)
    return LoadedBill(bill, account, premise, customer, lines, int(deposit or 0), int(balance_now or 0))


def _message(item: list[Any]) -> str:
    key, params = item[0], item[1] if len(item) > 1 else {}
    return render(key, params) if key in MESSAGES else ""


def _locale() -> str:
    return "es_US" if i18n.current() == "es" else "en_US"


def _detail(line: BillLine) -> str:
    if line.quantity is None:
        return ""
    quantity = i18n.format_number(int(line.quantity) if line.quantity == int(line.quantity) else float(line.quantity))
    if line.rate is not None and line.unit == "gal":
        rate_cents = int((Decimal(line.rate) * 100).to_integral_value())
        return _(
            "%(quantity)s gallons × %(rate)s per 1,000 gallons", quantity=quantity, rate=i18n.format_money(rate_cents)
        )
    # Electric and gas lines name their price per unit in their own words; the detail says how many units it took.
    if line.unit == "kWh":
        return _("%(quantity)s kWh", quantity=quantity)
    if line.unit == "therm":
        return _("%(quantity)s therms", quantity=quantity)
    return ""


async def bill_view(session: AsyncSession, loaded: LoadedBill) -> BillView:
    bill, rows = loaded.bill, loaded.lines
    document = bill.document or {}
    stored = document.get("lines") or []
    grouped: dict[str, list[LineView]] = {}
    for index, row in enumerate(rows):
        if index < len(stored) and stored[index][0] in MESSAGES:
            description = _message(stored[index])
            notes = tuple(filter(None, (_message(n) for n in stored[index][2]))) if len(stored[index]) > 2 else ()
        else:
            description, notes = row.description, ()
        grouped.setdefault(str(row.service_kind), []).append(
            LineView(description, _detail(row), notes, row.amount_cents)
        )
    services = tuple(
        ServiceView(label(kind), tuple(lines), sum(x.amount_cents for x in lines)) for kind, lines in grouped.items()
    )
    history: list[Any] = []
    others: list[Any] = []
    bound = {"account_id": bill.account_id, "bill_id": bill.id, "period_end": bill.period_end}
    for row in await session.execute(_bills_query(), bound):
        (history if row.history else others).append(row)
    history.reverse()
    others = [b for b in others if b.id != bill.id][:12]
    points = [
        ChartPoint(
            dates.format_date(h.period_end, "MMM", locale=_locale()),
            dates.format_date(h.period_end, "MMMM y", locale=_locale()),
            h.usage,
            highlight=h.id == bill.id,
            estimated=water_estimated(bool(h.estimated), h.document),
        )
        for h in history
    ]
    chart = bar_chart(points, title=_("Water use by bill, in gallons"), unit=_("gallons"))
    last_year = None
    last_year_index = same_period_last_year([h.period_end for h in history], bill.period_end)
    if last_year_index is not None:
        best = history[last_year_index]
        last_year = Comparison(best.usage, (best.period_end - best.period_start).days + 1, best.period_end)
    return BillView(
        bill=bill,
        account=loaded.account,
        premise=loaded.premise,
        customer=loaded.customer,
        services=services,
        usage_notes=tuple(filter(None, (_message(n) for n in document.get("usage_notes", [])))),
        notes=tuple(filter(None, (_message(n) for n in document.get("notes", [])))),
        chart=chart,
        last_year=last_year,
        deposit_applied_cents=loaded.deposit_applied_cents,
        others=tuple(others),
    )


@functools.cache
def _bills_query() -> CompoundSelect[Any]:
    """Built once; `account_id`, `bill_id` and `period_end` are bound at each run. Two lists in one statement: the
    chart's bills (`history` true: up to 13 ending with this one, each period once: this bill and the others in force,
    not this one's replacement) and the account's 13 most recent bills for the page's list of other bills."""
    account_id: BindParameter[int] = bindparam("account_id")
    bill_id: BindParameter[int] = bindparam("bill_id")
    columns = (
        Bill.id,
        Bill.period_start,
        Bill.period_end,
        Bill.usage,
        Bill.estimated,
        Bill.bill_date,
        Bill.total_cents,
        Bill.cancelled_on,
    )
    chart = (
        select(*columns, Bill.document, true().label("history"))
        .where(
            Bill.account_id == account_id,
            Bill.period_end <= bindparam("period_end"),
            (Bill.id == bill_id) | (Bill.cancelled_on.is_(None) & Bill.replaces_id.is_distinct_from(bill_id)),
        )
        .order_by(Bill.period_end.desc())
        .limit(13)
        .subquery()
    )
    recent = (  # the list shows no usage: its documents are left unread
        select(*columns, cast(null(), Bill.document.type).label("document"), false().label("history"))
        .where(Bill.account_id == account_id)
        .order_by(Bill.period_end.desc())
        .limit(13)
        .subquery()
    )
    # SQLite wants a limited SELECT inside a UNION as a subquery; the union is ordered again, newest first
    both = union_all(select(chart), select(recent))
    return both.order_by(both.selected_columns.period_end.desc(), both.selected_columns.id.desc())
