"""The collection agency (docs/features.md, Collection agency; the rules in docs/policies.md#collection-agency).

- `candidates`: final accounts past the placement age that owe more than the minimum and were never placed, each
  with the rule's verdict (`collection_rules.placement_refusal`): eligible, or held back by a hold.
- `make_batch`: the day's placement file. One batch per business date (the unique key: making it again that day
  finds it and places nothing). For each account: one `write_off` ledger entry of its balance (source key
  `write_off:<account>`), its `collection_placement` row (one per account, ever), the status `collections` and one
  audit row; then the CSV for the agency, every text cell guarded against formula injection.
- `record_recovery`: what the agency collected (gross, its fee, its remittance reference): a `write_off_recovery`
  of the gross puts it back on the receivables, an `agency_fee` credit of the fee (the utility's expense, never
  charged to the customer) and the net through `payments.post_payment` (method "agency") take it off again, so the
  account stays at 0 and the general ledger moves the gross out of bad debt, the fee into agency fees and the net
  into cash. The same reference again records nothing.
- A payment made to the utility while placed (any channel) is recorded against the placement as a direct payment
  by payments.post_payment through agency_direct (owed again, then paid; no fee), for staff to tell the agency.
- `recall`: the placement taken back; what is still placed is owed to the utility again and the account is final.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _

from . import agency_direct, audit, collection_rules, csv_cells, holds, ledger, ledger_words, payments
from .actor import Actor
from .errors import Conflict, DomainError, NotFound
from .models import (
    Account,
    AccountStatus,
    Bill,
    CollectionPlacement,
    CollectionRecovery,
    Customer,
    LedgerEntry,
    LedgerKind,
    PlacementBatch,
    PlacementStatus,
    Premise,
)
from .policy import Policy

MAX_PER_FILE = 5_000  # accounts in one placement file: a bound, not a policy (more wait for the next day's file)
CSV_COLUMNS = (
    "account_number",
    "name",
    "mailing_address",
    "phone",
    "email",
    "amount",
    "final_bill_date",
    "last_payment_date",
)


@dataclass(frozen=True)
class Candidate:
    account_id: int
    number: str
    name: str
    mailing_address: str
    phone: str
    email: str
    balance_cents: int
    final_bill_on: dt.date
    final_due_on: dt.date
    last_payment_on: dt.date | None
    refusal: str | None  # None: it goes into the file; else a hold's code (bankruptcy, dispute)


async def candidates(session: AsyncSession, policy: Policy, today: dt.date) -> list[Candidate]:
    """The final accounts past the placement age owing more than the minimum and never placed, in account-number
    order, each with the rule's verdict: eligible (refusal None) or held back (a hold)."""
    latest_due = today - dt.timedelta(days=policy.collection_placement_days)
    final = (
        select(
            Bill.account_id,
            func.max(Bill.due_date).label("due_on"),
            func.max(Bill.bill_date).label("billed_on"),
        )
        .where(Bill.final.is_(True), Bill.cancelled_on.is_(None))
        .group_by(Bill.account_id)
        .subquery()
    )
    balance = (
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.account_id == Account.id)
        .correlate(Account)
        .scalar_subquery()
    )
    rows = list(
        await session.execute(
            select(Account, Customer, Premise, final.c.due_on, final.c.billed_on, balance.label("balance"))
            .join(Customer, Customer.id == Account.customer_id)
            .join(Premise, Premise.id == Account.premise_id)
            .join(final, final.c.account_id == Account.id)
            .where(
                Account.status.in_(collection_rules.PLACEABLE),
                final.c.due_on <= latest_due,
                ~exists().where(CollectionPlacement.account_id == Account.id),
                balance > policy.collection_minimum_cents,
            )
            .order_by(Account.number)
            .limit(MAX_PER_FILE)
        )
    )
    paid_on = await last_payments(session, [row[0].id for row in rows])
    open_cases = await holds.case_facts(session, [row[0].id for row in rows])
    found = []
    for account, customer, premise, due_on, billed_on, owed in rows:
        facts = collection_rules.PlacementFacts(
            status=account.status,
            balance_cents=int(owed),
            final_due_on=due_on,
            placed_before=False,
            bankruptcy_hold=open_cases[account.id].bankruptcy,
            dispute_pending=open_cases[account.id].disputed_cents > 0,
        )
        refusal = collection_rules.placement_refusal(policy, facts, today)
        if refusal not in (None, "bankruptcy", "dispute"):  # pragma: no cover - the query already keeps these out
            continue
        address = " ".join((customer.mailing_address or "").split()) or premise.one_line
        found.append(
            Candidate(
                account.id,
                account.number,
                customer.display_name,
                address,
                customer.phone or "",
                customer.email or "",
                int(owed),
                billed_on,
                due_on,
                paid_on.get(account.id),
                refusal,
            )
        )
    return found


