"""Start, stop and move service (docs/architecture.md), shared by the resident pages and the staff console.

Start: find the address among premises, a start date from the next business day, the customer (an existing one or
a new identity), the deposit by its rule (with the letter-of-credit option) -> a pending account, its services and a
start order for the field. Stop: a date and a forwarding address -> a stop order; the final read, final bill,
deposit applied and credit refunded follow on the field, billing and payments sides. Move: both, as one request.
A pending request can be cancelled: its orders are cancelled with the reason the technician will read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import format_date
from portal.i18n import gettext as _

from . import access, audit, deposits, ledger_words, numbers, workorders
from .actor import Actor
from .address_words import address_words
from .errors import Conflict, DomainError, NotFound
from .models import (
    STAFF_ROLES,
    Account,
    AccountClass,
    AccountStatus,
    Customer,
    Deposit,
    Meter,
    MeterKind,
    Premise,
    RequestKind,
    RequestStatus,
    Service,
    ServiceKind,
    ServiceRequest,
    UserAccount,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from .models.base import utcnow
from .policy import Policy


class RequestRefused(DomainError):
    """A start, stop or move that cannot be taken as asked; `field` names the answer to change."""


# ---- pure rules ----------------------------------------------------------------------------------------------


def earliest_date(policy: Policy, today: dt.date) -> dt.date:
    """Service starts or stops on a business day, from the next one on (the field needs a day's notice)."""
    return policy.next_business_day(today + dt.timedelta(days=1))


def latest_date(policy: Policy, today: dt.date) -> dt.date:
    return today + dt.timedelta(days=policy.service_request_max_days_ahead)


def date_problem(policy: Policy, today: dt.date, day: dt.date) -> str | None:
    """Why this start or stop date cannot be used, in words; None when it can."""
    earliest = earliest_date(policy, today)
    if day < earliest:
        return _("Choose %(date)s or later: we need a business day's notice.", date=format_date(earliest))
    if not policy.is_business_day(day):
        return _(
            "Choose a weekday that is not a holiday: our crews do not start or stop service on %(date)s.",
            date=format_date(day),
        )
    if day > latest_date(policy, today):
        return _("Choose a date within %(days)s days.", days=policy.service_request_max_days_ahead)
    return None


def request_state(request: ServiceRequest, orders: dict[int, WorkOrder]) -> str:
    """pending (nothing done yet), in_progress (part done), completed, or cancelled."""
    if request.status == RequestStatus.CANCELLED:
        return "cancelled"
    ids = [i for i in (request.stop_order_id, request.start_order_id, request.problem_order_id) if i]
    statuses = [orders[i].status for i in ids if i in orders]
    if statuses and all(s in (WorkOrderStatus.COMPLETED, WorkOrderStatus.CANCELLED) for s in statuses):
        return "completed" if any(s == WorkOrderStatus.COMPLETED for s in statuses) else "cancelled"
    if any(s == WorkOrderStatus.COMPLETED for s in statuses):
        return "in_progress"
    return "pending"


def cancellable(request: ServiceRequest, orders: dict[int, WorkOrder]) -> bool:
    """Only while nothing has been done in the field yet."""
    return request.kind != RequestKind.PROBLEM and request_state(request, orders) == "pending"


# ---- look-ups ------------------------------------------------------------------------------------------------


async def find_premises(
    session: AsyncSession, query: str, zip_code: str | None = None, limit: int = 10
) -> list[Premise]:
    """Service addresses matching every word typed ("120 oak"), never a building's master premise. Shows addresses
    only: nothing about who lives there. The words as the records spell them ("100 Oak Street Apt 101" is
    "100 oak st 101"), as the account search reads them."""
    words = list(address_words(query))[:6]
    if not words:
        return []
    has_units = select(Premise.parent_id).where(Premise.parent_id.is_not(None)).distinct()
    stmt = select(Premise).where(Premise.id.not_in(has_units))
    for word in words:
        pattern = f"%{word.lower()}%"
        stmt = stmt.where(
            or_(func.lower(Premise.address).like(pattern), func.lower(func.coalesce(Premise.unit, "")).like(pattern))
        )
    if zip_code:
        stmt = stmt.where(Premise.zip.like(f"{zip_code.strip()[:5]}%"))
    return list(await session.scalars(stmt.order_by(Premise.address, Premise.unit).limit(limit)))


async def _next_account_number(session: AsyncSession) -> str:
    highest = await session.scalar(select(func.max(Account.number)))
    body = int(highest[: numbers.BODY_DIGITS]) + 1 if highest else 10_000_001
    return numbers.with_check_digit(body)


async def _current_meter(session: AsyncSession, premise_id: int) -> Meter | None:
    return await session.scalar(
        select(Meter)
        .where(Meter.premise_id == premise_id, Meter.kind == MeterKind.WATER, Meter.removed_on.is_(None))
        .order_by(Meter.id.desc())
        .limit(1)
    )


# ---- actions -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """Who a brand-new customer is (a CSR taking a walk-in, or a start without a login)."""

    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    business_name: str | None = None
    language: str = "en"


@dataclass(frozen=True)
class StartResult:
    request: ServiceRequest
    account: Account
    order: WorkOrder
    deposit: Deposit
    decision: deposits.DepositDecision


def _services_for(premise: Premise, account_class: AccountClass) -> list[tuple[ServiceKind, str, int]]:
    suffix = "COM" if account_class == AccountClass.COMMERCIAL else "RES"
    services = [
        (ServiceKind.WATER, f"W-{suffix}", 1),
        (ServiceKind.SEWER, f"S-{suffix}", 1),
        (ServiceKind.STORMWATER, "SW-ERU", premise.stormwater_erus or 1),
    ]
    if account_class == AccountClass.RESIDENTIAL:
        services.append((ServiceKind.SOLID_WASTE, "SW-CART", premise.solid_waste_carts or 1))
    if premise.services_available is not None:  # a premise made for new construction says what it can have
        services = [service for service in services if service[0].value in premise.services_available]
    return services


async def _customer(
    session: AsyncSession, actor: Actor, customer: Customer | None, identity: Identity | None
) -> Customer:
    if customer is not None:
        return customer
    if identity is None:
        raise ValueError("a start needs a customer or an identity")
    created = Customer(
        first_name=identity.first_name.strip(),
        last_name=identity.last_name.strip(),
        business_name=(identity.business_name or "").strip() or None,
        email=identity.email,
        phone=identity.phone,
        language=identity.language,
    )
    session.add(created)
    await session.flush()
    await audit.record(
        session,
        actor,
        "customer.create",
        "customer",
        created.id,
        after={"name": created.display_name, "email": created.email, "phone": created.phone},
    )
    return created


async def _open_account(
    session: AsyncSession,
    actor: Actor,
    customer: Customer,
    premise: Premise,
    account_class: AccountClass,
    start_on: dt.date,
) -> Account:
    for _attempt in range(5):  # two starts at once may pick the same next number: the unique index decides
        account = Account(
            number=await _next_account_number(session),
            customer_id=customer.id,
            premise_id=premise.id,
            account_class=account_class,
            status=AccountStatus.PENDING,
            opened_on=start_on,
        )
        try:
            async with session.begin_nested():
                session.add(account)
                await session.flush()
        except IntegrityError:
            continue
        break
    else:
        raise Conflict(_("We could not open the account just now. Please try again."))
    for kind, rate_code, quantity in _services_for(premise, account_class):
        session.add(
            Service(account_id=account.id, kind=kind, rate_code=rate_code, quantity=quantity, started_on=start_on)
        )
    await session.flush()
    await audit.record(
        session,
        actor,
        "account.open",
        "account",
        account.id,
        account_id=account.id,
        after={
            "number": account.number,
            "status": account.status,
            "premise_id": premise.id,
            "customer_id": customer.id,
            "class": account_class,
            "opened_on": start_on,
        },
    )
    return account


# The statuses of a customer's account that hold an address: a start or move there waits for that customer's stop.
OCCUPYING = (AccountStatus.PENDING, AccountStatus.ACTIVE, AccountStatus.DISCONNECTED)


async def occupants_leave(
    session: AsyncSession, premise_id: int, customer_id: int | None
) -> tuple[bool, dt.date | None]:
    """Whether another customer's account is active or pending at this address, and the day the last of them
    leaves (their open stop order's date), or None when one of them has no stop set: (False, None) when vacant."""
    stop_on = (
        select(func.max(WorkOrder.due_on))
        .where(
            WorkOrder.account_id == Account.id,
            WorkOrder.kind == WorkOrderKind.STOP,
            WorkOrder.status.in_(workorders.OPEN_STATUSES),
        )
        .scalar_subquery()
    )
    leaving = list(
        await session.scalars(
            select(stop_on).where(
                Account.premise_id == premise_id,
                # a disconnected customer still holds the address: paying brings their service back on that meter
                Account.status.in_(OCCUPYING),
                Account.customer_id != (customer_id or 0),
            )
        )
    )
    if not leaving:
        return False, None
    return True, None if None in leaving else max(day for day in leaving if day is not None)


def occupied_refusal(
    occupied: bool, leaves_on: dt.date | None, start_on: dt.date | None, *, staff: bool = False
) -> RequestRefused | None:
    """One customer's service at an address at a time: another customer's account there must have its stop set for
    the start day or before (the tenant leaving on the 14th, the next starting on the 14th or 15th). Two accounts
    billed for one meter would each pay for the other's water. Without a start day yet (the address step), only an
    occupant with no stop set at all is refused."""
    if not occupied:
        return None
    if leaves_on is None:
        return RequestRefused(
            _(
                "Service at this address is on another customer's account, with no stop of service set. Set that "
                "customer's stop first (find the address on the account search), then start this one on that day or "
                "later."
            )
            if staff
            else _(
                "Service at this address is on another customer's account, with no stop of service set. Call us "
                "and we will arrange it."
            ),
            field="premise_id",
            code="occupied",
        )
    if start_on is not None and start_on < leaves_on:
        return RequestRefused(
            _(
                "Service at this address stays on another customer's account until %(date)s: start on that day or "
                "later.",
                date=format_date(leaves_on),
            ),
            field="start_on",
            code="occupied_until",
        )
    return None


async def _check_vacant(
    session: AsyncSession, actor: Actor, premise_id: int, customer_id: int | None, start_on: dt.date
) -> None:
    staff = actor.role in STAFF_ROLES  # told what to do at the console, not to call us
    refusal = occupied_refusal(*await occupants_leave(session, premise_id, customer_id), start_on, staff=staff)
    if refusal is not None:
        raise refusal


async def _start(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    *,
    premise_id: int,
    start_on: dt.date,
    today: dt.date,
    customer: Customer | None,
    identity: Identity | None,
    account_class: AccountClass,
    letter: deposits.LetterOfCredit | None,
    link_user_id: int | None,
    moving_from: int | None = None,
) -> tuple[Account, WorkOrder, Deposit, deposits.DepositDecision, Customer]:
    premise = await session.get(Premise, premise_id)
    if premise is None:
        raise RequestRefused(_("Choose an address from the list."), field="premise_id", code="no_premise")
    problem = date_problem(policy, today, start_on)
    if problem:
        raise RequestRefused(problem, field="start_on", code="start_date")
    if customer is not None:
        pending_here = await session.scalar(
            select(func.count())
            .select_from(Account)
            .where(
                Account.customer_id == customer.id,
                Account.premise_id == premise.id,
                Account.status.in_([AccountStatus.PENDING, AccountStatus.ACTIVE]),
            )
        )
        if pending_here:
            raise RequestRefused(
                _("You already have service at this address, or a start there is pending."),
                field="premise_id",
                code="already_here",
            )
    await _check_vacant(session, actor, premise.id, customer.id if customer is not None else None, start_on)
    who = await _customer(session, actor, customer, identity)
    account = await _open_account(session, actor, who, premise, account_class, start_on)
    decision = await deposits.quote(
        session,
        policy,
        premise_id=premise.id,
        account_class=account_class,
        today=today,
        letter=letter,
        moving_from=moving_from,
    )
    deposit = await deposits.require(session, actor, account, decision, today=today, letter=letter)
    meter = await _current_meter(session, premise.id)
    order = await workorders.create(
        session,
        actor,
        kind=WorkOrderKind.START,
        premise_id=premise.id,
        account_id=account.id,
        meter_id=meter.id if meter else None,
        due_on=start_on,
        instructions=f"Start service for {who.display_name}: read the meter and turn on.",
    )
    if link_user_id is not None and await access.link(session, link_user_id, account.id):
        await audit.record(
            session,
            actor,
            "account.link",
            "account",
            account.id,
            account_id=account.id,
            after={"user_id": link_user_id},
        )
    return account, order, deposit, decision, who


async def start_service(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    *,
    premise_id: int,
    start_on: dt.date,
    today: dt.date,
    customer: Customer | None = None,
    identity: Identity | None = None,
    account_class: AccountClass = AccountClass.RESIDENTIAL,
    letter: deposits.LetterOfCredit | None = None,
    link_user_id: int | None = None,
) -> StartResult:
    account, order, deposit, decision, who = await _start(
        session,
        actor,
        policy,
        premise_id=premise_id,
        start_on=start_on,
        today=today,
        customer=customer,
        identity=identity,
        account_class=account_class,
        letter=letter,
        link_user_id=link_user_id,
    )
    request = ServiceRequest(
        kind=RequestKind.START,
        status=RequestStatus.PENDING,
        customer_id=who.id,
        requested_by_id=actor.user_id,
        to_account_id=account.id,
        start_order_id=order.id,
        start_on=start_on,
        details={"deposit_cents": decision.required_cents, "deposit_rule": decision.rule},
    )
    session.add(request)
    await session.flush()
    await audit.record(
        session,
        actor,
        "request.start",
        "service_request",
        request.id,
        account_id=account.id,
        after={"start_on": start_on, "premise_id": premise_id, "deposit_cents": decision.required_cents},
    )
    return StartResult(request, account, order, deposit, decision)


async def stop_refusal(session: AsyncSession, account: Account) -> RequestRefused | None:
    """Why service on this account cannot be stopped now, or None: a stop page says so before asking for a date."""
    try:
        await _check_stoppable(session, account)
    except RequestRefused as refused:
        return refused
    return None


async def _check_stoppable(session: AsyncSession, account: Account) -> None:
    if account.status not in (AccountStatus.ACTIVE, AccountStatus.DISCONNECTED):
        raise RequestRefused(_("Service on this account is not on, so there is nothing to stop."), code="not_active")
    open_stop = await session.scalar(
        select(func.count())
        .select_from(ServiceRequest)
        .where(
            ServiceRequest.from_account_id == account.id,
            ServiceRequest.status == RequestStatus.PENDING,
            ServiceRequest.kind.in_([RequestKind.STOP, RequestKind.MOVE]),
        )
    )
    if open_stop:
        raise RequestRefused(_("A stop of service is already requested for this account."), code="already_stopping")


async def _stop(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    account: Account,
    *,
    stop_on: dt.date,
    forwarding_address: str,
    today: dt.date,
) -> tuple[WorkOrder, str | None]:
    problem = date_problem(policy, today, stop_on)
    if problem:
        raise RequestRefused(problem, field="stop_on", code="stop_date")
    address = (forwarding_address or "").strip()
    if len(address) < 8:
        raise RequestRefused(
            _("Enter the full address where we should send your final bill."),
            field="forwarding_address",
            code="forwarding",
        )
    await _check_stoppable(session, account)
    customer = await session.get(Customer, account.customer_id)
    assert customer is not None
    before = {"mailing_address": customer.mailing_address}
    customer.mailing_address = address[:500]
    await audit.record(
        session,
        actor,
        "customer.mailing_address",
        "customer",
        customer.id,
        account_id=account.id,
        before=before,
        after={"mailing_address": customer.mailing_address},
    )
    meter = await _current_meter(session, account.premise_id)
    order = await workorders.create(
        session,
        actor,
        kind=WorkOrderKind.STOP,
        premise_id=account.premise_id,
        account_id=account.id,
        meter_id=meter.id if meter else None,
        due_on=stop_on,
        instructions="Stop service: take the final read. Final bill goes to the forwarding address.",
    )
    # the address it replaced, kept on the request: cancelling the stop puts it back
    return order, before["mailing_address"]


async def stop_service(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    account: Account,
    *,
    stop_on: dt.date,
    forwarding_address: str,
    today: dt.date,
) -> ServiceRequest:
    order, mailing_before = await _stop(
        session, actor, policy, account, stop_on=stop_on, forwarding_address=forwarding_address, today=today
    )
    request = ServiceRequest(
        kind=RequestKind.STOP,
        status=RequestStatus.PENDING,
        customer_id=account.customer_id,
        requested_by_id=actor.user_id,
        from_account_id=account.id,
        stop_order_id=order.id,
        stop_on=stop_on,
        forwarding_address=forwarding_address.strip()[:500],
        details={"mailing_before": mailing_before},
    )
    session.add(request)
    await session.flush()
    await audit.record(
        session, actor, "request.stop", "service_request", request.id, account_id=account.id, after={"stop_on": stop_on}
    )
    return request


async def move_service(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    account: Account,
    *,
    stop_on: dt.date,
    premise_id: int,
    start_on: dt.date,
    today: dt.date,
    letter: deposits.LetterOfCredit | None = None,
    link_user_id: int | None = None,
) -> StartResult:
    """Stop here and start there, one request. The final bill goes to the new address."""
    if premise_id == account.premise_id:
        raise RequestRefused(
            _("Choose the new address: this is the one being left."),
            field="premise_id",
            code="same_premise",
        )
    premise = await session.get(Premise, premise_id)
    if premise is None:
        raise RequestRefused(_("Choose an address from the list."), field="premise_id", code="no_premise")
    customer = await session.get(Customer, account.customer_id)
    assert customer is not None
    stop_order, mailing_before = await _stop(
        session, actor, policy, account, stop_on=stop_on, forwarding_address=premise.one_line, today=today
    )
    new_account, start_order, deposit, decision, _who = await _start(
        session,
        actor,
        policy,
        premise_id=premise_id,
        start_on=start_on,
        today=today,
        customer=customer,
        identity=None,
        account_class=account.account_class,
        letter=letter,
        link_user_id=link_user_id,
        moving_from=account.id,
    )
    request = ServiceRequest(
        kind=RequestKind.MOVE,
        status=RequestStatus.PENDING,
        customer_id=customer.id,
        requested_by_id=actor.user_id,
        from_account_id=account.id,
        to_account_id=new_account.id,
        stop_order_id=stop_order.id,
        start_order_id=start_order.id,
        stop_on=stop_on,
        start_on=start_on,
        forwarding_address=customer.mailing_address,
        details={
            "deposit_cents": decision.required_cents,
            "deposit_rule": decision.rule,
            "mailing_before": mailing_before,
        },
    )
    session.add(request)
    await session.flush()
    await audit.record(
        session,
        actor,
        "request.move",
        "service_request",
        request.id,
        account_id=account.id,
        after={"stop_on": stop_on, "start_on": start_on, "to_account_id": new_account.id},
    )
    return StartResult(request, new_account, start_order, deposit, decision)


async def orders_of(session: AsyncSession, requests: list[ServiceRequest]) -> dict[int, WorkOrder]:
    ids = {i for r in requests for i in (r.stop_order_id, r.start_order_id, r.problem_order_id) if i}
    if not ids:
        return {}
    return {o.id: o for o in await session.scalars(select(WorkOrder).where(WorkOrder.id.in_(ids)))}


async def _mailing_back(session: AsyncSession, actor: Actor, request: ServiceRequest) -> None:
    """A cancelled stop or move puts back the mailing address it set, unless it was changed since: the bills and
    cut-off letters went to the forwarding address of a stop that never happened."""
    details = request.details or {}
    if "mailing_before" not in details or request.from_account_id is None:
        return
    customer = await session.get(Customer, request.customer_id)
    if customer is None or customer.mailing_address != request.forwarding_address:
        return
    before = {"mailing_address": customer.mailing_address}
    customer.mailing_address = details["mailing_before"]
    await audit.record(
        session,
        actor,
        "customer.mailing_address",
        "customer",
        customer.id,
        account_id=request.from_account_id,
        before=before,
        after={"mailing_address": customer.mailing_address, "reason": "request cancelled"},
    )


async def cancel_request(
    session: AsyncSession, actor: Actor, request: ServiceRequest, *, reason: str, today: dt.date
) -> None:
    """Cancel a request nothing has been done on yet: its orders with the reason, a pending new account closed and
    its billed deposit reversed."""
    orders = await orders_of(session, [request])
    if not cancellable(request, orders):
        raise Conflict(
            _(
                "This request can no longer be cancelled: work on it has started or it is closed. Call us if you need to change it."
            )
        )
    reason = reason.strip() or "Cancelled by the customer"
    for order_id in (request.stop_order_id, request.start_order_id):
        if order_id and order_id in orders:
            await workorders.cancel(session, actor, orders[order_id], f"Request cancelled: {reason}")
    await _mailing_back(session, actor, request)
    if request.to_account_id:
        account = await session.get(Account, request.to_account_id)
        if account is not None and account.status == AccountStatus.PENDING:
            account.status = AccountStatus.CLOSED
            account.closed_on = today
            await audit.record(
                session,
                actor,
                "account.status",
                "account",
                account.id,
                account_id=account.id,
                before={"status": AccountStatus.PENDING},
                after={"status": AccountStatus.CLOSED, "reason": reason},
            )
            deposit = await deposits.for_account(session, account.id)
            if deposit is not None and deposit.paid_cents == 0:
                await deposits.withdraw(
                    session, actor, deposit, reason=ledger_words.memo("start_cancelled", reason=reason), today=today
                )
            if request.kind == RequestKind.MOVE:
                # The new address never served them: it leaves their logins' lists (the switcher, Pay, Move, all for
                # an account that never was), while the request stays on the requests page through the old account.
                logins = list(
                    await session.scalars(select(UserAccount.user_id).where(UserAccount.account_id == account.id))
                )
                if logins:
                    await session.execute(delete(UserAccount).where(UserAccount.account_id == account.id))
                    await audit.record(
                        session,
                        actor,
                        "account.unlink",
                        "account",
                        account.id,
                        account_id=account.id,
                        before={"user_ids": logins},
                        after={"user_ids": [], "reason": reason},
                    )
    request.status = RequestStatus.CANCELLED
    request.cancel_reason = reason[:300]
    request.cancelled_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor,
        "request.cancel",
        "service_request",
        request.id,
        account_id=request.from_account_id or request.to_account_id,
        before={"status": RequestStatus.PENDING},
        after={"status": request.status, "reason": request.cancel_reason},
    )


async def requests_for_accounts(session: AsyncSession, account_ids: list[int], limit: int = 50) -> list[ServiceRequest]:
    if not account_ids:
        return []
    return list(
        await session.scalars(
            select(ServiceRequest)
            .where(or_(ServiceRequest.from_account_id.in_(account_ids), ServiceRequest.to_account_id.in_(account_ids)))
            .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
            .limit(limit)
        )
    )


async def request_for(session: AsyncSession, request_id: int, account_ids: list[int]) -> ServiceRequest:
    """A request on one of these accounts; any other answers "not found"."""
    request = await session.get(ServiceRequest, request_id)
    if request is None or not ({request.from_account_id, request.to_account_id} & set(account_ids)):
        raise NotFound(_("We could not find that request."))
    return request
