"""Build the rows a test needs through the ORM: a premise with a meter and an account, logins, orders, and an account
with every alert the staff account page's summary strip shows."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import ledger, numbers
from portal.accounts.actor import Actor
from portal.accounts.models import (
    Account,
    AccountClass,
    AccountStatus,
    Adjustment,
    AdjustmentKind,
    AdjustmentStatus,
    ArrangementStatus,
    BankDraft,
    BankDraftStatus,
    Bill,
    Case,
    Customer,
    ExtensionStatus,
    LedgerKind,
    Meter,
    PaymentArrangement,
    PaymentExtension,
    Premise,
    RefundRequest,
    RefundStatus,
    Role,
    Service,
    ServiceKind,
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
    services: tuple[str, ...] = (),
) -> Account:
    """An account at a new premise with a water meter; `services` gives it active services of those kinds (none by
    default: the tests that need them, outages for one, say which)."""
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
    for kind in services:
        session.add(Service(account_id=account.id, kind=ServiceKind(kind), rate_code="RES", started_on=opened_on))
    if services:
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


async def make_alerted_account(session: AsyncSession, staff: User, today: dt.date) -> Account:
    """An account with every alert of the staff account page's strip: past due with a returned payment, a medical
    certificate, an active extension and arrangement, a disconnect order due today, a restore order and a stop of service, both holds,
    an adjustment and a refund waiting for approval, Spanish, paperless, autopay."""
    account = await make_account(session, first_name="Jessica", last_name="Wilson")
    customer = await session.get(Customer, account.customer_id)
    assert customer is not None
    customer.language, customer.paperless = "es", True
    customer.medical_alert_until = today + dt.timedelta(days=25)
    job = Actor.job("factory")
    due = today - dt.timedelta(days=20)
    bill = Bill(
        account_id=account.id,
        period_start=due - dt.timedelta(days=50),
        period_end=due - dt.timedelta(days=21),
        bill_date=due - dt.timedelta(days=21),
        due_date=due,
        usage=6000,
        total_cents=18_450,
        document={},
    )
    session.add(bill)
    await session.flush()
    for kind, cents, key, on in (
        (LedgerKind.CHARGE, 18_450, f"bill:{bill.id}", bill.bill_date),
        (LedgerKind.PAYMENT, -5_000, f"pi_alerted_{account.id}", today - dt.timedelta(days=12)),
        (LedgerKind.PAYMENT, -2_500, f"lockbox:alerted-{account.id}", today - dt.timedelta(days=5)),
    ):
        await ledger.post(
            session,
            job,
            account_id=account.id,
            kind=kind,
            amount_cents=cents,
            source_key=key,
            effective_on=on,
            bill_id=bill.id if kind == LedgerKind.CHARGE else None,
        )
    returned = await ledger.post(
        session,
        job,
        account_id=account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-3_000,
        source_key=f"pi_returned_{account.id}",
        effective_on=today - dt.timedelta(days=30),
    )
    await ledger.reverse(
        session,
        job,
        returned.entry.id,
        reason="Returned payment (R01)",
        effective_on=today - dt.timedelta(days=27),
        source_key=f"return:ch_returned_{account.id}",  # keyed as portal/payments keys an ACH return
    )
    session.add_all(
        [
            PaymentExtension(
                account_id=account.id,
                amount_cents=11_000,
                requested_on=today - dt.timedelta(days=2),
                promised_on=today + dt.timedelta(days=12),
                status=ExtensionStatus.ACTIVE,
            ),
            PaymentArrangement(
                account_id=account.id,
                status=ArrangementStatus.ACTIVE,
                total_cents=20_000,
                down_payment_cents=10_000,
                instalments=[{"due_on": (today + dt.timedelta(days=30)).isoformat(), "amount_cents": 10_000}],
                starts_on=today - dt.timedelta(days=1),
            ),
            Adjustment(
                account_id=account.id,
                kind=AdjustmentKind.LEAK,
                status=AdjustmentStatus.PENDING_APPROVAL,
                amount_cents=-74_199,
                reason="Leak under the slab, repaired",
                explanation="Half the usage above the average",
                effective_on=today,
                requested_by_id=staff.id,
            ),
            Case(
                account_id=account.id,
                kind="bankruptcy",
                status="open",
                reason="Chapter 13 petition",
                chapter=13,
                case_number="26-40117",
                filed_on=today - dt.timedelta(days=3),
                held_cents=0,
            ),
            Case(
                account_id=account.id,
                kind="dispute",
                status="open",
                reason="Says the October read was too high",
                disputed_cents=2_000,
                due_on=today + dt.timedelta(days=30),
            ),
            RefundRequest(
                account_id=account.id,
                claim_key=f"alerted-{account.id}",
                kind="credit",
                method="check",
                amount_cents=1_250,
                reason="Overpaid",
                status=RefundStatus.PENDING_APPROVAL,
                requested_by_id=staff.id,
            ),
            BankDraft(
                account_id=account.id,
                status=BankDraftStatus.ACTIVE,
                bank_name="Riverton Savings",
                last4="6789",
                authorization_text="I authorize...",
                authorized_at=dt.datetime.now(dt.UTC),
                authorized_ip="127.0.0.1",
            ),
        ]
    )
    await make_order(session, account, kind=WorkOrderKind.DISCONNECT, assignee=staff, due_on=today)
    await make_order(session, account, kind=WorkOrderKind.RESTORE, due_on=today + dt.timedelta(days=1))
    await make_order(session, account, kind=WorkOrderKind.STOP, due_on=today + dt.timedelta(days=10))
    await session.flush()
    return account


async def make_final_account(
    session: AsyncSession,
    *,
    owed_cents: int,
    due_on: dt.date,
    status: AccountStatus = AccountStatus.FINAL,
    last_name: str = "Lopez",
    **flags: bool,
) -> Account:
    """A final account whose final bill of `owed_cents`, due on `due_on`, is unpaid (the collection agency's case).
    `flags`: bankruptcy_hold, dispute_pending: an open bankruptcy case holding the balance (filed after the bill), or
    an open dispute of the whole bill."""
    account = await make_account(session, status=status, last_name=last_name)
    if flags.get("bankruptcy_hold"):
        session.add(
            Case(
                account_id=account.id,
                kind="bankruptcy",
                status="open",
                reason="Chapter 7 petition",
                chapter=7,
                case_number="26-10001",
                filed_on=due_on,
                held_cents=owed_cents,
            )
        )
    if flags.get("dispute_pending"):
        session.add(
            Case(
                account_id=account.id,
                kind="dispute",
                status="open",
                reason="Says the final read was wrong",
                disputed_cents=owed_cents,
                due_on=due_on + dt.timedelta(days=30),
            )
        )
    bill = Bill(
        account_id=account.id,
        period_start=due_on - dt.timedelta(days=50),
        period_end=due_on - dt.timedelta(days=21),
        bill_date=due_on - dt.timedelta(days=21),
        due_date=due_on,
        final=True,
        total_cents=owed_cents,
    )
    session.add(bill)
    await session.flush()
    await ledger.post(
        session,
        Actor.job("factory"),
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=owed_cents,
        source_key=f"bill:{bill.id}",
        effective_on=bill.bill_date,
        bill_id=bill.id,
    )
    return account


async def make_past_due_bill(
    session: AsyncSession, account: Account, *, cents: int, due_on: dt.date, usage: int | None = None
) -> Bill:
    """A bill for `account` due on `due_on` (issued three weeks before), its charge posted to the ledger as the bill
    run posts it: what owes a past-due balance when `due_on` is before today."""
    bill = Bill(
        account_id=account.id,
        period_start=due_on - dt.timedelta(days=51),
        period_end=due_on - dt.timedelta(days=22),
        bill_date=due_on - dt.timedelta(days=21),
        due_date=due_on,
        usage=usage,
        total_cents=cents,
        document={},
    )
    session.add(bill)
    await session.flush()
    await ledger.post(
        session,
        Actor.job("test"),
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=cents,
        source_key=f"bill:{bill.id}",
        effective_on=bill.bill_date,
        bill_id=bill.id,
    )
    return bill