async def last_payments(session: AsyncSession, account_ids: Sequence[int]) -> dict[int, dt.date]:
    if not account_ids:
        return {}
    return dict(
        (
            await session.execute(
                select(LedgerEntry.account_id, func.max(LedgerEntry.effective_on))
                .where(LedgerEntry.account_id.in_(list(account_ids)), ledger.payment_in_force())
                .group_by(LedgerEntry.account_id)
            )
        ).all()
    )


def _dollars(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def placement_csv(placed: Sequence[Candidate]) -> str:
    """The agency's file: one line per account, money as dollars with two decimals, dates ISO, every text cell read
    as text by a spreadsheet (csv_cells.safe_text)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for c in placed:
        writer.writerow(
            [
                csv_cells.safe_text(c.number),
                csv_cells.safe_text(c.name),
                csv_cells.safe_text(c.mailing_address),
                csv_cells.safe_text(c.phone),
                csv_cells.safe_text(c.email),
                _dollars(c.balance_cents),
                c.final_bill_on.isoformat(),
                c.last_payment_on.isoformat() if c.last_payment_on else "",
            ]
        )
    return out.getvalue()


@dataclass(frozen=True)
class BatchMade:
    batch: PlacementBatch
    created: bool  # False: today's file had been made already; nothing changed


async def make_batch(session: AsyncSession, actor: Actor, policy: Policy, today: dt.date) -> BatchMade:
    """Today's placement file (see the module's doc). Raises DomainError when no account is eligible."""
    existing = await batch_on(session, today)
    if existing is not None:
        return BatchMade(existing, created=False)
    eligible = [c for c in await candidates(session, policy, today) if c.refusal is None]
    if eligible and session.get_bind().dialect.name == "postgresql":
        # Lock the accounts, then take the balances again: a payment posted meanwhile is not written off.
        await session.execute(
            select(Account.id).where(Account.id.in_([c.account_id for c in eligible])).with_for_update()
        )
        now_owed = await ledger.balances(session, [c.account_id for c in eligible])
        eligible = [c for c in eligible if now_owed[c.account_id] == c.balance_cents]
    if not eligible:
        raise DomainError(_("No account is due for the collection agency today."), code="nothing_to_place")
    batch = PlacementBatch(
        made_on=today,
        agency=policy.collection_agency_name,
        count=len(eligible),
        total_cents=sum(c.balance_cents for c in eligible),
        made_by_id=actor.user_id,
        made_by_label=actor.label[:120],
        csv_text=placement_csv(eligible),
    )
    try:
        async with session.begin_nested():
            session.add(batch)
            await session.flush()
    except IntegrityError:  # another supervisor made today's file meanwhile
        again = await batch_on(session, today)
        if again is None:  # pragma: no cover - the unique key was taken by that very batch
            raise
        return BatchMade(again, created=False)
    memo = ledger_words.memo("write_off", agency=policy.collection_agency_name, placed_on=today.isoformat())
    created = await ledger.post_many(
        session,
        actor,
        [
            ledger.NewEntry(
                c.account_id, LedgerKind.WRITE_OFF, -c.balance_cents, f"write_off:{c.account_id}", today, memo
            )
            for c in eligible
        ],
    )
    ids = [c.account_id for c in eligible]
    accounts = {a.id: a for a in await session.scalars(select(Account).where(Account.id.in_(ids)))}
    events = []
    for c in eligible:
        entry_id = created.get(f"write_off:{c.account_id}")
        if entry_id is None:  # pragma: no cover - one placement per account keeps the key unused
            raise Conflict(_("Account %(number)s was written off already.", number=c.number), code="key_reused")
        account = accounts[c.account_id]
        before = account.status
        account.status = AccountStatus.COLLECTIONS
        session.add(
            CollectionPlacement(
                account_id=c.account_id,
                batch_id=batch.id,
                agency=batch.agency,
                placed_on=today,
                amount_cents=c.balance_cents,
                status=PlacementStatus.PLACED,
                status_before=before.value,
                write_off_entry_id=entry_id,
            )
        )
        events.append(
            {
                "action": "collections.place",
                "entity_type": "account",
                "entity_id": c.account_id,
                "account_id": c.account_id,
                "before": {"status": before.value, "balance_cents": c.balance_cents},
                "after": {
                    "status": AccountStatus.COLLECTIONS.value,
                    "agency": batch.agency,
                    "batch_id": batch.id,
                    "amount_cents": c.balance_cents,
                    "placed_on": today.isoformat(),
                },
            }
        )
    await session.flush()
    await audit.record_many(session, actor, events)
    await audit.record(
        session,
        actor,
        "collections.batch",
        "placement_batch",
        batch.id,
        after={"made_on": today.isoformat(), "count": batch.count, "total_cents": batch.total_cents},
    )
    return BatchMade(batch, created=True)


async def batch_on(session: AsyncSession, day: dt.date) -> PlacementBatch | None:
    return await session.scalar(select(PlacementBatch).where(PlacementBatch.made_on == day))


async def recent_batches(session: AsyncSession, limit: int = 24) -> list[PlacementBatch]:
    return list(await session.scalars(select(PlacementBatch).order_by(PlacementBatch.made_on.desc()).limit(limit)))


async def batch_with_file(session: AsyncSession, batch_id: int) -> PlacementBatch | None:
    batch = await session.get(PlacementBatch, batch_id)
    if batch is not None:
        await session.refresh(batch, ["csv_text"])
    return batch


def file_name(batch: PlacementBatch) -> str:
    return f"placement-{batch.made_on.isoformat()}.csv"


# ---- one placement: what is left, recoveries and recall --------------------------------------------------------


@dataclass(frozen=True)
class PlacementView:
    placement: CollectionPlacement
    number: str
    name: str
    recovered_cents: int
    fees_cents: int
    recoveries: tuple[CollectionRecovery, ...]

    @property
    def outstanding_cents(self) -> int:
        return max(self.placement.amount_cents - self.recovered_cents, 0)

    @property
    def direct(self) -> tuple[CollectionRecovery, ...]:
        """The payments made to the utility while placed (agency_direct): the agency is to be told of them."""
        return tuple(r for r in self.recoveries if agency_direct.is_direct(r))

    @property
    def direct_cents(self) -> int:
        return sum(r.gross_cents for r in self.direct)

    @property
    def by_agency(self) -> tuple[CollectionRecovery, ...]:
        return tuple(r for r in self.recoveries if not agency_direct.is_direct(r))


async def placements(session: AsyncSession, *, limit: int = 50) -> list[PlacementView]:
    """The newest placements, each with what the agency collected on it (two queries)."""
    rows = list(
        await session.execute(
            select(CollectionPlacement, Account.number, Customer)
            .join(Account, Account.id == CollectionPlacement.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .order_by(CollectionPlacement.placed_on.desc(), CollectionPlacement.id.desc())
            .limit(limit)
        )
    )
    sums = await _recovered(session, [p.id for p, _n, _c in rows])
    return [
        PlacementView(p, number, customer.display_name, *sums.get(p.id, (0, 0)), ()) for p, number, customer in rows
    ]


async def _recovered(session: AsyncSession, placement_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not placement_ids:
        return {}
    return {
        pid: (int(gross), int(fee))
        for pid, gross, fee in await session.execute(
            select(
                CollectionRecovery.placement_id,
                func.sum(CollectionRecovery.gross_cents),
                func.sum(CollectionRecovery.fee_cents),
            )
            .where(CollectionRecovery.placement_id.in_(placement_ids))
            .group_by(CollectionRecovery.placement_id)
        )
    }


async def placement_view(session: AsyncSession, placement_id: int, *, lock: bool = False) -> PlacementView:
    query = select(CollectionPlacement).where(CollectionPlacement.id == placement_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    placement = await session.scalar(query)
    if placement is None:
        raise NotFound(_("No such placement."))
    account = await session.get(Account, placement.account_id)
    customer = await session.get(Customer, account.customer_id) if account else None
    recoveries = tuple(
        await session.scalars(
            select(CollectionRecovery)
            .where(CollectionRecovery.placement_id == placement.id)
            .order_by(CollectionRecovery.received_on, CollectionRecovery.id)
        )
    )
    return PlacementView(
        placement,
        account.number if account else "",
        customer.display_name if customer else "",
        sum(r.gross_cents for r in recoveries),
        sum(r.fee_cents for r in recoveries),
        recoveries,
    )


async def placement_of(session: AsyncSession, account_id: int) -> CollectionPlacement | None:
    """The account's placement, if it was ever placed (the strip and the account page show it)."""
    return await session.scalar(select(CollectionPlacement).where(CollectionPlacement.account_id == account_id))


