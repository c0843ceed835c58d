"""Resident self-service actions and page data: which account is in view, the home page, usage, linking another
account, and preferences. Start/stop/move live in portal.accounts.tenancy, extensions in
portal.accounts.extensions and problem reports in portal.accounts.problems (staff use them too)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import BindParameter, Select, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal import mail
from portal.accounts import access, arrears, audit, extensions, ledger, tenancy
from portal.accounts.actor import Actor
from portal.accounts.errors import NotFound
from portal.accounts.models import (
    Account,
    BankDraft,
    Bill,
    Customer,
    LedgerEntry,
    MailMessage,
    Meter,
    MeterKind,
    MeterRead,
    PaymentExtension,
    Premise,
    ServiceRequest,
    User,
    WorkOrder,
)
from portal.accounts.policy import Policy
from portal.billing.energy_use import ENERGY_KINDS, EnergyUse, energy_use, water_estimated
from portal.i18n import format_date
from portal.i18n import gettext as _
from portal.web.charts import BarChart, ChartPoint, bar_chart
from portal.web.urls import RouteLink

from . import rules

if TYPE_CHECKING:
    pass

SESSION_ACCOUNT = "acct"


async def accounts_in_view(
    session: AsyncSession, user_id: int, chosen: str | None
) -> tuple[list[Account], Account | None]:
    """The login's linked accounts and the one in view (the one chosen in this session, else the first)."""
    accounts = await access.linked_accounts(session, user_id)
    current = next((a for a in accounts if a.number == chosen), accounts[0] if accounts else None)
    return accounts, current


async def premises_of(session: AsyncSession, accounts: list[Account]) -> dict[int, Premise]:
    ids = {a.premise_id for a in accounts}
    if not ids:
        return {}
    return {p.id: p for p in await session.scalars(select(Premise).where(Premise.id.in_(ids)))}


# ---- home ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    kind: str  # bill_ready, past_due, leak, extension
    level: str  # info, warning, error
    message: str
    link: RouteLink | None = None
    link_text: str | None = None


@dataclass
class Home:
    account: Account
    premise: Premise
    balance_cents: int
    past_due_cents: int
    due_on: dt.date | None
    last_bill: Bill | None
    autopay: BankDraft | None
    last_payment: LedgerEntry | None
    open_requests: list[ServiceRequest] = field(default_factory=list)
    open_extension: PaymentExtension | None = None
    alerts: list[Alert] = field(default_factory=list)


async def leak_signal(
    session: AsyncSession, policy: Policy, premise_id: int, now: dt.datetime
) -> rules.LeakSignal | None:
    """The premise's current meter and its reads of the last 400 days, in one statement."""
    rows = (
        await session.execute(_leak_query(), {"premise_id": premise_id, "since": now - dt.timedelta(days=400)})
    ).all()
    if not rows:
        return None
    multiplier, dials = rows[0][0], rows[0][1]
    reads = [(at, int(value)) for _m, _d, at, value in rows if at is not None]
    return rules.leak_signal(policy, rules.intervals(reads, multiplier=multiplier, dials=dials), now)


