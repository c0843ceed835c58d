"""The demo seed builds a believable city whose balances are the sums of its ledgers."""

import datetime as dt
import shutil

from sqlalchemy import func, select, text

from portal.accounts import ledger
from portal.accounts.models import (
    Account,
    AccountStatus,
    Bill,
    Customer,
    LedgerEntry,
    MeterRead,
    Role,
    User,
    UserAccount,
    WorkOrder,
    WorkOrderKind,
)
from portal.demo import city

TODAY = dt.date(2026, 11, 24)


async def test_a_small_seed_loads_with_personas_history_and_todays_orders(session) -> None:
    rows = city.build(TODAY, premises=150, seed=3)
    counts = await city.load(session, rows)
    await session.commit()
    # the history's moves open accounts (and close others); side seeds open pending ones for today's requests
    assert counts["account"] + counts["move"] == await session.scalar(
        select(func.count()).select_from(Account).where(Account.status != AccountStatus.PENDING)
    )
    assert counts["bill"] >= counts["account"] * 13  # 13 or 14 monthly bills each, made by the bill run

    roles = dict((await session.execute(select(User.role, func.count()).group_by(User.role))).all())
    assert roles[Role.FIELD] == 3 and roles[Role.CSR] == 2 and roles[Role.SUPERVISOR] == 1

    for key in ("resident", "resident-late"):
        email = city.PERSONAS[key][0]
        user = await session.scalar(select(User).where(User.email == email))
        linked = await session.scalar(select(UserAccount.account_id).where(UserAccount.user_id == user.id))
        balance = await ledger.balance(session, linked)
        assert (balance > 5000) if key == "resident-late" else (balance <= 15000)

    from portal.accounts.models import Outage

    # one open outage for the public /outages page, with its crew order
    demo_outages = list(await session.scalars(select(Outage)))
    assert [(o.status, o.utility, bool(o.streets), o.work_order_id is not None) for o in demo_outages] == [
        ("open", "water", True, True)
    ]

    orders = list(await session.scalars(select(WorkOrder).where(WorkOrder.due_on == TODAY)))
    assert {o.assigned_to_id for o in orders} and any(o.kind == WorkOrderKind.DISCONNECT for o in orders)
    # No order is done before it was made: the turnaround report showed -22.7 hours for the seeded disconnect.
    backwards = await session.scalars(select(WorkOrder.id).where(WorkOrder.completed_at < WorkOrder.created_at))
    assert list(backwards) == []

    # Every bill's charge is in the ledger, keyed by the bill: the ledger, not the bill table, holds the money.
    charged = await session.scalar(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.source_key.like("bill:%"))
    )
    assert charged == await session.scalar(select(func.count()).select_from(Bill).where(Bill.bill_date <= TODAY))
    assert (
        await session.scalar(
            select(func.count()).select_from(Customer).where(Customer.medical_alert_until.is_not(None))
        )
        >= 0
    )


async def test_the_same_seed_number_gives_the_same_city(session) -> None:
    first = city.build(TODAY, premises=60, seed=9)
    second = city.build(TODAY, premises=60, seed=9)
    assert first.data[Account] == second.data[Account]
    assert first.data[MeterRead] == second.data[MeterRead]
    assert first.habits == second.habits
    assert city.build(TODAY, premises=60, seed=10).habits != first.habits


async def _history(session) -> list[tuple]:
    entries = await session.execute(
        select(
            LedgerEntry.account_id,
            LedgerEntry.kind,
            LedgerEntry.amount_cents,
            LedgerEntry.source_key,
            LedgerEntry.effective_on,
        ).order_by(LedgerEntry.id)
    )
    bills = await session.execute(
        select(Bill.account_id, Bill.period_end, Bill.previous_balance_cents, Bill.total_cents).order_by(Bill.id)
    )
    return [tuple(row) for row in entries] + [tuple(row) for row in bills]


async def test_the_same_seed_number_gives_the_same_history(session, migrated_template, tmp_path) -> None:
    """Seeded twice into empty databases, the same bills, payments, fees and keys come out."""
    from portal.db import make_engine, make_sessionmaker
    from tests.conftest import _RESET_PG, TEST_DB

    await city.load(session, city.build(TODAY, premises=40, seed=9))
    await session.commit()
    first = await _history(session)
    if TEST_DB == "postgres":
        await session.execute(text(_RESET_PG))
        await session.commit()
        url = migrated_template
    else:
        shutil.copy(migrated_template, tmp_path / "again.db")
        url = f"sqlite+aiosqlite:///{tmp_path / 'again.db'}"
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as again:
            await city.load(again, city.build(TODAY, premises=40, seed=9))
            await again.commit()
            assert await _history(again) == first and len(first) > 40 * 26
    finally:
        await engine.dispose()


async def test_the_seed_has_rate_schedules_and_its_latest_bills_come_from_the_billing_engine(session) -> None:
    from portal.accounts.models import BillLine, RateScheduleRecord

    rows = city.build(TODAY, premises=60, seed=5)
    await city.load(session, rows)
    await session.commit()
    codes = set(await session.scalars(select(RateScheduleRecord.rate_code)))
    assert {"W-RES", "W-COM", "S-RES", "S-COM", "SW-CART", "SW-ERU"} <= codes
    latest = await session.scalar(select(Bill).order_by(Bill.period_end.desc(), Bill.id).limit(1))
    assert latest.document["lines"][0][0] == "water_base"
    lines = list(await session.scalars(select(BillLine).where(BillLine.bill_id == latest.id)))
    assert sum(line.amount_cents for line in lines) == latest.total_cents


async def test_the_seed_prints_its_last_bill_runs_batch_with_the_products_function(session, engine, settings) -> None:
    from portal.db import make_sessionmaker
    from portal.demo import printing
    from portal.staff import print_batch

    await city.load(session, city.build(TODAY, premises=40, seed=9))
    await session.commit()
    maker = make_sessionmaker(engine)
    last = await printing.last_bill_run(session, TODAY)
    assert last is not None
    cycle, day = last
    assert day <= TODAY and day == await session.scalar(select(func.max(Bill.bill_date)).where(Bill.bill_date <= TODAY))
    paper = len(await print_batch.bills_to_print(session, cycle, day))
    assert paper > 0
    batch_id = await printing.print_last_bill_run(maker, settings, TODAY, processes=1)
    assert batch_id is not None
    batch = await print_batch.with_file(session, batch_id)
    assert batch is not None and (batch.cycle, batch.business_date, batch.bills) == (cycle, day, paper)
    assert batch.pdf.startswith(b"%PDF") and batch.pages >= paper
    # Once: a second start of the demo finds it.
    assert await printing.print_last_bill_run(maker, settings, TODAY, processes=1) == batch_id
    # The job ledger says so, once: the jobs page said this cycle's print batch had never run.
    from portal.accounts.models import JobRun

    runs = (await session.execute(select(JobRun.job, JobRun.business_date, JobRun.outcome))).all()
    assert [r for r in runs if r.job.startswith("print-batch")] == [(f"print-batch-cycle-{cycle}", day, "ok")]