@dataclass(frozen=True)
class RecoveryRecorded:
    recovery: CollectionRecovery
    created: bool  # False: this reference was recorded already; nothing changed


async def record_recovery(
    session: AsyncSession,
    actor: Actor,
    placement_id: int,
    *,
    gross_cents: int,
    fee_cents: int,
    reference: str,
    received_on: dt.date,
    today: dt.date,
    timezone: str,
    policy: Policy | None = None,
) -> RecoveryRecorded:
    """Record money the agency collected on a placement (see the module's doc)."""
    reference = reference.strip()
    if not reference or len(reference) > 64:
        raise DomainError(_("Enter the agency's remittance reference (up to 64 characters)."), field="reference")
    if reference.lower().startswith(agency_direct.PREFIX):  # the references of payments made to the utility
        raise DomainError(
            _("A remittance reference may not start with %(prefix)s.", prefix="direct:"), field="reference"
        )
    view = await placement_view(session, placement_id, lock=True)
    placement = view.placement
    same = next((r for r in view.recoveries if r.reference == reference), None)
    if same is not None:
        if same.gross_cents != gross_cents or same.fee_cents != fee_cents:
            raise Conflict(
                _("Reference %(reference)s was recorded with other amounts.", reference=reference),
                code="key_reused",
            )
        return RecoveryRecorded(same, created=False)
    if placement.status != PlacementStatus.PLACED:
        raise Conflict(_("This placement is not with the agency any more."), code="not_placed")
    if (await holds.case_facts(session, [placement.account_id]))[placement.account_id].bankruptcy:
        raise Conflict(
            _("An open bankruptcy case holds this balance: the agency must not collect while the case is open."),
            code="bankruptcy",
        )
    if received_on > today or received_on < placement.placed_on:
        raise DomainError(_("The date must be between the placement and today."), field="received_on")
    refusal = collection_rules.recovery_refusal(
        outstanding_cents=view.outstanding_cents, gross_cents=gross_cents, fee_cents=fee_cents
    )
    if refusal:
        raise DomainError(refusal, field="gross")
    recovery = CollectionRecovery(
        placement_id=placement.id,
        reference=reference,
        received_on=received_on,
        gross_cents=gross_cents,
        fee_cents=fee_cents,
        recorded_by_id=actor.user_id,
    )
    try:
        async with session.begin_nested():
            session.add(recovery)
            await session.flush()
    except IntegrityError:
        raise Conflict(
            _("Reference %(reference)s was just recorded.", reference=reference), code="key_reused"
        ) from None
    key = f"{placement.id}:{reference}"
    await ledger.post(
        session,
        actor,
        account_id=placement.account_id,
        kind=LedgerKind.WRITE_OFF_RECOVERY,
        amount_cents=gross_cents,
        source_key=f"agency_recovery:{key}",
        effective_on=received_on,
        memo=ledger_words.memo("agency_recovery", agency=placement.agency, reference=reference),
    )
    if fee_cents:
        await ledger.post(
            session,
            actor,
            account_id=placement.account_id,
            kind=LedgerKind.AGENCY_FEE,
            amount_cents=-fee_cents,
            source_key=f"agency_fee:{key}",
            effective_on=received_on,
            memo=ledger_words.memo("agency_fee", agency=placement.agency, reference=reference),
        )
    await payments.post_payment(
        session,
        actor,
        account_id=placement.account_id,
        amount_cents=gross_cents - fee_cents,
        source_key=f"agency:{key}",
        method="agency",
        paid_at=dt.datetime.combine(received_on, dt.time(12), ZoneInfo(timezone)),
        timezone=timezone,
        reference=reference,
        policy=policy,
    )
    status = collection_rules.status_after(placement.amount_cents, view.recovered_cents + gross_cents)
    await audit.record(
        session,
        actor,
        "collections.recovery",
        "collection_placement",
        placement.id,
        account_id=placement.account_id,
        before={"status": placement.status.value, "recovered_cents": view.recovered_cents},
        after={
            "status": status.value,
            "reference": reference,
            "received_on": received_on.isoformat(),
            "gross_cents": gross_cents,
            "fee_cents": fee_cents,
            "net_cents": gross_cents - fee_cents,
        },
    )
    if status != placement.status:
        placement.status = status
        await agency_direct.set_account_status(
            session, actor, placement.account_id, AccountStatus.CLOSED, "collected by the agency"
        )
    await session.flush()
    return RecoveryRecorded(recovery, created=True)


