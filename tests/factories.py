"""Build the rows a test needs through the ORM: a premise with a meter and an account, logins, orders."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import numbers
from portal.accounts.models import (
    Account,
    AccountClass,
    AccountStatus,
    Customer,
    Meter,
    Premise,
    Role,
    User,
    UserAccount,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)

_seq = itertools.count(1)
UTILITY_TZ = ZoneInfo("America/Chicago")  # the test settings' timezone (the default)


async def make_account(
    session: AsyncSession,
    *,
    last_name: str = "Lopez",
    first_name: str = "María",
    zip_code: str = "76501",
    address: str | None = None,
    status: AccountStatus = AccountStatus.ACTIVE,
    account_class: AccountClass = AccountClass.RESIDENTIAL,
    meter_size: str = "5/8",
    opened_on: dt.date = dt.date(2020, 1, 15),
) -> Account:
    n = next(_seq)
    customer = Customer(
        first_name=first_name, last_name=last_name, email=f"customer{n}@example.com", phone=f"254-555-{n:04d}"
    )
    premise = Premise(
        address=address or f"{100 + n} Oak St", city="Riverton", state="TX", zip=zip_code, route="R01", cycle=1
    )
    session.add_all([customer, premise])
    await session.flush()
    session.add(Meter(serial=f"WT{n:08d}", size=meter_size, premise_id=premise.id, installed_on=opened_on))
    account = Account(
        number=numbers.with_check_digit(50_000_000 + n),
        customer_id=customer.id,
        premise_id=premise.id,
        status=status,
        account_class=account_class,
        opened_on=opened_on,
    )
    session.add(account)
    await session.flush()
    return account


async def make_user(
    session: AsyncSession,
    role: Role,
    *,
    email: str | None = None,
    name: str = "Test Person",
    customer_id: int | None = None,
) -> User:
    n = next(_seq)
    user = User(email=email or f"{role.value}{n}@example.com", display_name=name, role=role, customer_id=customer_id)
    session.add(user)
    await session.flush()
    return user


async def link(session: AsyncSession, user: User, account: Account) -> None:
    session.add(UserAccount(user_id=user.id, account_id=account.id))
    await session.flush()


async def make_order(
    session: AsyncSession,
    account: Account,
    *,
    kind: WorkOrderKind = WorkOrderKind.READ,
    assignee: User | None = None,
    due_on: dt.date | None = None,
) -> WorkOrder:
    order = WorkOrder(
        kind=kind,
        status=WorkOrderStatus.ASSIGNED if assignee else WorkOrderStatus.OPEN,
        account_id=account.id,
        premise_id=account.premise_id,
        assigned_to_id=assignee.id if assignee else None,
        due_on=due_on or dt.datetime.now(UTILITY_TZ).date(),  # the utility's today, as the field pages count it
    )
    session.add(order)
    await session.flush()
    return order
