"""Read corrections and cancel-and-rebill requests, one transaction each with its audit rows.

A CSR enters an office or customer-reported read, corrects a wrong one, or rebills a bill after fixing the account's
records. When the change touches billed periods, those bills are cancelled and rebilled (`rebill.replace`); when the
rebill would move the balance by more than `rebill_supervisor_threshold_cents`, nothing is changed yet: the request
waits in the supervisors' queue with its preview, and approving applies the change and rebills then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import approval, audit, service_state, workorders
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict, DomainError, NotFound
from portal.accounts.models import (
    Account,
    Bill,
    BillCorrection,
    CorrectionKind,
    CorrectionStatus,
    Meter,
    MeterRead,
    Premise,
    ReadSource,
)
from portal.accounts.policy import Policy
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext
from portal.settings import DEFAULT_TIMEZONE

from . import compute as c
from . import rebill, run

ENTERED_SOURCES = (ReadSource.OFFICE, ReadSource.CUSTOMER)

# What the resident reads beside a cancelled bill and its replacement (the CSR's own words follow).
REASON_WORDS = {
    CorrectionKind.READ_CORRECTED.value: lazy_gettext("A meter read on this bill was wrong and has been corrected."),
    CorrectionKind.READ_ENTERED.value: lazy_gettext("A meter read was added for this period."),
    CorrectionKind.RECORDS.value: lazy_gettext("Your account's details were corrected."),
}


def read_refusal(value: int | None, dials: int, read_on: dt.date | None, today: dt.date) -> str | None:
    """Why a read cannot be recorded as given, or None: a whole number the meter's dials can show, on a day that has
    come."""
    if value is None or value < 0:
        return _("Enter the reading as a whole number.")
    if value >= 10**dials:
        return _("This meter shows at most %(dials)d digits.", dials=dials)
    if read_on is not None and read_on > today:
        return _("A read cannot be dated in the future.")
    return None


@dataclass(frozen=True)
class Preview:
    bills: list[tuple[Bill, int]]  # each bill with its new total
    old_cents: int
    new_cents: int
    needs_approval: bool
    held: str | None = None  # why the engine cannot bill it so (a code), when it cannot
    redone: tuple[rebill.Recomputed, ...] = ()  # the engine's results, reused when applied in the same transaction

    @property
    def difference_cents(self) -> int:
        return self.new_cents - self.old_cents


async def _lock(session: AsyncSession, account: Account) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(Account.id).where(Account.id == account.id).with_for_update())


async def meters_of(session: AsyncSession, account: Account) -> list[Meter]:
    """The meters an account is billed from: its premise's, or its building's master meter."""
    premise = await session.get(Premise, account.premise_id)
    premises = [account.premise_id] + ([premise.parent_id] if premise is not None and premise.parent_id else [])
    return list(await session.scalars(select(Meter).where(Meter.premise_id.in_(premises)).order_by(Meter.id)))


async def bills_in_force(session: AsyncSession, account_id: int) -> list[Bill]:
    return list(
        await session.scalars(
            select(Bill).where(Bill.account_id == account_id, Bill.cancelled_on.is_(None)).order_by(Bill.period_end)
        )
    )


def _rows(bills: list[Bill]) -> list[rebill.BillRow]:
    return [rebill.BillRow(b.id, b.period_start, b.period_end, b.prev_read_id, b.curr_read_id) for b in bills]


async def _read_of(session: AsyncSession, account: Account, read_id: int) -> tuple[MeterRead, Meter]:
    read = await session.get(MeterRead, read_id)
    meters = {m.id: m for m in await meters_of(session, account)}
    if read is None or read.meter_id not in meters:
        raise NotFound(_("No such read on this account's meter."))
    if read.source == ReadSource.ESTIMATED:
        raise DomainError(_("An estimate is not corrected: enter the actual read instead."), field="read_id")
    return read, meters[read.meter_id]


def _read_at(day: dt.date, timezone: str) -> dt.datetime:
    """An entered read is dated at noon of its day on the utility's clock (as the bill run dates its estimates)."""
    return dt.datetime.combine(day, dt.time(12), ZoneInfo(timezone)).astimezone(dt.UTC)