async def recall(
    session: AsyncSession, actor: Actor, placement_id: int, *, reason: str, today: dt.date
) -> CollectionPlacement:
    """Take a placement back from the agency: what is still placed is owed to the utility again (a
    `write_off_recovery`), the account is final again (it closes once paid, as any final account)."""
    reason = " ".join(reason.split())
    if not reason or len(reason) > 300:
        raise DomainError(_("Say why the account is recalled (up to 300 characters)."), field="reason")
    view = await placement_view(session, placement_id, lock=True)
    placement = view.placement
    if placement.status != PlacementStatus.PLACED:
        raise Conflict(_("This placement is not with the agency any more."), code="not_placed")
    if view.outstanding_cents:
        await ledger.post(
            session,
            actor,
            account_id=placement.account_id,
            kind=LedgerKind.WRITE_OFF_RECOVERY,
            amount_cents=view.outstanding_cents,
            source_key=f"agency_recall:{placement.id}",
            effective_on=today,
            memo=ledger_words.memo("agency_recall", agency=placement.agency, reason=reason),
        )
    placement.status = PlacementStatus.RECALLED
    placement.recalled_on = today
    placement.recall_reason = reason
    await audit.record(
        session,
        actor,
        "collections.recall",
        "collection_placement",
        placement.id,
        account_id=placement.account_id,
        before={"status": PlacementStatus.PLACED.value},
        after={"status": PlacementStatus.RECALLED.value, "reason": reason, "owed_again_cents": view.outstanding_cents},
    )
    await agency_direct.set_account_status(
        session, actor, placement.account_id, AccountStatus.FINAL, "recalled from the agency"
    )
    await session.flush()
    return placement


def placed_total(views: Sequence[PlacementView]) -> int:
    return sum(v.outstanding_cents for v in views if v.placement.status == PlacementStatus.PLACED)
