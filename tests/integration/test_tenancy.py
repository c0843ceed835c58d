"""Start, stop and move service on a real database: the pending account, its services, deposit and start order;
the stop order and forwarding address; a move as one request; cancelling while pending (and not after)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.accounts import ledger, tenancy, workorders
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict
from portal.accounts.models import (
    Account,
    AccountStatus,
    AuditEvent,
    Customer,
    DepositStatus,
    RequestKind,
    Service,
    UserAccount,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import Policy, us_holidays
from tests import factories

JOB = Actor.job("test")
POLICY = Policy(holidays=us_holidays(range(2026, 2028)))
WEDNESDAY = dt.date(2026, 11, 25)  # Thursday 26 and Friday 27 are holidays
MONDAY = dt.date(2026, 11, 30)


async def vacant_premise(session, **kwargs):
    old = await factories.make_account(session, status=AccountStatus.CLOSED, **kwargs)
    return old.premise_id


def test_dates_start_from_the_next_business_day() -> None:
    assert tenancy.earliest_date(POLICY, WEDNESDAY) == MONDAY
    assert "Nov 30, 2026" in (tenancy.date_problem(POLICY, WEDNESDAY, dt.date(2026, 11, 26)) or "")
    assert "weekday" in (tenancy.date_problem(POLICY, WEDNESDAY, dt.date(2026, 12, 5)) or "")
    assert "90 days" in (tenancy.date_problem(POLICY, WEDNESDAY, dt.date(2027, 3, 1)) or "")
    assert tenancy.date_problem(POLICY, WEDNESDAY, MONDAY) is None


async def test_premise_search_matches_every_word_and_shows_no_master_premise(session) -> None:
    await factories.make_account(session, address="1200 Pecan Ave")
    await factories.make_account(session, address="1200 Oak St")
    found = await tenancy.find_premises(session, "1200 pecan")
    assert [p.address for p in found] == ["1200 Pecan Ave"]
    assert await tenancy.find_premises(session, "   ") == []
    # As a caller says it, as the account search reads it: "Avenue" is "Ave" and "Apt" only says a unit follows.
    assert [p.address for p in await tenancy.find_premises(session, "1200 Pecan Avenue")] == ["1200 Pecan Ave"]
    assert [p.address for p in await tenancy.find_premises(session, "1200 oak street apt")] == ["1200 Oak St"]


async def test_a_new_customer_start_opens_a_pending_account_with_deposit_and_order(session, resident) -> None:
    premise_id = await vacant_premise(session, address="77 Elm St", meter_size="1")
    result = await tenancy.start_service(
        session,
        JOB,
        POLICY,
        premise_id=premise_id,
        start_on=MONDAY,
        today=WEDNESDAY,
        identity=tenancy.Identity("Rosa", "Delgado", "rosa@example.com", "254-555-0101"),
    )
    account = result.account
    assert account.status == AccountStatus.PENDING and account.opened_on == MONDAY
    kinds = set(await session.scalars(select(Service.kind).where(Service.account_id == account.id)))
    assert len(kinds) == 4
    assert result.order.kind == WorkOrderKind.START and result.order.due_on == MONDAY
    assert result.deposit.required_cents == 20_000 and result.deposit.status == DepositStatus.REQUIRED
    assert await ledger.balance(session, account.id) == 20_000
    customer = await session.get(Customer, account.customer_id)
    assert customer.last_name == "Delgado"
    actions = set(await session.scalars(select(AuditEvent.action).where(AuditEvent.account_id == account.id)))
    assert {"account.open", "deposit.require", "work_order.create", "request.start"} <= actions


async def test_a_start_where_another_customer_is_served_waits_for_their_stop(session, resident) -> None:
    """One customer's service at an address at a time: a start there is refused while the current customer's
    account runs on, and taken once their stop is set for the start day or before (one leaves, the next arrives)."""
    here = resident.account.premise_id
    newcomer = tenancy.Identity("Rosa", "Delgado", "rosa@example.com", "254-555-0101")
    accounts_before = await session.scalar(select(func.count()).select_from(Account))
    with pytest.raises(tenancy.RequestRefused) as refused:
        await tenancy.start_service(
            session, JOB, POLICY, premise_id=here, start_on=MONDAY, today=WEDNESDAY, identity=newcomer
        )
    assert refused.value.code == "occupied" and refused.value.field == "premise_id"
    assert "another customer's account" in refused.value.message
    assert await session.scalar(select(func.count()).select_from(Account)) == accounts_before
    # Their stop on the Tuesday after: a start that Monday still overlaps; one on the Tuesday is taken.
    tuesday = MONDAY + dt.timedelta(days=1)
    await tenancy.stop_service(
        session, JOB, POLICY, resident.account, stop_on=tuesday, forwarding_address="9 Far Rd", today=WEDNESDAY
    )
    with pytest.raises(tenancy.RequestRefused):
        await tenancy.start_service(
            session, JOB, POLICY, premise_id=here, start_on=MONDAY, today=WEDNESDAY, identity=newcomer
        )
    started = await tenancy.start_service(
        session, JOB, POLICY, premise_id=here, start_on=tuesday, today=WEDNESDAY, identity=newcomer
    )
    assert started.account.premise_id == here and started.account.status == AccountStatus.PENDING


async def test_a_start_with_a_bad_date_or_address_changes_nothing(session, resident) -> None:
    premise_id = await vacant_premise(session)
    before = await session.scalar(select(func.count()).select_from(Account))
    with pytest.raises(tenancy.RequestRefused) as refused:
        await tenancy.start_service(
            session,
            JOB,
            POLICY,
            premise_id=premise_id,
            start_on=WEDNESDAY,
            today=WEDNESDAY,
            identity=tenancy.Identity("A", "B", None, None),
        )
    assert refused.value.field == "start_on"
    with pytest.raises(tenancy.RequestRefused):
        await tenancy.start_service(
            session,
            JOB,
            POLICY,
            premise_id=999_999,
            start_on=MONDAY,
            today=WEDNESDAY,
            identity=tenancy.Identity("A", "B", None, None),
        )
    assert await session.scalar(select(func.count()).select_from(Account)) == before


async def test_stop_sets_the_forwarding_address_and_orders_a_final_read(session, resident) -> None:
    request = await tenancy.stop_service(
        session,
        JOB,
        POLICY,
        resident.account,
        stop_on=MONDAY,
        forwarding_address="900 Lake Dr, Austin, TX 78701",
        today=WEDNESDAY,
    )
    order = await session.get(WorkOrder, request.stop_order_id)
    assert order.kind == WorkOrderKind.STOP and order.due_on == MONDAY
    customer = await session.get(Customer, resident.account.customer_id)
    assert customer.mailing_address == "900 Lake Dr, Austin, TX 78701"
    with pytest.raises(tenancy.RequestRefused):  # a second stop while the first is pending
        await tenancy.stop_service(
            session,
            JOB,
            POLICY,
            resident.account,
            stop_on=MONDAY,
            forwarding_address="900 Lake Dr, Austin, TX 78701",
            today=WEDNESDAY,
        )


async def test_a_move_is_one_request_with_both_orders_and_the_new_account_linked(session, resident) -> None:
    premise_id = await vacant_premise(session, address="15 Willow Bend")
    result = await tenancy.move_service(
        session,
        JOB,
        POLICY,
        resident.account,
        stop_on=MONDAY,
        premise_id=premise_id,
        start_on=MONDAY,
        today=WEDNESDAY,
        link_user_id=resident.user.id,
    )
    request = result.request
    assert request.kind == RequestKind.MOVE and request.stop_order_id and request.start_order_id
    assert result.account.customer_id == resident.account.customer_id
    assert await session.get(UserAccount, (resident.user.id, result.account.id)) is not None
    assert result.decision.required_cents == 15_000  # no bills at the new address: a 5/8" meter's flat amount
    assert "15 Willow Bend" in (request.forwarding_address or "")
    with pytest.raises(tenancy.RequestRefused):
        await tenancy.move_service(
            session,
            JOB,
            POLICY,
            resident.account,
            stop_on=MONDAY,
            premise_id=resident.account.premise_id,
            start_on=MONDAY,
            today=WEDNESDAY,
        )


async def test_cancelling_a_pending_move_cancels_orders_closes_the_new_account_and_reverses_the_deposit(
    session, resident
) -> None:
    premise_id = await vacant_premise(session)
    result = await tenancy.move_service(
        session,
        JOB,
        POLICY,
        resident.account,
        stop_on=MONDAY,
        premise_id=premise_id,
        start_on=MONDAY,
        today=WEDNESDAY,
        link_user_id=resident.user.id,
    )
    await tenancy.cancel_request(session, JOB, result.request, reason="Lease fell through", today=WEDNESDAY)
    # The address never served them: it leaves the login (the old account, and the request through it, stay).
    assert await session.get(UserAccount, (resident.user.id, result.account.id)) is None
    assert await session.get(UserAccount, (resident.user.id, resident.account.id)) is not None
    unlinked = await session.scalar(select(AuditEvent).where(AuditEvent.action == "account.unlink"))
    assert unlinked is not None and unlinked.entity_id == str(result.account.id)
    orders = await tenancy.orders_of(session, [result.request])
    assert {o.status for o in orders.values()} == {WorkOrderStatus.CANCELLED}
    assert all("Lease fell through" in (o.cancel_reason or "") for o in orders.values())
    assert result.account.status == AccountStatus.CLOSED
    assert await ledger.balance(session, result.account.id) == 0
    assert tenancy.request_state(result.request, orders) == "cancelled"
    with pytest.raises(Conflict):
        await tenancy.cancel_request(session, JOB, result.request, reason="again", today=WEDNESDAY)


async def test_a_request_cannot_be_cancelled_once_the_field_has_done_its_part(session, resident, technician) -> None:
    request = await tenancy.stop_service(
        session,
        JOB,
        POLICY,
        resident.account,
        stop_on=MONDAY,
        forwarding_address="900 Lake Dr, Austin, TX 78701",
        today=WEDNESDAY,
    )
    order = await session.get(WorkOrder, request.stop_order_id)
    await workorders.complete(session, Actor(technician.id, technician.email, JOB.origin), order, {"read": 48213})
    orders = await tenancy.orders_of(session, [request])
    assert tenancy.request_state(request, orders) == "completed"
    with pytest.raises(Conflict):
        await tenancy.cancel_request(session, JOB, request, reason="changed my mind", today=WEDNESDAY)


async def test_requests_are_found_only_through_their_accounts(session, resident, other_resident) -> None:
    request = await tenancy.stop_service(
        session,
        JOB,
        POLICY,
        resident.account,
        stop_on=MONDAY,
        forwarding_address="900 Lake Dr, Austin, TX 78701",
        today=WEDNESDAY,
    )
    assert [r.id for r in await tenancy.requests_for_accounts(session, [resident.account.id])] == [request.id]
    assert await tenancy.requests_for_accounts(session, [other_resident.account.id]) == []
    with pytest.raises(Exception, match="could not find"):
        await tenancy.request_for(session, request.id, [other_resident.account.id])
