"""The collection agency on a real database: the placement file writes the balances off receivables and keeps the
journal balanced, making it again the same day changes nothing, an agency recovery with its fee posts through
post_payment and leaves the account at zero, a recall puts what is left back on the account, holds keep an account out."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from portal.accounts import arrears, cases, collections, ledger
from portal.accounts import general_ledger as gl
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict, DomainError
from portal.accounts.models import (
    AccountStatus,
    AuditEvent,
    Case,
    CollectionPlacement,
    Customer,
    LedgerEntry,
    LedgerKind,
    PlacementBatch,
    PlacementStatus,
    Role,
)
from portal.accounts.policy import Policy, us_holidays
from tests import factories

TODAY = dt.date(2026, 12, 4)
POLICY = Policy(holidays=us_holidays(range(2025, 2028)))
STAFF = Actor.job("test")
TZ = "America/Chicago"


async def _final_account(session, *, owed: int, due_on: dt.date, status=AccountStatus.FINAL, name="Lopez", **flags):
    account = await factories.make_final_account(
        session, owed_cents=owed, due_on=due_on, status=status, last_name=name, **flags
    )
    if name.startswith("="):  # a name a spreadsheet would run as a formula
        (await session.get(Customer, account.customer_id)).business_name = name
    return account


OLD = TODAY - dt.timedelta(days=POLICY.collection_placement_days)


async def test_the_file_writes_off_eligible_balances_and_leaves_the_others(session) -> None:
    placed = await _final_account(session, owed=12_345, due_on=OLD, name="=HYPERLINK(1)")
    young = await _final_account(session, owed=12_345, due_on=OLD + dt.timedelta(days=1))
    small = await _final_account(session, owed=POLICY.collection_minimum_cents, due_on=OLD)
    bankrupt = await _final_account(session, owed=9_000, due_on=OLD, bankruptcy_hold=True)
    disputed = await _final_account(session, owed=9_000, due_on=OLD, dispute_pending=True)
    active = await _final_account(session, owed=9_000, due_on=OLD, status=AccountStatus.ACTIVE)

    found = {c.account_id: c.refusal for c in await collections.candidates(session, POLICY, TODAY)}
    assert found == {placed.id: None, bankrupt.id: "bankruptcy", disputed.id: "dispute"}

    made = await collections.make_batch(session, STAFF, POLICY, TODAY)
    assert made.created and made.batch.count == 1 and made.batch.total_cents == 12_345
    assert await ledger.balance(session, placed.id) == 0
    for other, owed in ((young, 12_345), (small, 2_500), (bankrupt, 9_000), (disputed, 9_000), (active, 9_000)):
        assert await ledger.balance(session, other.id) == owed
    await session.refresh(placed)
    assert placed.status == AccountStatus.COLLECTIONS
    row = await session.scalar(select(CollectionPlacement).where(CollectionPlacement.account_id == placed.id))
    assert row.amount_cents == 12_345 and row.status == PlacementStatus.PLACED and row.status_before == "final"
    audits = await session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "collections.place", AuditEvent.account_id == placed.id)
    )
    assert audits == 1

    lines = list(csv.reader(io.StringIO(made.batch.csv_text)))
    assert lines[0] == list(collections.CSV_COLUMNS)
    assert lines[1][0] == placed.number and lines[1][1].startswith("'=")  # read as text, never run
    assert lines[1][5] == "123.45" and lines[1][6] == (OLD - dt.timedelta(days=21)).isoformat()
    assert lines[1][7] == ""  # never paid

    # The journal of the day balances, the write-off went to bad debt.
    journal = gl.journal(await gl.entries_between(session, TODAY, TODAY))
    assert gl.unbalanced_days(journal) == {}
    by_account = {line.account: line for line in journal}
    assert by_account[gl.BAD_DEBT].debit_cents == 12_345 and by_account[gl.RECEIVABLES].credit_cents == 12_345


async def test_making_the_file_again_the_same_day_changes_nothing(session) -> None:
    account = await _final_account(session, owed=8_000, due_on=OLD)
    first = await collections.make_batch(session, STAFF, POLICY, TODAY)
    later = await _final_account(session, owed=7_000, due_on=OLD)  # eligible, but today's file is made
    entries = await session.scalar(select(func.count()).select_from(LedgerEntry))
    again = await collections.make_batch(session, STAFF, POLICY, TODAY)
    assert not again.created and again.batch.id == first.batch.id and again.batch.count == 1
    assert await session.scalar(select(func.count()).select_from(LedgerEntry)) == entries
    assert await session.scalar(select(func.count()).select_from(PlacementBatch)) == 1
    assert await ledger.balance(session, later.id) == 7_000 and await ledger.balance(session, account.id) == 0
    # The next day's file takes it; the account placed yesterday is never placed again.
    nxt = await collections.make_batch(session, STAFF, POLICY, TODAY + dt.timedelta(days=1))
    assert nxt.created and nxt.batch.count == 1 and nxt.batch.total_cents == 7_000


async def test_no_eligible_account_makes_no_file(session) -> None:
    await _final_account(session, owed=8_000, due_on=TODAY)
    with pytest.raises(DomainError):
        await collections.make_batch(session, STAFF, POLICY, TODAY)
    assert await session.scalar(select(func.count()).select_from(PlacementBatch)) == 0


async def test_a_recovery_with_the_agency_fee_posts_through_post_payment_and_keeps_the_books(session) -> None:
    account = await _final_account(session, owed=20_000, due_on=OLD)
    await collections.make_batch(session, STAFF, POLICY, TODAY)
    placement = await collections.placement_of(session, account.id)
    later = TODAY + dt.timedelta(days=10)
    done = await collections.record_recovery(
        session,
        STAFF,
        placement.id,
        gross_cents=12_000,
        fee_cents=3_000,
        reference="R-1",
        received_on=later,
        today=later,
        timezone=TZ,
        policy=POLICY,
    )
    assert done.created
    assert await ledger.balance(session, account.id) == 0
    kinds = {
        e.kind: e.amount_cents
        for e in await session.scalars(
            select(LedgerEntry).where(LedgerEntry.account_id == account.id, LedgerEntry.effective_on == later)
        )
    }
    assert kinds == {
        LedgerKind.WRITE_OFF_RECOVERY: 12_000,
        LedgerKind.AGENCY_FEE: -3_000,
        LedgerKind.PAYMENT: -9_000,
    }
    journal = {line.account: line for line in gl.journal(await gl.entries_between(session, later, later))}
    assert gl.unbalanced_days(list(journal.values())) == {}
    assert journal[gl.CASH].debit_cents == 9_000  # what the agency remitted
    assert journal[gl.AGENCY_FEES].debit_cents == 3_000
    assert journal[gl.BAD_DEBT].credit_cents == 12_000  # recovered out of bad debt

    # The same reference again records nothing; with other amounts it is refused.
    again = await collections.record_recovery(
        session,
        STAFF,
        placement.id,
        gross_cents=12_000,
        fee_cents=3_000,
        reference="R-1",
        received_on=later,
        today=later,
        timezone=TZ,
        policy=POLICY,
    )
    assert not again.created
    with pytest.raises(Conflict):
        await collections.record_recovery(
            session,
            STAFF,
            placement.id,
            gross_cents=11_000,
            fee_cents=3_000,
            reference="R-1",
            received_on=later,
            today=later,
            timezone=TZ,
            policy=POLICY,
        )
    # More than is left is refused; the rest pays the placement off and closes the account.
    with pytest.raises(DomainError):
        await collections.record_recovery(
            session,
            STAFF,
            placement.id,
            gross_cents=8_001,
            fee_cents=0,
            reference="R-2",
            received_on=later,
            today=later,
            timezone=TZ,
            policy=POLICY,
        )
    await collections.record_recovery(
        session,
        STAFF,
        placement.id,
        gross_cents=8_000,
        fee_cents=0,
        reference="R-2",
        received_on=later,
        today=later,
        timezone=TZ,
        policy=POLICY,
    )
    await session.refresh(placement)
    await session.refresh(account)
    assert placement.status == PlacementStatus.PAID and account.status == AccountStatus.CLOSED
    assert await ledger.balance(session, account.id) == 0


async def test_a_recall_puts_what_is_left_back_on_the_account(session) -> None:
    account = await _final_account(session, owed=10_000, due_on=OLD)
    await collections.make_batch(session, STAFF, POLICY, TODAY)
    placement = await collections.placement_of(session, account.id)
    await collections.record_recovery(
        session,
        STAFF,
        placement.id,
        gross_cents=4_000,
        fee_cents=1_000,
        reference="A7",
        received_on=TODAY,
        today=TODAY,
        timezone=TZ,
        policy=POLICY,
    )
    with pytest.raises(DomainError):
        await collections.recall(session, STAFF, placement.id, reason="  ", today=TODAY)
    await collections.recall(session, STAFF, placement.id, reason="Paying at the counter", today=TODAY)
    await session.refresh(account)
    assert account.status == AccountStatus.FINAL
    assert await ledger.balance(session, account.id) == 6_000
    assert placement.status == PlacementStatus.RECALLED and placement.recall_reason == "Paying at the counter"
    with pytest.raises(Conflict):
        await collections.recall(session, STAFF, placement.id, reason="again", today=TODAY)
    with pytest.raises(Conflict):
        await collections.record_recovery(
            session,
            STAFF,
            placement.id,
            gross_cents=1_000,
            fee_cents=0,
            reference="A8",
            received_on=TODAY,
            today=TODAY,
            timezone=TZ,
            policy=POLICY,
        )
    journal = gl.journal(await gl.entries_between(session, TODAY - dt.timedelta(days=400), TODAY))
    assert gl.unbalanced_days(journal) == {}
    # Not placed again by the next file.
    assert await collections.candidates(session, POLICY, TODAY + dt.timedelta(days=1)) == []
    assert (await session.get(Customer, account.customer_id)) is not None


async def test_a_payment_to_the_utility_while_placed_is_a_direct_payment_and_keeps_the_books(session) -> None:
    from portal.accounts import agency_direct, payments

    account = await _final_account(session, owed=10_000, due_on=OLD)
    other = await _final_account(session, owed=5_000, due_on=OLD)  # placed, never paid: untouched
    await collections.make_batch(session, STAFF, POLICY, TODAY)
    placement = await collections.placement_of(session, account.id)
    later = TODAY + dt.timedelta(days=3)
    noon = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)

    counter = await payments.post_payment(
        session,
        STAFF,
        account_id=account.id,
        amount_cents=4_000,
        source_key="receipt:R-100",
        method="cash",
        paid_at=noon,
        timezone=TZ,
        policy=POLICY,
    )
    assert counter.created
    assert await ledger.balance(session, account.id) == 0  # owed again, then paid: no credit
    entries = list(
        await session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.account_id == account.id, LedgerEntry.effective_on == later)
            .order_by(LedgerEntry.id)
        )
    )
    assert [(e.kind, e.amount_cents) for e in entries] == [
        (LedgerKind.WRITE_OFF_RECOVERY, 4_000),  # before the payment
        (LedgerKind.PAYMENT, -4_000),
    ]
    view = await collections.placement_view(session, placement.id)
    assert view.outstanding_cents == 6_000 and view.fees_cents == 0 and view.by_agency == ()
    [direct] = view.direct
    assert direct.reference == f"direct:{counter.entry.id}" and direct.gross_cents == 4_000
    assert placement.status == PlacementStatus.PLACED
    audits = list(await session.scalars(select(AuditEvent).where(AuditEvent.action == "collections.direct_payment")))
    assert len(audits) == 1 and audits[0].after["amount_cents"] == 4_000 and audits[0].after["method"] == "cash"

    # The same key again changes nothing.
    again = await payments.post_payment(
        session,
        STAFF,
        account_id=account.id,
        amount_cents=4_000,
        source_key="receipt:R-100",
        method="cash",
        paid_at=noon,
        timezone=TZ,
        policy=POLICY,
    )
    assert not again.created and len((await collections.placement_view(session, placement.id)).direct) == 1

    # Online, more than is left: the rest is reinstated, the surplus stands as the customer's credit;
    # the placement is paid and the account closed.
    await payments.post_payment(
        session,
        STAFF,
        account_id=account.id,
        amount_cents=7_000,
        source_key="pi_123",
        method="card",
        paid_at=noon,
        timezone=TZ,
        policy=POLICY,
    )
    assert await ledger.balance(session, account.id) == -1_000
    await session.refresh(placement)
    await session.refresh(account)
    assert placement.status == PlacementStatus.PAID and account.status == AccountStatus.CLOSED
    view = await collections.placement_view(session, placement.id)
    assert [r.gross_cents for r in view.direct] == [4_000, 6_000] and view.outstanding_cents == 0
    assert await ledger.balance(session, other.id) == 0

    # The journal balances: what came in moved out of bad debt into cash.
    journal = gl.journal(await gl.entries_between(session, later, later))
    assert gl.unbalanced_days(journal) == {}
    by_account = {line.account: line for line in journal}
    assert by_account[gl.BAD_DEBT].credit_cents == 10_000 and by_account[gl.CASH].debit_cents == 11_000

    # Listed for staff since the last file; a later file starts the list again.
    last, listed = await agency_direct.since_last_file(session)
    assert last is not None and [d.number for d in listed] == [account.number, account.number]
    with pytest.raises(DomainError):  # an agency reference may not pass for a direct payment
        await collections.record_recovery(
            session,
            STAFF,
            (await collections.placement_of(session, other.id)).id,
            gross_cents=100,
            fee_cents=0,
            reference="direct:1",
            received_on=later,
            today=later,
            timezone=TZ,
            policy=POLICY,
        )


async def test_a_lockbox_file_of_payments_on_placed_accounts_records_each_once(session) -> None:
    from portal.accounts import payments

    placed = [await _final_account(session, owed=3_000, due_on=OLD) for _ in range(2)]
    await collections.make_batch(session, STAFF, POLICY, TODAY)
    noon = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)
    lines = [
        payments.NewPayment(placed[0].id, 1_000, "lockbox:f1:1", "lockbox", noon),
        payments.NewPayment(placed[1].id, 3_000, "lockbox:f1:2", "lockbox", noon),
        payments.NewPayment(placed[0].id, 500, "lockbox:f1:3", "lockbox", noon),  # the same account again
    ]
    await payments.post_payments(session, STAFF, lines, timezone=TZ, policy=POLICY)
    assert [await ledger.balance(session, a.id) for a in placed] == [0, 0]
    views = [
        await collections.placement_view(session, (await collections.placement_of(session, a.id)).id) for a in placed
    ]
    assert [v.outstanding_cents for v in views] == [1_500, 0]
    assert [v.placement.status for v in views] == [PlacementStatus.PLACED, PlacementStatus.PAID]
    journal = gl.journal(await gl.entries_between(session, TODAY, TODAY + dt.timedelta(days=3)))
    assert gl.unbalanced_days(journal) == {}


async def _bankruptcy(session, account, filed_on: dt.date):
    return await cases.open_case(
        session,
        STAFF,
        POLICY,
        account,
        kind="bankruptcy",
        reason="Chapter 7 petition",
        today=TODAY,
        chapter=7,
        case_number="26-777",
        filed_on=filed_on,
    )


async def _discharge(session, case):
    boss = await factories.make_user(session, Role.SUPERVISOR)
    actor = Actor(user_id=boss.id, label=boss.email, origin=STAFF.origin, role=boss.role)
    return await cases.discharge(session, actor, case, discharged_on=TODAY, resolution="Discharged", today=TODAY)


@pytest.mark.parametrize("filed_days_before_placement", [5, -3])
async def test_a_bankruptcy_recalls_the_placement_and_its_discharge_writes_off_once(
    session, filed_days_before_placement
) -> None:
    """Placed with the agency ($200 written off); then a petition (filed before the placement, or after it): the
    automatic stay recalls the placement (owed again), the case holds the $200, the agency may not collect, and the
    discharge writes off the $200 once: the balance ends at zero, never a credit."""
    placed_on = TODAY - dt.timedelta(days=10)
    account = await _final_account(
        session, owed=20_000, due_on=placed_on - dt.timedelta(days=POLICY.collection_placement_days)
    )
    await collections.make_batch(session, STAFF, POLICY, placed_on)
    placement = await collections.placement_of(session, account.id)
    assert await ledger.balance(session, account.id) == 0
    case = await _bankruptcy(session, account, placed_on - dt.timedelta(days=filed_days_before_placement))
    await session.refresh(placement)
    assert placement.status == PlacementStatus.RECALLED and "automatic stay" in placement.recall_reason
    assert await ledger.balance(session, account.id) == 20_000
    assert case.held_cents == 20_000
    owed = await arrears.arrears(session, account.id, TODAY)
    assert (owed.held_cents, owed.past_due_cents) == (20_000, 0)
    recall = await session.scalar(
        select(AuditEvent).where(AuditEvent.action == "collections.recall", AuditEvent.account_id == account.id)
    )
    assert recall is not None and recall.after["owed_again_cents"] == 20_000
    opened = await session.scalar(
        select(AuditEvent).where(AuditEvent.action == "case.open", AuditEvent.account_id == account.id)
    )
    assert opened.after["recalled_from_agency_cents"] == 20_000
    await _discharge(session, case)
    entry = await session.get(LedgerEntry, case.write_off_entry_id)
    assert entry.amount_cents == -20_000
    assert await ledger.balance(session, account.id) == 0
    journal = gl.journal(await gl.entries_between(session, TODAY - dt.timedelta(days=400), TODAY))
    assert gl.unbalanced_days(journal) == {}


async def test_the_agency_may_not_collect_while_a_bankruptcy_is_open(session) -> None:
    account = await _final_account(session, owed=10_000, due_on=OLD)
    await collections.make_batch(session, STAFF, POLICY, TODAY)
    placement = await collections.placement_of(session, account.id)
    # a case that is open on a placed account without the stay (as an old row would be): recoveries are refused
    session.add(
        Case(
            account_id=account.id,
            kind="bankruptcy",
            status="open",
            reason="Chapter 13",
            chapter=13,
            filed_on=TODAY,
            held_cents=0,
        )
    )
    await session.flush()
    with pytest.raises(Conflict) as refused:
        await collections.record_recovery(
            session,
            STAFF,
            placement.id,
            gross_cents=1_000,
            fee_cents=0,
            reference="B1",
            received_on=TODAY,
            today=TODAY,
            timezone=TZ,
            policy=POLICY,
        )
    assert refused.value.code == "bankruptcy"
    assert await ledger.balance(session, account.id) == 0


async def test_a_discharge_never_writes_off_more_than_is_owed(session) -> None:
    """A case whose held amount is more than the balance (held recorded before the fix, or paid since) writes off
    only the balance."""
    account = await _final_account(session, owed=20_000, due_on=OLD)
    case = await _bankruptcy(session, account, OLD + dt.timedelta(days=1))
    await ledger.post(
        session,
        STAFF,
        account_id=account.id,
        kind=LedgerKind.WRITE_OFF,
        amount_cents=-20_000,
        source_key="test:old-write-off",
        effective_on=TODAY,
    )
    await _discharge(session, case)
    assert case.write_off_entry_id is None and case.outcome == "discharged"
    assert await ledger.balance(session, account.id) == 0


async def test_a_direct_payment_taken_back_is_placed_again(session) -> None:
    """A payment made to the utility while placed, then returned (an ACH return, a card dispute, a void): the
    reversal would leave the account owing the utility what the agency collects. Instead what it took off the
    placement is written off again and placed again: the account stays at 0, the placement is open for the full
    amount, a paid placement is placed again and the account back in collections; done once."""
    from portal.accounts import agency_direct, payments

    account = await _final_account(session, owed=10_000, due_on=OLD)
    await collections.make_batch(session, STAFF, POLICY, TODAY)
    placement = await collections.placement_of(session, account.id)
    later = TODAY + dt.timedelta(days=3)
    paid = await payments.post_payment(
        session,
        STAFF,
        account_id=account.id,
        amount_cents=10_000,
        source_key="pi_456",
        method="bank",
        paid_at=dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC),
        timezone=TZ,
        policy=POLICY,
    )
    await session.refresh(placement)
    assert placement.status == PlacementStatus.PAID
    returned_on = later + dt.timedelta(days=4)
    await ledger.reverse(session, STAFF, paid.entry.id, reason="R01 insufficient funds", effective_on=returned_on)
    assert await agency_direct.payment_reversed(session, STAFF, paid.entry.id, returned_on) == 10_000
    assert await agency_direct.payment_reversed(session, STAFF, paid.entry.id, returned_on) == 0  # once
    assert await ledger.balance(session, account.id) == 0
    await session.refresh(placement)
    await session.refresh(account)
    assert placement.status == PlacementStatus.PLACED and account.status == AccountStatus.COLLECTIONS
    view = await collections.placement_view(session, placement.id)
    assert view.outstanding_cents == 10_000
    assert sorted(r.gross_cents for r in view.direct) == [-10_000, 10_000]
    audits = list(await session.scalars(select(AuditEvent).where(AuditEvent.action == "collections.direct_returned")))
    assert len(audits) == 1 and audits[0].after["amount_cents"] == 10_000
    journal = gl.journal(await gl.entries_between(session, returned_on, returned_on))
    assert gl.unbalanced_days(journal) == {}
    # a payment that was no direct payment is nothing to the agency
    assert await agency_direct.payment_reversed(session, STAFF, 999_999, returned_on) == 0