@functools.cache
def _leak_query() -> Select[int, int, dt.datetime, int]:
    """Built once: the home runs it on every visit (statement construction costs more CPU than the query)."""
    current = (
        select(Meter.id)
        .where(Meter.premise_id == bindparam("premise_id"), Meter.kind == MeterKind.WATER, Meter.removed_on.is_(None))
        .order_by(Meter.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(Meter.multiplier, Meter.dials, MeterRead.read_at, MeterRead.value)
        .select_from(Meter)
        .outerjoin(MeterRead, and_(MeterRead.meter_id == Meter.id, MeterRead.read_at >= bindparam("since")))
        .where(Meter.id == current)
        .order_by(MeterRead.read_at)
    )


@dataclass(frozen=True)
class Facts:
    """What the home's alerts and summary need beyond the balance, read in one statement."""

    last_bill: Bill | None
    autopay: BankDraft | None
    last_payment: LedgerEntry | None
    open_extension: PaymentExtension | None
    requests: list[ServiceRequest]
    orders: dict[int, WorkOrder]


@functools.cache
def _facts_query(
    recent_requests: int,
) -> Select[Bill, BankDraft, LedgerEntry, PaymentExtension, ServiceRequest, WorkOrder]:
    """Built once (see _leak_query); `account_id` is bound at each run."""
    account_id: BindParameter[int] = bindparam("account_id")
    last_bill = (
        select(Bill.id)
        .where(Bill.account_id == account_id, Bill.cancelled_on.is_(None))  # a cancelled bill's replacement is current
        .order_by(Bill.period_end.desc())
        .limit(1)
    ).scalar_subquery()
    draft = (
        select(BankDraft.id).where(BankDraft.account_id == account_id).order_by(BankDraft.id.desc()).limit(1)
    ).scalar_subquery()
    payment = (
        select(LedgerEntry.id)
        .where(LedgerEntry.account_id == account_id, ledger.payment_in_force())
        .order_by(LedgerEntry.effective_on.desc(), LedgerEntry.id.desc())
        .limit(1)
    ).scalar_subquery()
    extension = (
        select(PaymentExtension.id)
        .where(PaymentExtension.account_id == account_id, PaymentExtension.status.in_(extensions.OPEN))
        .order_by(PaymentExtension.requested_on.desc(), PaymentExtension.id.desc())
        .limit(1)
    ).scalar_subquery()
    recent = (
        select(ServiceRequest.id)
        .where(or_(ServiceRequest.from_account_id == account_id, ServiceRequest.to_account_id == account_id))
        .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
        .limit(recent_requests)
    )
    return (
        select(Bill, BankDraft, LedgerEntry, PaymentExtension, ServiceRequest, WorkOrder)
        .select_from(Account)
        .outerjoin(Bill, Bill.id == last_bill)
        .outerjoin(BankDraft, BankDraft.id == draft)
        .outerjoin(LedgerEntry, LedgerEntry.id == payment)
        .outerjoin(PaymentExtension, PaymentExtension.id == extension)
        .outerjoin(ServiceRequest, ServiceRequest.id.in_(recent))
        .outerjoin(
            WorkOrder,
            or_(
                WorkOrder.id == ServiceRequest.stop_order_id,
                WorkOrder.id == ServiceRequest.start_order_id,
                WorkOrder.id == ServiceRequest.problem_order_id,
            ),
        )
        .where(Account.id == account_id)
    )


async def home_facts(session: AsyncSession, account_id: int, recent_requests: int = 20) -> Facts:
    """The last bill, the bank draft, the last payment, the open extension and the recent service requests with
    their orders: each single fact joined on the id its own subquery picks, the requests one row each (their orders
    joined), so the home costs one statement here instead of seven."""
    rows = await session.execute(_facts_query(recent_requests), {"account_id": account_id})
    first: Any = None
    requests: dict[int, ServiceRequest] = {}
    orders: dict[int, WorkOrder] = {}
    for row in rows:
        first = first or row
        if row[4] is not None:
            requests[row[4].id] = row[4]
        if row[5] is not None:
            orders[row[5].id] = row[5]
    newest_first = sorted(requests.values(), key=lambda r: (r.created_at, r.id), reverse=True)
    if first is None:
        return Facts(None, None, None, None, [], {})
    return Facts(first[0], first[1], first[2], first[3], newest_first, orders)


async def home(
    session: AsyncSession, policy: Policy, account: Account, premise: Premise, today: dt.date, now: dt.datetime
) -> Home:
    """The resident home: with the identity and the linked accounts, five statements in all (the money state, the
    facts, the meter's reads; STATEMENTS in tests/http/test_crawl.py holds it there)."""
    from portal.i18n import format_date, format_money, format_number

    owed = await arrears.arrears(session, account.id, today)
    facts = await home_facts(session, account.id)
    last_bill = facts.last_bill
    open_requests = [r for r in facts.requests if tenancy.request_state(r, facts.orders) in ("pending", "in_progress")]
    open_extension = facts.open_extension
    due_on = last_bill.due_date if last_bill and owed.balance_cents > 0 else None
    view = Home(
        account,
        premise,
        owed.balance_cents,
        owed.past_due_cents,
        due_on,
        last_bill,
        facts.autopay,
        facts.last_payment,
        open_requests,
        open_extension,
    )
    if owed.past_due_cents > 0:
        held_until = (
            open_extension.promised_on if open_extension is not None and open_extension.status == "active" else None
        )
        held = held_until is not None
        view.alerts.append(
            Alert(
                "past_due",
                "warning" if held else "error",
                _("%(amount)s is past due.", amount=format_money(owed.past_due_cents))
                + " "
                + (
                    _("Your payment extension runs until %(date)s.", date=format_date(held_until))
                    if held
                    else _("Pay now to avoid a late fee or a disconnection, or ask for more time.")
                ),
                None if held else RouteLink("customer.extension"),
                None if held else _("Ask for more time to pay"),
            )
        )
    if last_bill is not None and owed.balance_cents > 0 and rules.bill_is_new(last_bill.bill_date, today):
        view.alerts.append(
            Alert(
                "bill_ready",
                "info",
                _(
                    "Your bill of %(amount)s is ready. It is due %(date)s.",
                    amount=format_money(last_bill.total_cents),
                    date=format_date(last_bill.due_date),
                ),
                RouteLink("billing.bill", {"bill_id": last_bill.id}),
                _("See the bill"),
            )
        )
    signal = await leak_signal(session, policy, account.premise_id, now)
    if signal is not None:
        if signal.kind == "continuous":
            words = _(
                "Possible leak: your meter has shown water running every hour since %(date)s (about %(gallons)s "
                "gallons a day).",
                date=format_date(signal.since),
                gallons=format_number(round(signal.gallons_per_day)),
            )
        else:
            words = _(
                "Possible leak: you used about %(gallons)s gallons a day since %(date)s, much more than your usual "
                "%(usual)s.",
                gallons=format_number(round(signal.gallons_per_day)),
                date=format_date(signal.since),
                usual=format_number(round(signal.usual_per_day or 0)),
            )
        view.alerts.append(
            Alert(
                "leak", "warning", words, RouteLink("customer.report", {"query": {"kind": "leak"}}), _("Report a leak")
            )
        )
    return view


# ---- bills and usage -----------------------------------------------------------------------------------------


async def bills(session: AsyncSession, account_id: int, limit: int = 24) -> list[Bill]:
    return list(
        await session.scalars(
            select(Bill).where(Bill.account_id == account_id).order_by(Bill.period_end.desc()).limit(limit)
        )
    )


@dataclass(frozen=True)
class UsageMonth:
    month: dt.date  # first of the month the period ended in
    gallons: int
    estimated: bool
    last_year: int | None  # the same month a year before
    energy: dict[str, EnergyUse] = field(default_factory=dict)  # electric kWh, gas therms billed this month
    energy_last_year: dict[str, int] = field(default_factory=dict)


async def usage_months(session: AsyncSession, account: Account, today: dt.date, months: int = 24) -> list[UsageMonth]:
    """One figure per month from the bills at this premise for this customer's accounts (oldest first), each with
    the same month of the year before when there is one."""
    since = dt.date(today.year - (months + 12) // 12 - 1, today.month, 1)
    rows = await session.execute(
        select(Bill.period_end, Bill.usage, Bill.estimated, Bill.document)
        .where(
            Bill.account_id == account.id,
            Bill.period_end >= since,
            Bill.final.is_(False),
            Bill.cancelled_on.is_(None),  # a cancelled bill's replacement counts the month once
        )
        .order_by(Bill.period_end)
    )
    by_month: dict[dt.date, tuple[int, bool, dict[str, EnergyUse]]] = {}
    for period_end, usage, estimated, document in rows:
        by_month[period_end.replace(day=1)] = (
            int(usage),
            water_estimated(bool(estimated), document),
            energy_use(document),
        )
    ordered = sorted(by_month)[-months:]
    out = []
    for month in ordered:
        gallons, estimated, energy = by_month[month]
        previous = by_month.get(month.replace(year=month.year - 1))
        before = {kind: use.units for kind, use in previous[2].items()} if previous else {}
        out.append(UsageMonth(month, gallons, estimated, previous[0] if previous else None, energy, before))
    return out


def energy_kinds(months: list[UsageMonth]) -> list[str]:
    """The energy kinds (electric, gas) billed in any of these months, in the bill's order."""
    return [kind for kind in ENERGY_KINDS if any(kind in m.energy for m in months)]


def energy_chart(months: list[UsageMonth], kind: str) -> BarChart:
    """Electric (kWh) or gas (therms) by month, as the water chart: the latest highlighted, the year before beside
    each; a month without that service's bill is left out."""
    billed = [m for m in months if kind in m.energy]
    points = [
        ChartPoint(
            format_date(m.month, "MMM"),
            format_date(m.month, "MMMM yyyy"),
            m.energy[kind].units,
            highlight=index == len(billed) - 1,
            estimated=m.energy[kind].estimated,
            previous=m.energy_last_year.get(kind),
        )
        for index, m in enumerate(billed)
    ]
    if kind == "electric":
        title, unit = _("Electricity use by month, last %(count)s months", count=len(points)), _("kWh")
    else:
        title, unit = _("Gas use by month, last %(count)s months", count=len(points)), _("therms")
    return bar_chart(points, title=title, unit=unit, width=600, height=220)


def usage_chart(months: list[UsageMonth]) -> BarChart:
    """The usage page's chart: one bar per month, the latest highlighted, each with the year before beside it."""
    points = [
        ChartPoint(
            format_date(m.month, "MMM"),
            format_date(m.month, "MMMM yyyy"),
            m.gallons,
            highlight=index == len(months) - 1,
            estimated=m.estimated,
            previous=m.last_year,
        )
        for index, m in enumerate(months)
    ]
    return bar_chart(
        points,
        title=_("Water use by month, last %(count)s months", count=len(points)),
        unit=_("gallons"),
        width=600,
        height=220,
    )


# ---- linking and preferences ---------------------------------------------------------------------------------


async def link_account(session: AsyncSession, actor: Actor, user_id: int, account: Account) -> bool:
    linked = await access.link(session, user_id, account.id)
    if linked:
        await audit.record(
            session, actor, "account.link", "account", account.id, account_id=account.id, after={"user_id": user_id}
        )
    return linked


async def link_by_details(
    session: AsyncSession,
    maker: Any,
    actor: Actor,
    user_id: int,
    ip: str,
    *,
    account_number: str,
    zip_code: str,
    last_name: str,
) -> tuple[Account, bool]:
    """Link the account these details name to the login (and whether it is new); a miss counts against the asker
    (`access.match_by_details`, the same check as sign-up)."""
    account = await access.match_by_details(
        session,
        maker,
        ip,
        account_number=account_number,
        zip_code=zip_code,
        last_name=last_name,
        user_id=user_id,
    )
    return account, await link_account(session, actor, user_id, account)


async def customer_of(session: AsyncSession, user_id: int) -> Customer:
    user = await session.get(User, user_id)
    if user is None or user.customer_id is None:
        raise NotFound(_("We could not find that account."))
    customer = await session.get(Customer, user.customer_id)
    assert customer is not None
    return customer


async def notices_for(session: AsyncSession, customer: Customer, limit: int = 10) -> list[MailMessage]:
    """The notices we sent this resident about their accounts, newest first, with where each stands."""
    account_ids = list(await session.scalars(select(Account.id).where(Account.customer_id == customer.id)))
    found = await mail.for_accounts(session, account_ids, limit=3 * limit) if account_ids else []
    return [message for message in found if message.kind is not None][:limit]


async def unsubscribe_email_notices(session: AsyncSession, message_id: int) -> Customer | None:
    """One-click unsubscribe from a notice's email (its token already checked): the customer of the notice's account
    gets no more email notices (they go by text or letter instead). None when the message has no customer."""
    message = await session.get(MailMessage, message_id)
    if message is None or message.account_id is None:
        return None
    account = await session.get(Account, message.account_id)
    customer = await session.get(Customer, account.customer_id) if account is not None else None
    if customer is None:
        return None
    if customer.notify_email is not False:
        customer.notify_email = False
        await audit.record(
            session,
            Actor.webhook("list-unsubscribe"),
            "customer.preferences",
            "customer",
            customer.id,
            account_id=account.id if account is not None else None,
            before={"notify_email": True},
            after={"notify_email": False},
        )
        await session.flush()
    return customer


async def save_preferences(
    session: AsyncSession,
    actor: Actor,
    user_id: int,
    *,
    paperless: bool,
    notify_email: bool,
    notify_sms: bool,
    phone: str | None,
    language: str,
) -> Customer:
    customer = await customer_of(session, user_id)
    user = await session.get(User, user_id)
    assert user is not None
    before = {
        "paperless": customer.paperless,
        "notify_email": customer.notify_email,
        "notify_sms": customer.notify_sms,
        "phone": customer.phone,
        "language": customer.language,
    }
    customer.paperless, customer.notify_email, customer.notify_sms = paperless, notify_email, notify_sms
    if phone:
        customer.phone = phone
    customer.language = language
    user.locale = language
    after = {
        "paperless": paperless,
        "notify_email": notify_email,
        "notify_sms": notify_sms,
        "phone": customer.phone,
        "language": language,
    }
    if after != before:
        await audit.record(session, actor, "customer.preferences", "customer", customer.id, before=before, after=after)
    await session.flush()
    return customer


async def update_contact(
    session: AsyncSession, actor: Actor, customer: Customer, *, email: str | None, phone: str | None
) -> None:
    before = {"email": customer.email, "phone": customer.phone}
    customer.email = email or customer.email
    customer.phone = phone or customer.phone
    if {"email": customer.email, "phone": customer.phone} != before:
        await audit.record(
            session,
            actor,
            "customer.contact",
            "customer",
            customer.id,
            before=before,
            after={"email": customer.email, "phone": customer.phone},
        )


# ---- problem reports -----------------------------------------------------------------------------------------


async def work_order(session: AsyncSession, order_id: int) -> WorkOrder | None:
    return await session.get(WorkOrder, order_id)
