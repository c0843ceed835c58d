"""Adjustments: gather the facts a rule needs from the account, run the rule, and record the result; post it to the
ledger at once, or hold it for a supervisor when it is over the threshold. One transaction per action, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import approval, audit, ledger, ledger_words, meters, service_state, workorders
from portal.accounts.actor import Actor
from portal.accounts.errors import DomainError
from portal.accounts.models import (
    Account,
    Adjustment,
    AdjustmentKind,
    AdjustmentStatus,
    Bill,
    BillLine,
    LedgerEntry,
    LedgerKind,
    Meter,
    MeterKind,
    MeterRead,
    MeterTest,
    ServiceKind,
)
from portal.accounts.policy import Policy
from portal.i18n import gettext as _

from . import rules
from .rules import Adjusted, AdjustmentDenied, VolumePrices

FEE_KINDS = (LedgerKind.LATE_FEE, LedgerKind.FEE)


@dataclass(frozen=True)
class BillHint:
    """What the bill picker says beside a bill: its use against the average of the 12 bills before it, and the flags of
    the meter reads taken in its period (so the CSR sees which bill is high, and why, without opening each)."""

    ratio: Decimal | None  # use / average, one decimal; None without an average to compare with
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facts:
    """What the calculator form offers to pick from."""

    bills: list[Bill]
    fees: list[LedgerEntry]
    garbage_monthly_cents: int
    hints: dict[int, BillHint] = field(default_factory=dict)  # by bill id


def averages_before(bills: Sequence[tuple[dt.date, int]]) -> list[int | None]:
    """For each bill, given as (period end, use), the average use of up to 12 bills that ended before it: the same
    rule as `average_usage`, which the leak and pool-fill rules rebill on, so the picker's hint matches the
    calculation. None for a bill with no bill before it. In the order given."""
    result: list[int | None] = []
    for end, _usage in bills:
        before = sorted((e for e in bills if e[0] < end), reverse=True)[:12]
        result.append(sum(u for _e, u in before) // len(before) if before else None)
    return result


def usage_ratio(usage: int, average: int | None) -> Decimal | None:
    """Use against the average, to one decimal (8,200 against 3,900 is 2.1); None when there is no average."""
    if not average or average <= 0:
        return None
    return (Decimal(usage) / Decimal(average)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


async def period_read_flags(
    session: AsyncSession, account: Account, bills: Sequence[Bill]
) -> dict[int, tuple[str, ...]]:
    """The flags of the reads of the premise's meters taken in each bill's period (its opening read belongs to the
    bill before): one query for every bill."""
    if not bills or account.premise_id is None:
        return {}
    start = min(bill.period_start for bill in bills)
    end = max(bill.period_end for bill in bills)
    reads = (
        await session.execute(
            select(MeterRead.id, MeterRead.read_at, MeterRead.flags)
            .join(Meter, Meter.id == MeterRead.meter_id)
            .where(
                Meter.premise_id == account.premise_id,
                Meter.kind == MeterKind.WATER,
                MeterRead.read_at >= dt.datetime.combine(start, dt.time.min, dt.UTC),
                MeterRead.read_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, dt.UTC),
            )
        )
    ).all()
    flagged = [(read_id, read_at.date(), tuple(flags)) for read_id, read_at, flags in reads if flags]
    found: dict[int, tuple[str, ...]] = {}
    for bill in bills:
        flags: list[str] = []
        for read_id, day, read_flags in flagged:
            if bill.period_start <= day <= bill.period_end and read_id != bill.prev_read_id:
                flags.extend(flag for flag in read_flags if flag not in flags)
        if flags:
            found[bill.id] = tuple(flags)
    return found


async def facts(session: AsyncSession, account: Account) -> Facts:
    # the 13 bills offered, and the 12 before the oldest of them for its hint's average
    history = list(
        await session.scalars(
            select(Bill)
            .where(Bill.account_id == account.id, Bill.cancelled_on.is_(None))  # a cancelled bill is not adjusted
            .order_by(Bill.period_end.desc())
            .limit(25)
        )
    )
    bills = history[:13]
    waived_ids = {
        int(entry_id)
        for entry_id in await session.scalars(
            select(Adjustment.inputs["entry_id"].as_integer()).where(
                Adjustment.account_id == account.id,
                Adjustment.kind == AdjustmentKind.FEE_WAIVER,
                Adjustment.status != AdjustmentStatus.REJECTED,
            )
        )
        if entry_id is not None
    }
    reversed_ids = select(LedgerEntry.reverses_id).where(
        LedgerEntry.account_id == account.id, LedgerEntry.reverses_id.is_not(None)
    )
    candidates = await session.scalars(
        select(LedgerEntry)
        .where(
            LedgerEntry.account_id == account.id, LedgerEntry.kind.in_(FEE_KINDS), LedgerEntry.id.not_in(reversed_ids)
        )
        .order_by(LedgerEntry.effective_on.desc())
        .limit(24)
    )
    fees = [entry for entry in candidates if entry.id not in waived_ids][:12]
    averages = averages_before([(bill.period_end, bill.usage) for bill in history])
    flags = await period_read_flags(session, account, bills)
    hints = {
        bill.id: BillHint(usage_ratio(bill.usage, average), flags.get(bill.id, ()))
        for bill, average in zip(bills, averages, strict=False)
    }
    return Facts(bills, fees, await garbage_monthly_cents(session, account), hints)


async def garbage_monthly_cents(session: AsyncSession, account: Account) -> int:
    """The monthly solid-waste charge on the latest bill (what a vacancy saves each month)."""
    latest = await session.scalar(
        select(Bill.id)
        .where(Bill.account_id == account.id, Bill.cancelled_on.is_(None))
        .order_by(Bill.period_end.desc())
        .limit(1)
    )
    if latest is None:
        return 0
    total = await session.scalar(
        select(func.coalesce(func.sum(BillLine.amount_cents), 0)).where(
            BillLine.bill_id == latest, BillLine.service_kind == ServiceKind.SOLID_WASTE
        )
    )
    return int(total or 0)


async def average_usage(session: AsyncSession, account_id: int, before: Bill) -> int:
    """Average billed usage over up to 12 bills before this one."""
    usages = list(
        await session.scalars(
            select(Bill.usage)
            .where(Bill.account_id == account_id, Bill.period_end < before.period_end, Bill.cancelled_on.is_(None))
            .order_by(Bill.period_end.desc())
            .limit(12)
        )
    )
    return sum(usages) // len(usages) if usages else 0


async def prices_for(session: AsyncSession, bill: Bill) -> VolumePrices:
    """Volume prices from the bill's own lines (gallons and cents per 1,000 gallons). Bills without them (history
    imported as amounts only) fall back to the bill's average price per gallon, on its whole usage."""
    lines = list(
        await session.scalars(select(BillLine).where(BillLine.bill_id == bill.id).order_by(BillLine.sort, BillLine.id))
    )

    def volume(kind: ServiceKind) -> list[BillLine]:
        return [
            line
            for line in lines
            if line.service_kind == kind and line.unit == "gal" and line.rate is not None and line.quantity
        ]

    water, sewer = volume(ServiceKind.WATER), volume(ServiceKind.SEWER)
    if water:
        tiers: list[tuple[int | None, int]] = []
        floor = 0
        for index, line in enumerate(water):
            top = None if index == len(water) - 1 else floor + int(Decimal(line.quantity or 0))
            tiers.append((top, int(line.rate or 0)))
            floor = top or floor
    else:
        water_volume = sum(
            line.amount_cents
            for line in lines
            if line.service_kind == ServiceKind.WATER and "base" not in line.description.lower()
        )
        tiers = [(None, round(water_volume * 1000 / bill.usage) if bill.usage else 0)]
    if sewer:
        sewer_gallons = int(sum(Decimal(line.quantity or 0) for line in sewer))
        sewer_rate = int(sewer[-1].rate or 0)
    else:
        sewer_volume = sum(
            line.amount_cents
            for line in lines
            if line.service_kind == ServiceKind.SEWER and "base" not in line.description.lower()
        )
        sewer_gallons = bill.usage
        sewer_rate = round(sewer_volume * 1000 / bill.usage) if bill.usage else 0
    return VolumePrices(tuple(tiers), sewer_rate, sewer_gallons)