async def _plan(
    session: AsyncSession, account: Account, kind: CorrectionKind, change: dict[str, Any], timezone: str
) -> tuple[list[Bill], rebill.Overrides]:
    """The bills a change touches (oldest first) and the change as preview overrides."""
    bills = await bills_in_force(session, account.id)
    by_id = {b.id: b for b in bills}
    if kind == CorrectionKind.READ_CORRECTED:
        ids = rebill.bills_touched_by_read(_rows(bills), int(change["read_id"]))
        overrides = rebill.Overrides(values={int(change["read_id"]): int(change["value"])})
    elif kind == CorrectionKind.READ_ENTERED:
        day = dt.date.fromisoformat(str(change["read_on"]))
        ids = rebill.bills_touched_by_new_read(_rows(bills), day)
        read_at = _read_at(day, timezone)
        overrides = rebill.Overrides(
            new_reads=((int(change["meter_id"]), int(change["value"]), read_at, str(change["source"])),)
        )
    else:
        ids = [int(i) for i in change.get("bill_ids", [])]
        if any(i not in by_id for i in ids):
            raise DomainError(_("Choose one of this account's bills in force."), field="bill_id")
        overrides = rebill.Overrides()
    return [by_id[i] for i in ids], overrides


async def preview(
    session: AsyncSession,
    account: Account,
    kind: CorrectionKind,
    change: dict[str, Any],
    policy: Policy,
    timezone: str = DEFAULT_TIMEZONE,
) -> Preview:
    """What the change would do to the bills it touches, computed by the engine; nothing is written."""
    bills, overrides = await _plan(session, account, kind, change, timezone)
    book = await run.load_rates(session)
    results: list[tuple[Bill, int]] = []
    computed: list[rebill.Recomputed] = []
    opening: c.Read | None = None
    try:
        for bill in bills:
            step = rebill.Overrides(overrides.values, overrides.new_reads, opening)
            redone = await rebill.recompute(session, bill, policy, overrides=step, timezone=timezone, book=book)
            results.append((bill, redone.bill.total_cents))
            computed.append(redone)
            opening = redone.data.curr_read
    except c.BillHeld as held:
        return Preview([], 0, 0, False, held=held.reason)
    old = sum(b.total_cents for b, _new in results)
    new = sum(total for _b, total in results)
    return Preview(results, old, new, rebill.needs_approval(policy, new - old), redone=tuple(computed))


HELD_WORDS = {
    "negative_usage": lazy_gettext("With this read the meter would have run backwards: check the reading."),
    "no_meter": lazy_gettext("This account has no meter to bill water from."),
}


def held_message(reason: str) -> str:
    words = HELD_WORDS.get(reason.split(":")[0])
    return str(words) if words else _("The bill cannot be computed so (%(reason)s).", reason=reason)


