"""Read corrections and cancel-and-rebill on a real database: the original charge reversed, the replacement computed
by the bill run's engine, the supervisor's queue above the threshold, and the next bill run opening on the fix."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.accounts import ledger
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict, DomainError
from portal.accounts.models import (
    Account,
    AuditEvent,
    Bill,
    BillLine,
    CorrectionKind,
    CorrectionStatus,
    LedgerEntry,
    LedgerKind,
    MeterRead,
    Origin,
    ReadSource,
    Role,
)
from portal.accounts.policy import Policy, us_holidays
from portal.billing import corrections
from portal.billing.run import bill_run
from portal.db import make_sessionmaker
from portal.mail import OUTBOX
from tests.integration.billing_helpers import billable_account, meter_of, monthly_reads, with_rates
from tests.personas import csr, supervisor  # noqa: F401 - fixtures

ON = dt.date(2026, 7, 3)
TODAY = dt.date(2026, 7, 10)
POLICY = Policy(holidays=us_holidays(range(2025, 2028)))


def staff(user, role=Role.CSR) -> Actor:
    return Actor(user.id, user.email, Origin.WEB, role)


async def billed_account(session, engine, reads=None):
    await with_rates(session)
    account = await billable_account(session, reads or monthly_reads(ON, 13, per_month=6_000))
    await session.commit()
    result = await bill_run(make_sessionmaker(engine), 1, ON, POLICY, mailer=OUTBOX, public_url="http://t")
    assert result.billed == 1
    bill = await session.scalar(select(Bill).where(Bill.account_id == account.id, Bill.period_end == ON))
    return account, bill


async def closing_read(session, bill) -> MeterRead:
    return await session.get(MeterRead, bill.curr_read_id)


async def test_a_wrong_read_corrected_cancels_and_rebills_its_bill(session, engine, csr) -> None:  # noqa: F811
    account, bill = await billed_account(session, engine)
    read = await closing_read(session, bill)
    wrong = read.value
    # The reader keyed 6,000 gallons too many last month: this month's use falls to zero.
    correction = await corrections.request(
        session,
        staff(csr),
        account,
        CorrectionKind.READ_CORRECTED,
        {"read_id": read.id, "value": wrong - 6_000},
        "The meter was read wrong",
        TODAY,
        POLICY,
    )
    await session.commit()
    assert correction.status == CorrectionStatus.DONE
    await session.refresh(bill)
    assert bill.cancelled_on == TODAY
    new = await session.scalar(select(Bill).where(Bill.replaces_id == bill.id))
    assert new.period_start == bill.period_start and new.period_end == bill.period_end and new.cancelled_on is None
    assert new.usage == 0 and new.total_cents < bill.total_cents
    assert new.document["rebill"]["reason"] == "The meter was read wrong"
    assert correction.amount_cents == new.total_cents - bill.total_cents
    assert await session.scalar(select(func.count()).where(BillLine.bill_id == new.id)) > 0
    # The original charge is reversed by a ledger entry (never changed) and the replacement is charged.
    entries = list(await session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account.id)))
    original_charge = next(e for e in entries if e.bill_id == bill.id and e.kind == LedgerKind.CHARGE)
    reversal = next(e for e in entries if e.reverses_id == original_charge.id)
    assert reversal.amount_cents == -bill.total_cents and original_charge.amount_cents == bill.total_cents
    assert next(e for e in entries if e.bill_id == new.id).source_key == f"rebill:{bill.id}"
    assert await ledger.balance(session, account.id) == new.total_cents
    await session.refresh(read)
    assert read.value == wrong - 6_000 and "corrected" in read.flags
    actions = set(await session.scalars(select(AuditEvent.action).where(AuditEvent.account_id == account.id)))
    assert {"meter_read.correct", "bill.rebill", "bill_correction.request", "ledger.reverse"} <= actions
    before = await session.scalar(select(AuditEvent.before).where(AuditEvent.action == "meter_read.correct"))
    assert before["value"] == wrong


async def test_the_next_bill_run_opens_on_the_corrected_read(session, engine, csr) -> None:  # noqa: F811
    reads = monthly_reads(ON, 13, per_month=6_000)
    account, bill = await billed_account(session, engine, reads)
    read = await closing_read(session, bill)
    await corrections.request(
        session,
        staff(csr),
        account,
        CorrectionKind.READ_CORRECTED,
        {"read_id": read.id, "value": read.value - 1_000},
        "Misread",
        TODAY,
        POLICY,
    )
    meter = await meter_of(session, account)
    august = dt.date(2026, 8, 3)
    session.add(
        MeterRead(
            meter_id=meter.id,
            value=reads[-1][1] + 6_000,
            read_at=dt.datetime.combine(august, dt.time(10), dt.UTC),
            source=ReadSource.FIELD,
            flags=[],
        )
    )
    await session.commit()
    result = await bill_run(make_sessionmaker(engine), 1, august, POLICY, mailer=OUTBOX, public_url="http://t")
    assert result.billed == 1
    next_bill = await session.scalar(select(Bill).where(Bill.account_id == account.id, Bill.period_end == august))
    assert next_bill.prev_read_id == read.id and next_bill.usage == 7_000
    assert next_bill.period_start == ON + dt.timedelta(days=1)


async def test_a_large_rebill_waits_for_a_supervisor_and_changes_nothing_until_approved(
    session,
    engine,
    csr,  # noqa: F811
    supervisor,  # noqa: F811
) -> None:
    account, bill = await billed_account(session, engine)
    read = await closing_read(session, bill)
    correction = await corrections.request(
        session,
        staff(csr),
        account,
        CorrectionKind.READ_CORRECTED,
        {"read_id": read.id, "value": read.value + 90_000},
        "The reader dropped a digit",
        TODAY,
        POLICY,
    )
    await session.commit()
    assert correction.status == CorrectionStatus.PENDING_APPROVAL
    assert correction.amount_cents > POLICY.rebill_supervisor_threshold_cents
    await session.refresh(read)
    await session.refresh(bill)
    assert bill.cancelled_on is None and read.value + 90_000 == correction.change["value"]
    correction_id, bill_id, old_due = correction.id, bill.id, bill.due_date
    asker, boss = staff(csr, Role.SUPERVISOR), staff(supervisor, Role.SUPERVISOR)
    assert [w.item.id for w in await corrections.waiting(session)] == [correction_id]
    with pytest.raises(DomainError):  # the requester cannot approve their own
        await corrections.decide(session, asker, correction_id, approve=True, note="", today=TODAY, policy=POLICY)
    await session.rollback()
    decided = await corrections.decide(
        session, boss, correction_id, approve=True, note="ok", today=TODAY, policy=POLICY
    )
    await session.commit()
    assert decided.status == CorrectionStatus.DONE
    bill = await session.get(Bill, bill_id)
    assert bill.cancelled_on == TODAY
    new = await session.scalar(select(Bill).where(Bill.replaces_id == bill_id))
    assert new.usage == 96_000 and await ledger.balance(session, bill.account_id) == new.total_cents
    assert new.due_date > old_due  # asks for more: the usual time to pay from the rebill
    with pytest.raises(Conflict):
        await corrections.decide(session, boss, correction_id, approve=False, note="", today=TODAY, policy=POLICY)


async def test_an_office_read_on_an_estimated_bill_rebills_it_on_the_actual_read(session, engine, csr) -> None:  # noqa: F811
    reads = monthly_reads(ON, 13, per_month=6_000)
    last_day, last_value = reads.pop()  # no read this month: the bill is estimated
    account, bill = await billed_account(session, engine, reads)
    assert bill.estimated
    meter = await meter_of(session, account)
    correction = await corrections.request(
        session,
        staff(csr),
        account,
        CorrectionKind.READ_ENTERED,
        {"meter_id": meter.id, "value": last_value - 2_000, "read_on": last_day, "source": "customer"},
        "The customer phoned in the read",
        TODAY,
        POLICY,
    )
    await session.commit()
    assert correction.status == CorrectionStatus.DONE and correction.bill_ids == [bill.id]
    new = await session.scalar(select(Bill).where(Bill.replaces_id == bill.id))
    assert not new.estimated and new.usage == 4_000
    entered = await session.get(MeterRead, new.curr_read_id)
    assert entered.source == ReadSource.CUSTOMER and entered.reader_id == csr.id


async def test_bad_corrections_write_nothing(session, engine, csr) -> None:  # noqa: F811
    account, bill = await billed_account(session, engine)
    read = await closing_read(session, bill)
    meter = await meter_of(session, account)
    cases = [
        (CorrectionKind.READ_CORRECTED, {"read_id": read.id, "value": 10**7}, "x"),  # more digits than the dials
        (CorrectionKind.READ_CORRECTED, {"read_id": read.id, "value": read.value}, "x"),  # the same
        (CorrectionKind.READ_CORRECTED, {"read_id": read.id, "value": read.value - 6_000}, " "),  # no reason
        (CorrectionKind.READ_ENTERED, {"meter_id": meter.id, "value": 1, "read_on": TODAY + dt.timedelta(days=1)}, "x"),
        (CorrectionKind.RECORDS, {"bill_ids": [bill.id + 999]}, "x"),
    ]
    bill_id, account_id, actor = bill.id, account.id, staff(csr)
    for kind, change, reason in cases:
        account = await session.get(Account, account_id)
        with pytest.raises(DomainError):
            await corrections.request(session, actor, account, kind, change, reason, TODAY, POLICY)
        await session.rollback()
    assert (await session.get(Bill, bill_id)).cancelled_on is None
    assert await session.scalar(select(func.count()).where(Bill.replaces_id.is_not(None))) == 0


async def test_records_rebill_after_a_multiplier_fix_and_a_second_rebill_of_the_replacement(
    session,
    engine,
    csr,  # noqa: F811
) -> None:
    account, bill = await billed_account(session, engine)
    meter = await meter_of(session, account)
    policy = Policy(holidays=POLICY.holidays, rebill_supervisor_threshold_cents=10_000_000)
    meter.multiplier = 10  # the register counts tens of gallons (fixed through the records screen)
    first = await corrections.request(
        session, staff(csr), account, CorrectionKind.RECORDS, {"bill_ids": [bill.id]}, "Multiplier", TODAY, policy
    )
    await session.commit()
    new = await session.scalar(select(Bill).where(Bill.replaces_id == bill.id))
    assert first.status == CorrectionStatus.DONE and new.usage == 60_000
    meter.multiplier = 1
    await corrections.request(
        session, staff(csr), account, CorrectionKind.RECORDS, {"bill_ids": [new.id]}, "Back", TODAY, policy
    )
    await session.commit()
    third = await session.scalar(select(Bill).where(Bill.replaces_id == new.id))
    assert third.usage == 6_000 and third.total_cents == bill.total_cents
    assert await ledger.balance(session, account.id) == bill.total_cents
    in_force = await session.scalars(select(Bill.id).where(Bill.account_id == account.id, Bill.cancelled_on.is_(None)))
    assert list(in_force) == [third.id]


async def test_a_read_entered_for_an_estimated_month_rebills_it_and_the_month_after(session, engine, csr) -> None:  # noqa: F811
    reads = monthly_reads(ON, 13, per_month=6_000)
    june_day, june_value = reads.pop(-2)  # June's read was missed: June estimated, July opens on the estimate
    await with_rates(session)
    account = await billable_account(session, reads)
    await session.commit()
    for on in (june_day, ON):
        result = await bill_run(make_sessionmaker(engine), 1, on, POLICY, mailer=OUTBOX, public_url="http://t")
        assert result.billed == 1
    june, july = list(
        await session.scalars(select(Bill).where(Bill.account_id == account.id).order_by(Bill.period_end))
    )
    assert june.estimated and july.prev_read_id == june.curr_read_id
    meter = await meter_of(session, account)
    correction = await corrections.request(
        session,
        staff(csr),
        account,
        CorrectionKind.READ_ENTERED,
        {"meter_id": meter.id, "value": june_value, "read_on": june_day, "source": "office"},
        "The read was found on the route sheet",
        TODAY,
        POLICY,
    )
    await session.commit()
    assert correction.bill_ids == [june.id, july.id]
    new_june = await session.scalar(select(Bill).where(Bill.replaces_id == june.id))
    new_july = await session.scalar(select(Bill).where(Bill.replaces_id == july.id))
    entered = await session.get(MeterRead, new_june.curr_read_id)
    assert entered.source == ReadSource.OFFICE and entered.value == june_value
    assert not new_june.estimated and new_june.usage == 6_000
    assert new_july.prev_read_id == entered.id and new_july.usage == 6_000
    assert await ledger.balance(session, account.id) == new_june.total_cents + new_july.total_cents


async def test_a_corrected_bill_is_not_charged_a_second_late_fee_for_the_same_lateness(session, engine, csr) -> None:  # noqa: F811
    from portal.billing.late_fees import late_fee_run

    account, bill = await billed_account(session, engine)
    late = bill.due_date + dt.timedelta(days=2)
    first = await late_fee_run(make_sessionmaker(engine), late, POLICY)
    assert first.charged == 1
    read = await closing_read(session, bill)
    correction = await corrections.request(
        session,
        staff(csr),
        account,
        CorrectionKind.READ_CORRECTED,
        {"read_id": read.id, "value": read.value - 500},
        "Misread",
        late,
        POLICY,
    )
    await session.commit()
    new = await session.scalar(select(Bill).where(Bill.replaces_id == bill.id))
    assert correction.status == CorrectionStatus.DONE and new.due_date == bill.due_date  # a credit: same due date
    again = await late_fee_run(make_sessionmaker(engine), late + dt.timedelta(days=1), POLICY)
    assert again.charged == 0
    fees = await session.scalar(
        select(func.count()).where(LedgerEntry.account_id == account.id, LedgerEntry.kind == LedgerKind.LATE_FEE)
    )
    assert fees == 1