async def usage_charges(session: AsyncSession, account_id: int) -> list[tuple[dt.date, int]]:
    """Each bill's charges for water used (its volume lines, water and sewer): what an over-registering meter
    inflated. (period end, cents), oldest first."""
    rows = await session.execute(
        select(Bill.period_end, func.coalesce(func.sum(BillLine.amount_cents), 0))
        .join(BillLine, BillLine.bill_id == Bill.id)
        .where(
            Bill.account_id == account_id,
            BillLine.unit == "gal",
            BillLine.service_kind.in_([ServiceKind.WATER, ServiceKind.SEWER]),
        )
        .group_by(Bill.id, Bill.period_end)
        .order_by(Bill.period_end)
    )
    return [(end, int(cents)) for end, cents in rows]


async def _earlier(session: AsyncSession, account_id: int, kind: AdjustmentKind) -> list[dt.date]:
    rows = await session.scalars(
        select(Adjustment.effective_on).where(
            Adjustment.account_id == account_id, Adjustment.kind == kind, Adjustment.status != AdjustmentStatus.REJECTED
        )
    )
    return list(rows)


async def _bill(session: AsyncSession, account: Account, bill_id: int | None) -> Bill:
    bill = await session.get(Bill, bill_id) if bill_id else None
    if bill is None or bill.account_id != account.id or bill.cancelled_on is not None:
        raise DomainError(_("Choose one of this account's bills."), field="bill_id")
    return bill