async def request(
    session: AsyncSession,
    actor: Actor,
    account: Account,
    kind: CorrectionKind,
    change: dict[str, Any],
    reason: str,
    today: dt.date,
    policy: Policy,
    timezone: str = DEFAULT_TIMEZONE,
) -> BillCorrection:
    """Record a correction: applied now (read changed, touched bills cancelled and rebilled), or held for a
    supervisor when the rebill moves the balance by more than the threshold. Refuses a change the engine cannot
    bill (a read that runs the meter backwards) with nothing written."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why, in words the customer would understand."), field="reason")
    await _lock(session, account)
    change = await _checked(session, account, kind, change, today)
    result = await preview(session, account, kind, change, policy, timezone)
    if result.held:
        raise DomainError(held_message(result.held), field="value")
    if kind == CorrectionKind.RECORDS and not result.bills:
        raise DomainError(_("Choose the bill to cancel and rebill."), field="bill_id")
    correction = BillCorrection(
        account_id=account.id,
        kind=kind,
        status=CorrectionStatus.PENDING_APPROVAL if result.needs_approval else CorrectionStatus.DONE,
        reason=reason[:500],
        change=change,
        bill_ids=[b.id for b, _new in result.bills],
        old_total_cents=result.old_cents,
        new_total_cents=result.new_cents,
        amount_cents=result.difference_cents,
        requested_by_id=actor.user_id,
    )
    session.add(correction)
    await session.flush()
    await audit.record(
        session,
        actor,
        "bill_correction.request",
        "bill_correction",
        correction.id,
        account_id=account.id,
        after={
            "kind": kind,
            "change": change,
            "bills": correction.bill_ids,
            "old_total_cents": result.old_cents,
            "new_total_cents": result.new_cents,
            "status": correction.status,
            "reason": reason,
        },
    )
    if not result.needs_approval:
        await _apply(session, actor, account, correction, today, policy, timezone, result.redone)
    return correction


async def _checked(
    session: AsyncSession, account: Account, kind: CorrectionKind, change: dict[str, Any], today: dt.date
) -> dict[str, Any]:
    """The change with what it refers to checked (the read is this account's, the value fits the meter), as JSON."""
    if kind == CorrectionKind.READ_CORRECTED:
        read, meter = await _read_of(session, account, int(change.get("read_id") or 0))
        value = change.get("value")
        refusal = read_refusal(value, meter.dials, None, today)
        if refusal:
            raise DomainError(refusal, field="value")
        if value == read.value:
            raise DomainError(_("The reading is the same as the one recorded."), field="value")
        return {"read_id": read.id, "value": value, "was": read.value, "meter_id": meter.id}
    if kind == CorrectionKind.READ_ENTERED:
        meters = {m.id: m for m in await meters_of(session, account) if m.removed_on is None}
        chosen = meters.get(int(change.get("meter_id") or 0))
        if chosen is None:
            raise DomainError(_("Choose this account's meter."), field="meter_id")
        meter = chosen
        read_on = change.get("read_on")
        if not isinstance(read_on, dt.date):
            raise DomainError(_("Enter the day of the read."), field="read_on")
        if read_on > today:
            raise DomainError(_("A read cannot be dated in the future."), field="read_on")
        refusal = read_refusal(change.get("value"), meter.dials, read_on, today)
        if refusal:
            raise DomainError(refusal, field="value")
        source = ReadSource(str(change.get("source") or ReadSource.OFFICE))
        if source not in ENTERED_SOURCES:
            raise DomainError(_("Choose who reported the read."), field="source")
        return {"meter_id": meter.id, "value": change["value"], "read_on": read_on.isoformat(), "source": source.value}
    return {"bill_ids": [int(i) for i in change.get("bill_ids", [])]}


async def _apply(
    session: AsyncSession,
    actor: Actor,
    account: Account,
    correction: BillCorrection,
    today: dt.date,
    policy: Policy,
    timezone: str,
    previewed: tuple[rebill.Recomputed, ...] = (),
) -> None:
    """Write the change, then cancel and rebill each touched bill, oldest first (the next one opens on the first's
    replacement). `previewed`: the preview's results in this same transaction, reused rather than computed again."""
    change = correction.change
    new_read_id: int | None = None
    if not previewed and correction.kind != CorrectionKind.RECORDS:  # bills billed since the request are touched too
        touched, _overrides = await _plan(session, account, correction.kind, change, timezone)
        correction.bill_ids = [b.id for b in touched]
    if correction.kind == CorrectionKind.READ_CORRECTED:
        read = await session.get(MeterRead, int(change["read_id"]))
        if read is None:  # pragma: no cover - reads are never deleted
            raise NotFound(_("No such read on this account's meter."))
        before = {"value": read.value, "flags": list(read.flags)}
        read.value = int(change["value"])
        read.flags = [*[f for f in read.flags if f != "corrected"], "corrected"]
        read.note = (f"corrected from {before['value']}: {correction.reason}")[:500]
        await audit.record(
            session,
            actor,
            "meter_read.correct",
            "meter_read",
            read.id,
            account_id=account.id,
            before=before,
            after={"value": read.value, "flags": read.flags, "reason": correction.reason},
        )
    elif correction.kind == CorrectionKind.READ_ENTERED:
        read = MeterRead(
            meter_id=int(change["meter_id"]),
            value=int(change["value"]),
            read_at=_read_at(dt.date.fromisoformat(str(change["read_on"])), timezone),
            source=ReadSource(str(change["source"])),
            flags=[],
            reader_id=actor.user_id,
            note=correction.reason[:500],
        )
        session.add(read)
        await session.flush()
        new_read_id = read.id
        await audit.record(
            session,
            actor,
            "meter_read.enter",
            "meter_read",
            read.id,
            account_id=account.id,
            after={"value": read.value, "read_on": change["read_on"], "source": read.source},
        )
    await session.flush()
    book = await run.load_rates(session)
    old = new = 0
    for index, bill_id in enumerate(correction.bill_ids):
        redone = previewed[index] if index < len(previewed) else None
        if redone is not None and new_read_id is not None:
            redone = rebill.with_read_id(redone, new_read_id)
        original = await session.get(Bill, int(bill_id))
        if original is None or original.cancelled_on is not None:
            raise Conflict(_("A bill of this correction was already cancelled and rebilled."), code="already_rebilled")
        try:
            replacement = await rebill.replace(
                session,
                actor,
                original,
                policy,
                today,
                kind=correction.kind.value,
                reason=correction.reason,
                correction_id=correction.id,
                timezone=timezone,
                book=book,
                redone=redone,
            )
        except c.BillHeld as held:
            raise DomainError(held_message(held.reason), field="value") from held
        old += original.total_cents
        new += replacement.total_cents
    correction.old_total_cents, correction.new_total_cents, correction.amount_cents = old, new, new - old
    correction.status = CorrectionStatus.DONE
    correction.done_on = today
    await session.flush()
    if correction.bill_ids:
        await service_state.close_settled(session, actor, [account.id], today=today)
        if correction.amount_cents < 0:  # a credit may clear the arrears behind an open disconnect order
            await workorders.cancel_if_excluded(session, actor, [account.id], today)


async def decide(
    session: AsyncSession,
    actor: Actor,
    correction_id: int,
    *,
    approve: bool,
    note: str,
    today: dt.date,
    policy: Policy,
    timezone: str = DEFAULT_TIMEZONE,
) -> BillCorrection:
    """A supervisor other than the requester approves (applies and rebills) or rejects a waiting correction, once."""
    correction: BillCorrection = await approval.waiting_to_decide(
        session,
        BillCorrection,
        correction_id,
        actor,
        CorrectionStatus.PENDING_APPROVAL,
        missing=_("No such correction."),
        decided=_("This correction was already decided."),
    )
    approval.stamp_decision(correction, actor, note)
    if approve:
        account = await session.get(Account, correction.account_id)
        assert account is not None
        await _lock(session, account)
        await _apply(session, actor, account, correction, today, policy, timezone)
    else:
        correction.status = CorrectionStatus.REJECTED
        await session.flush()
    await audit.record(
        session,
        actor,
        "bill_correction.approve" if approve else "bill_correction.reject",
        "bill_correction",
        correction.id,
        account_id=correction.account_id,
        before={"status": CorrectionStatus.PENDING_APPROVAL},
        after={"status": correction.status, "note": correction.decision_note, "amount_cents": correction.amount_cents},
    )
    return correction


async def waiting(session: AsyncSession) -> list[approval.Waiting]:
    return await approval.waiting(session, BillCorrection, CorrectionStatus.PENDING_APPROVAL)


# ---- what the resident and the account page show ----------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """Beside a bill: it was cancelled (and which bill replaces it), or it replaces one; and why."""

    cancelled_on: dt.date | None
    replaced_by: int | None
    replaces: int | None
    reason_words: str
    note: str


def _words(document: dict[str, Any]) -> tuple[str, str]:
    info = document.get("rebill") or {}
    words = REASON_WORDS.get(str(info.get("kind")))
    return (str(words) if words else ""), str(info.get("reason") or "")


async def notices(session: AsyncSession, bills: list[Bill]) -> dict[int, Notice]:
    """Notices for the bills given that were cancelled or that replace another (one query for the replacements)."""
    cancelled = [b.id for b in bills if b.cancelled_on is not None]
    replacements = {
        b.replaces_id: b
        for b in (await session.scalars(select(Bill).where(Bill.replaces_id.in_(cancelled))) if cancelled else [])
    }
    found: dict[int, Notice] = {}
    for bill in bills:
        if bill.cancelled_on is not None:
            successor = replacements.get(bill.id)
            words, note = _words(successor.document) if successor is not None else ("", "")
            found[bill.id] = Notice(bill.cancelled_on, successor.id if successor else None, None, words, note)
        elif bill.replaces_id is not None:
            words, note = _words(bill.document)
            found[bill.id] = Notice(None, None, bill.replaces_id, words, note)
    return found


async def for_account(session: AsyncSession, account_id: int, limit: int = 20) -> list[BillCorrection]:
    return list(
        await session.scalars(
            select(BillCorrection)
            .where(BillCorrection.account_id == account_id)
            .order_by(BillCorrection.created_at.desc(), BillCorrection.id.desc())
            .limit(limit)
        )
    )
