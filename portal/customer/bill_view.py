"""What a bill page (and its PDF) shows: the stored bill rendered in the reader's language, with its usage chart,
the same period last year, and each charge explained. Staff read the same page from an account."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel import dates
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal import i18n
from portal.accounts import access
from portal.accounts.errors import NotFound
from portal.accounts.models import (
    Account,
    Bill,
    BillLine,
    Customer,
    Premise,
    Role,
)
from portal.billing.amount_due import amount_due_cents, deposits_applied
from portal.billing.compute import same_period_last_year
from portal.billing.energy_use import water_estimated
from portal.billing.wording import MESSAGES, render
from portal.i18n import gettext as _
from portal.web.charts import BarChart, ChartPoint, bar_chart
from portal.web.labels import label

from . import services


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
    def title(self) -> str:
        return _(
            "Bill of %(date)s, account %(number)s",
            date=i18n.format_date(self.bill.bill_date),
            number=self.account.number,
        )


async def bill_for(session: AsyncSession, user_id: int, role: Role, bill_id: int) -> Bill:
    """The bill if this person may see its account; someone else's bill answers exactly like a missing one."""
    bill = await session.get(Bill, bill_id)
    if bill is None:
        raise NotFound(_("We could not find that bill."))
    account = await session.get(Account, bill.account_id)
    assert account is not None
    try:
        await access.account_for(session, user_id, role, account.number)
    except NotFound:
        raise NotFound(_("We could not find that bill.")) from None
    return bill


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


async def bill_view(session: AsyncSession, bill: Bill) -> BillView:
    account = await session.get(Account, bill.account_id)
    assert account is not None
    premise = await session.get(Premise, account.premise_id)
    customer = await session.get(Customer, account.customer_id)
    assert premise is not None and customer is not None
    rows = list(
        await session.scalars(select(BillLine).where(BillLine.bill_id == bill.id).order_by(BillLine.sort, BillLine.id))
    )
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
    deposit = (await deposits_applied(session, [bill.id])).get(bill.id, 0)
    history = list(
        await session.execute(
            select(Bill.id, Bill.period_start, Bill.period_end, Bill.usage, Bill.estimated, Bill.document)
            .where(
                Bill.account_id == bill.account_id,
                Bill.period_end <= bill.period_end,
                # each period once: this bill, and the others in force (not this one's replacement)
                (Bill.id == bill.id) | (Bill.cancelled_on.is_(None) & Bill.replaces_id.is_distinct_from(bill.id)),
            )
            .order_by(Bill.period_end.desc())
            .limit(13)
        )
    )[::-1]
    points = [
        ChartPoint(
            dates.format_date(end, "MMM", locale=_locale()),
            dates.format_date(end, "MMMM y", locale=_locale()),
            usage,
            highlight=bill_id == bill.id,
            estimated=water_estimated(bool(estimated), document),
        )
        for bill_id, _start, end, usage, estimated, document in history
    ]
    chart = bar_chart(points, title=_("Water use by bill, in gallons"), unit=_("gallons"))
    last_year = None
    last_year_index = same_period_last_year([h.period_end for h in history], bill.period_end)
    if last_year_index is not None:
        best = history[last_year_index]
        last_year = Comparison(best.usage, (best.period_end - best.period_start).days + 1, best.period_end)
    return BillView(
        bill=bill,
        account=account,
        premise=premise,
        customer=customer,
        services=services,
        usage_notes=tuple(filter(None, (_message(n) for n in document.get("usage_notes", [])))),
        notes=tuple(filter(None, (_message(n) for n in document.get("notes", [])))),
        chart=chart,
        last_year=last_year,
        deposit_applied_cents=int(deposit or 0),
    )


async def other_bills(session: AsyncSession, bill: Bill) -> list[Bill]:
    """The account's other recent bills, for the page's list (at most 12)."""
    return [b for b in await services.bills(session, bill.account_id, limit=13) if b.id != bill.id][:12]