async def calculate(
    session: AsyncSession, account: Account, kind: AdjustmentKind, data: dict[str, Any], today: dt.date, policy: Policy
) -> tuple[Adjusted, dict[str, Any], int | None]:
    """Run the rule for this kind on the account's facts. Returns the result, the inputs to keep, and the bill."""
    inputs: dict[str, Any] = {}
    bill_id: int | None = None
    if kind in (AdjustmentKind.LEAK, AdjustmentKind.POOL_FILL):
        bill = await _bill(session, account, data.get("bill_id"))
        bill_id = bill.id
        average = await average_usage(session, account.id, bill)
        prices = await prices_for(session, bill)
        inputs = {
            "bill_id": bill.id,
            "usage_gallons": bill.usage,
            "average_gallons": average,
            "water_tiers": [list(t) for t in prices.water_tiers],
            "sewer_cents_per_kgal": prices.sewer_cents_per_kgal,
            "sewer_billed_gallons": prices.sewer_billed_gallons,
        }
        if kind == AdjustmentKind.LEAK:
            inputs["repair_note"] = data.get("repair_note") or ""
            result = rules.leak(
                policy,
                today=today,
                usage_gallons=bill.usage,
                average_gallons=average,
                prices=prices,
                proof_of_repair=bool(data.get("proof_of_repair")),
                earlier_leak_adjustments=await _earlier(session, account.id, kind),
            )
        else:
            result = rules.pool_fill(
                policy,
                today=today,
                usage_gallons=bill.usage,
                average_gallons=average,
                prices=prices,
                earlier_pool_adjustments=await _earlier(session, account.id, kind),
            )
    elif kind == AdjustmentKind.VACATION_GARBAGE:
        monthly = await garbage_monthly_cents(session, account)
        if monthly <= 0:
            raise AdjustmentDenied(_("This account has no garbage charge to credit."))
        vacant_from, vacant_until = data.get("vacant_from"), data.get("vacant_until")
        if not vacant_from or not vacant_until:
            raise AdjustmentDenied(_("Enter when the vacancy starts and ends."), field="vacant_from")
        inputs = {
            "vacant_from": vacant_from,
            "vacant_until": vacant_until,
            "monthly_cents": monthly,
            "requested_on": today,
        }
        result = rules.vacation_garbage(
            policy, requested_on=today, vacant_from=vacant_from, vacant_until=vacant_until, monthly_cents=monthly
        )
    elif kind == AdjustmentKind.BILLING_ERROR:
        error_from, per_bill = data.get("error_from"), data.get("amount_cents")
        if not error_from:
            raise AdjustmentDenied(_("Enter the date the error started."), field="error_from")
        dates = list(
            await session.scalars(
                select(Bill.bill_date).where(Bill.account_id == account.id, Bill.cancelled_on.is_(None))
            )
        )
        overcharged = data.get("direction", "overcharged") != "undercharged"
        inputs = {"error_from": error_from, "per_bill_cents": per_bill or 0, "overcharged": overcharged}
        result = rules.billing_error(
            policy,
            today=today,
            error_from=error_from,
            per_bill_cents=per_bill or 0,
            bill_dates=dates,
            overcharged=overcharged,
        )
    elif kind == AdjustmentKind.FEE_WAIVER:
        entry = await session.get(LedgerEntry, data.get("entry_id")) if data.get("entry_id") else None
        if entry is None or entry.account_id != account.id:
            raise AdjustmentDenied(_("Choose the fee to waive."), field="entry_id")
        waived = await session.scalar(
            select(func.count()).where(
                Adjustment.account_id == account.id,
                Adjustment.kind == AdjustmentKind.FEE_WAIVER,
                Adjustment.status != AdjustmentStatus.REJECTED,
                Adjustment.inputs["entry_id"].as_integer() == entry.id,
            )
        )
        reversed_ = await session.scalar(select(func.count()).where(LedgerEntry.reverses_id == entry.id))
        inputs = {"entry_id": entry.id, "fee_cents": entry.amount_cents, "memo": entry.memo}
        bill_id = entry.bill_id
        result = rules.fee_waiver(
            fee_cents=entry.amount_cents, fee_kind=entry.kind.value, already_waived=bool(waived or reversed_)
        )
    elif kind == AdjustmentKind.METER_ACCURACY:
        test = await session.get(MeterTest, data.get("meter_test_id")) if data.get("meter_test_id") else None
        meter = await session.get(Meter, test.meter_id) if test is not None else None
        if test is None or meter is None or meter.premise_id != account.premise_id:
            raise AdjustmentDenied(_("Choose a test of this account's meter."), field="meter_test_id")
        last_passed = await meters.last_passed_before(session, meter.id, test.tested_on, test.id)
        billed = await usage_charges(session, account.id)
        inputs = {
            "meter_test_id": test.id,
            "average_tenths": round((test.low_tenths + test.mid_tenths + test.high_tenths) / 3),
            "last_passed_on": last_passed,
            "billed_usage": [[end.isoformat(), cents] for end, cents in billed],
        }
        result = rules.meter_accuracy(
            policy,
            tested_on=test.tested_on,
            average_tenths=inputs["average_tenths"],
            last_passed_on=last_passed,
            billed_usage=billed,
        )
    else:  # pragma: no cover - the form offers only the kinds above
        raise AdjustmentDenied(_("Choose a kind of adjustment."))
    return result, inputs, bill_id


async def preview(
    session: AsyncSession, account: Account, kind: AdjustmentKind, data: dict[str, Any], today: dt.date, policy: Policy
) -> dict[str, Any]:
    """What the adjustment would be, before the CSR submits it: the result and whether a supervisor must approve."""
    result, _inputs, _bill = await calculate(session, account, kind, data, today, policy)
    return {"result": result, "needs_approval": rules.needs_approval(policy, result.amount_cents)}


async def request(
    session: AsyncSession,
    actor: Actor,
    account: Account,
    kind: AdjustmentKind,
    data: dict[str, Any],
    reason: str,
    today: dt.date,
    policy: Policy,
) -> Adjustment:
    """Compute and record an adjustment: posted now, or waiting for a supervisor when over the threshold."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why, in words the customer would understand."), field="reason")
    result, inputs, bill_id = await calculate(session, account, kind, data, today, policy)
    pending = rules.needs_approval(policy, result.amount_cents)
    adjustment = Adjustment(
        account_id=account.id,
        kind=kind,
        status=AdjustmentStatus.PENDING_APPROVAL if pending else AdjustmentStatus.POSTED,
        amount_cents=result.amount_cents,
        reason=reason[:500],
        explanation=result.english[:500],
        inputs=_plain({**inputs, "explanation": {"key": result.key, "values": result.values}}),
        bill_id=bill_id,
        effective_on=today,
        requested_by_id=actor.user_id,
    )
    session.add(adjustment)
    await session.flush()
    await audit.record(
        session,
        actor,
        "adjustment.request",
        "adjustment",
        adjustment.id,
        account_id=account.id,
        after={"kind": kind, "amount_cents": result.amount_cents, "status": adjustment.status, "reason": reason},
    )
    if not pending:
        await _post(session, actor, adjustment, today)
    return adjustment


async def _post(session: AsyncSession, actor: Actor, adjustment: Adjustment, today: dt.date) -> None:
    posting = await ledger.post(
        session,
        actor,
        account_id=adjustment.account_id,
        kind=LedgerKind.ADJUSTMENT,
        amount_cents=adjustment.amount_cents,
        source_key=f"adjustment:{adjustment.id}",
        effective_on=today,
        memo=ledger_words.memo("adjustment", adjustment=adjustment.kind, reason=adjustment.reason),
        bill_id=adjustment.bill_id,
    )
    adjustment.ledger_entry_id = posting.entry.id
    adjustment.status = AdjustmentStatus.POSTED
    await session.flush()
    await service_state.close_settled(session, actor, [adjustment.account_id], today=today)
    await workorders.cancel_if_excluded(session, actor, [adjustment.account_id], today)  # a credit may clear arrears


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, dt.date) else value for key, value in values.items()}


async def decide(
    session: AsyncSession, actor: Actor, adjustment_id: int, *, approve: bool, note: str, today: dt.date
) -> Adjustment:
    """A supervisor other than the requester approves (posts) or rejects a waiting adjustment, once."""
    adjustment = await approval.waiting_to_decide(
        session,
        Adjustment,
        adjustment_id,
        actor,
        AdjustmentStatus.PENDING_APPROVAL,
        missing=_("No such adjustment."),
        decided=_("This adjustment was already decided."),
        denied=AdjustmentDenied,
    )
    before = {"status": adjustment.status}
    approval.stamp_decision(adjustment, actor, note)
    if approve:
        await _post(session, actor, adjustment, today)
    else:
        adjustment.status = AdjustmentStatus.REJECTED
        await session.flush()
    await audit.record(
        session,
        actor,
        "adjustment.approve" if approve else "adjustment.reject",
        "adjustment",
        adjustment.id,
        account_id=adjustment.account_id,
        before=before,
        after={"status": adjustment.status, "note": adjustment.decision_note},
    )
    return adjustment


async def waiting(session: AsyncSession) -> list[approval.Waiting]:
    return await approval.waiting(session, Adjustment, AdjustmentStatus.PENDING_APPROVAL)
