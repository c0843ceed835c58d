"""Cases (portal/accounts/cases.py): opened, assigned, noted and resolved with their audit rows; a dispute holds off
cut-off only for its amount; a bankruptcy holds the balance at the petition out of past due (cut-off, late fees,
collections) while the service after it is billed and falls due as usual; a discharge writes the held balance off
(the journal stays balanced), a dismissal makes it owed again."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.accounts import arrears, cases, general_ledger, holds, ledger
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict, DomainError, Forbidden
from portal.accounts.models import (
    AccountStatus,
    AuditEvent,
    Bill,
    Case,
    CaseNote,
    LedgerEntry,
    LedgerKind,
    Origin,
    Role,
)
from portal.accounts.policy import Policy, us_holidays
from portal.billing import late_fees
from portal.staff import account_actions, case_queue, cutoff
from tests import factories

JOB = Actor.job("test")
POLICY = Policy(holidays=us_holidays(range(2026, 2028)))
TODAY = dt.date(2026, 11, 10)  # a Tuesday


def actor_of(user) -> Actor:
    return Actor(user_id=user.id, label=user.email, origin=Origin.WEB, role=user.role)


async def bill(session, account, bill_date: dt.date, due: dt.date, cents: int) -> Bill:
    row = Bill(
        account_id=account.id,
        period_start=bill_date - dt.timedelta(days=31),
        period_end=bill_date - dt.timedelta(days=2),
        bill_date=bill_date,
        due_date=due,
        total_cents=cents,
        document={},
    )
    session.add(row)
    await session.flush()
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=cents,
        source_key=f"bill:{row.id}",
        effective_on=bill_date,
        bill_id=row.id,
    )
    return row


async def owing(session):
    """$300.00 past due since Sep 12 and Oct 12 (two bills), nothing else."""
    account = await factories.make_account(session)
    await bill(session, account, dt.date(2026, 8, 20), dt.date(2026, 9, 12), 20_000)
    await bill(session, account, dt.date(2026, 9, 20), dt.date(2026, 10, 12), 10_000)
    return account


async def actions(session, case_id: int) -> list[str]:
    return list(
        await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "case", AuditEvent.entity_id == str(case_id))
            .order_by(AuditEvent.id)
        )
    )


async def test_a_complaint_is_opened_assigned_noted_and_resolved_each_step_audited(session) -> None:
    csr = await factories.make_user(session, Role.CSR, name="Casey CSR")
    account = await factories.make_account(session)
    me = actor_of(csr)
    case = await cases.open_case(
        session, me, POLICY, account, kind="complaint", reason="Rude meter reader", today=TODAY
    )
    assert (case.status, case.owner_id, case.due_on) == ("open", None, TODAY + dt.timedelta(days=10))
    assert [r.case.id for r in await case_queue.queue(session, csr.id, "unassigned", "", TODAY)] == [case.id]
    await cases.assign(session, me, case, csr.id)
    assert [r.case.id for r in await case_queue.queue(session, csr.id, "mine", "complaint", TODAY)] == [case.id]
    assert await case_queue.queue(session, csr.id, "mine", "dispute", TODAY) == []
    await cases.add_note(session, me, case, "Called back, left a message")
    await cases.resolve(session, me, case, "Apologized; coaching for the reader")
    assert (case.status, case.outcome, case.resolved_by_id) == ("resolved", "resolved", csr.id)
    assert await case_queue.queue(session, csr.id, "open", "", TODAY) == []
    assert await actions(session, case.id) == ["case.open", "case.assign", "case.note", "case.resolve"]
    with pytest.raises(Conflict):
        await cases.resolve(session, me, case, "again")
    note = await session.scalar(select(CaseNote))
    note.body = "changed"
    with pytest.raises(cases.CaseNotesAreAppendOnly):
        await session.flush()
    await session.rollback()


async def test_a_case_page_names_the_notes_authors(session) -> None:
    csr = await factories.make_user(session, Role.CSR, name="Casey CSR")
    account = await factories.make_account(session)
    me = actor_of(csr)
    case = await cases.open_case(session, me, POLICY, account, kind="complaint", reason="Noise", today=TODAY)
    await cases.add_note(session, me, case, "Called back, left a message")
    view = await case_queue.case_view(session, case.id, TODAY, with_staff=False)
    assert [(n.author, n.note.body) for n in view.notes] == [("Casey CSR", "Called back, left a message")]
    assert (await case_queue.case_view(session, case.id, TODAY, with_staff=True)).staff == [(csr.id, "Casey CSR")]


async def test_the_overdue_queue_and_who_may_assign_to_whom(session) -> None:
    csr = await factories.make_user(session, Role.CSR)
    other = await factories.make_user(session, Role.CSR)
    boss = await factories.make_user(session, Role.SUPERVISOR)
    account = await owing(session)
    case = await cases.open_case(
        session, actor_of(csr), POLICY, account, kind="dispute", reason="x", today=TODAY, disputed_cents=1_000
    )
    assert await case_queue.queue(session, csr.id, "overdue", "", TODAY) == []
    later = case.due_on + dt.timedelta(days=1)
    assert [r.overdue for r in await case_queue.queue(session, csr.id, "overdue", "", later)] == [True]
    with pytest.raises(Forbidden):
        await cases.assign(session, actor_of(csr), case, other.id)  # to someone else: a supervisor's
    await cases.assign(session, actor_of(boss), case, other.id)
    with pytest.raises(Forbidden):
        await cases.assign(session, actor_of(csr), case, csr.id)  # taken from someone else: a supervisor's
    customer = await factories.make_user(session, Role.CUSTOMER)
    with pytest.raises(DomainError):
        await cases.assign(session, actor_of(boss), case, customer.id)
    with pytest.raises(DomainError):
        await case_queue.queue(session, csr.id, "everything", "", TODAY)


async def test_a_dispute_holds_off_cut_off_only_for_its_amount(session) -> None:
    account = await owing(session)
    await cases.open_case(
        session, JOB, POLICY, account, kind="dispute", reason="October bill", today=TODAY, disputed_cents=10_000
    )
    facts = (await holds.exclusion_facts(session, [account.id], TODAY))[account.id]
    assert (facts.past_due_cents, facts.disputed_cents) == (30_000, 10_000)
    assert holds.exclusions(POLICY, facts, TODAY) == ()  # $200.00 left: still cut off
    second = await cases.open_case(
        session, JOB, POLICY, account, kind="dispute", reason="September bill", today=TODAY, disputed_cents=20_000
    )
    found = await holds.excluded(session, POLICY, [account.id], TODAY)
    assert [e.code for e in found[account.id]] == ["dispute", "too_small"]
    listing = await cutoff.build(session, POLICY, TODAY, "America/Chicago")
    row = next(r for r in listing.rows if r.account.id == account.id)
    assert "dispute" in row.decision.codes and not row.decision.eligible
    await cases.resolve(session, JOB, second, "Bill was right")
    assert (
        holds.exclusions(POLICY, (await holds.exclusion_facts(session, [account.id], TODAY))[account.id], TODAY) == ()
    )


async def test_a_dispute_is_bounded_by_the_balance(session) -> None:
    account = await owing(session)
    for cents in (None, 0, 30_001):
        with pytest.raises(DomainError):
            await cases.open_case(
                session, JOB, POLICY, account, kind="dispute", reason="x", today=TODAY, disputed_cents=cents
            )
    with pytest.raises(DomainError):
        await cases.open_case(session, JOB, POLICY, account, kind="lawsuit", reason="x", today=TODAY)
    assert await session.scalar(select(Case.id)) is None


async def test_a_bankruptcy_holds_the_balance_at_the_petition_and_the_service_after_it_counts(session) -> None:
    account = await owing(session)
    case = await cases.open_case(
        session,
        JOB,
        POLICY,
        account,
        kind="bankruptcy",
        reason="Chapter 13",
        today=TODAY,
        chapter=13,
        case_number="26-40117",
        filed_on=dt.date(2026, 10, 20),
    )
    assert case.held_cents == 30_000
    owed = await arrears.arrears(session, account.id, TODAY)
    assert (owed.balance_cents, owed.past_due_cents, owed.held_cents) == (30_000, 0, 30_000)
    with pytest.raises(Conflict):  # one open bankruptcy at a time
        await cases.open_case(
            session,
            JOB,
            POLICY,
            account,
            kind="bankruptcy",
            reason="again",
            today=TODAY,
            chapter=7,
            case_number="26-1",
            filed_on=TODAY,
        )
    # service after the petition: billed Oct 29, due Nov 5, unpaid: past due as usual, the held balance still not
    await bill(session, account, dt.date(2026, 10, 29), dt.date(2026, 11, 5), 8_000)
    owed = await arrears.arrears(session, account.id, TODAY)
    assert (owed.balance_cents, owed.past_due_cents, owed.oldest_past_due_on) == (38_000, 8_000, dt.date(2026, 11, 5))
    # a late fee is charged on the $80.00 after the petition only
    result = await late_fees.fee_chunk(session, await late_fees.past_due_bills(session, TODAY, POLICY), TODAY, POLICY)
    fee = await session.scalar(
        select(LedgerEntry.amount_cents).where(
            LedgerEntry.account_id == account.id, LedgerEntry.kind == LedgerKind.LATE_FEE
        )
    )
    assert result.charged == 1 and fee == late_fees.late_fee_cents(8_000, POLICY)
    # no collection for the held balance
    account.status = AccountStatus.FINAL
    with pytest.raises(Conflict):
        await account_actions.refer_to_collections(session, JOB, account, "Owes", TODAY)


async def test_a_discharge_writes_the_held_balance_off_and_the_journal_balances(session) -> None:
    boss = await factories.make_user(session, Role.SUPERVISOR)
    csr = await factories.make_user(session, Role.CSR)
    account = await owing(session)
    case = await cases.open_case(
        session,
        JOB,
        POLICY,
        account,
        kind="bankruptcy",
        reason="Chapter 7",
        today=TODAY,
        chapter=7,
        case_number="26-10077",
        filed_on=dt.date(2026, 11, 2),
    )
    with pytest.raises(Forbidden):
        await cases.discharge(session, actor_of(csr), case, discharged_on=TODAY, resolution="Discharged", today=TODAY)
    with pytest.raises(Conflict):
        await cases.resolve(session, actor_of(boss), case, "Done")
    with pytest.raises(DomainError):
        await cases.discharge(
            session, actor_of(boss), case, discharged_on=dt.date(2026, 11, 1), resolution="x", today=TODAY
        )
    await cases.discharge(
        session, actor_of(boss), case, discharged_on=TODAY, resolution="Order of discharge", today=TODAY
    )
    entry = await session.get(LedgerEntry, case.write_off_entry_id)
    assert (entry.kind, entry.amount_cents, entry.source_key) == (
        LedgerKind.WRITE_OFF,
        -30_000,
        f"case:{case.id}:discharge",
    )
    assert (case.status, case.outcome, case.discharged_on) == ("resolved", "discharged", TODAY)
    assert await ledger.balance(session, account.id) == 0
    lines = general_ledger.journal(await general_ledger.entries_between(session, TODAY, TODAY))
    assert general_ledger.unbalanced_days(lines) == {}
    assert any(line.account == general_ledger.BAD_DEBT and line.debit_cents == 30_000 for line in lines)
    assert (await actions(session, case.id))[-1] == "case.discharge"


async def test_a_dismissal_makes_the_held_balance_owed_and_past_due_again(session) -> None:
    account = await owing(session)
    case = await cases.open_case(
        session,
        JOB,
        POLICY,
        account,
        kind="bankruptcy",
        reason="Chapter 13",
        today=TODAY,
        chapter=13,
        case_number="26-2",
        filed_on=dt.date(2026, 11, 2),
    )
    assert (await arrears.arrears(session, account.id, TODAY)).past_due_cents == 0
    csr = await factories.make_user(session, Role.CSR)
    with pytest.raises(Forbidden):  # a supervisor's, like the discharge
        await cases.dismiss(session, actor_of(csr), case, "Dismissed")
    assert case.status == "open"
    boss = await factories.make_user(session, Role.SUPERVISOR)
    await cases.dismiss(session, actor_of(boss), case, "Dismissed for failure to file schedules")
    assert (case.outcome, case.write_off_entry_id) == ("dismissed", None)
    assert (await arrears.arrears(session, account.id, TODAY)).past_due_cents == 30_000
    assert await session.scalar(select(CaseNote.id)) is None


async def test_an_open_dispute_keeps_the_account_from_collections(session) -> None:
    account = await owing(session)
    case = await cases.open_case(
        session, JOB, POLICY, account, kind="dispute", reason="Meter misread", today=TODAY, disputed_cents=5_000
    )
    account.status = AccountStatus.FINAL
    with pytest.raises(Conflict):
        await account_actions.refer_to_collections(session, JOB, account, "Owes", TODAY)
    assert account.status == AccountStatus.FINAL
    await cases.resolve(session, JOB, case, "Read was right")
    await account_actions.refer_to_collections(session, JOB, account, "Owes", TODAY)
    assert account.status == AccountStatus.COLLECTIONS


async def _chapter_13(session, account, filed_on=dt.date(2026, 10, 20)):
    return await cases.open_case(
        session,
        JOB,
        POLICY,
        account,
        kind="bankruptcy",
        reason="Chapter 13",
        today=TODAY,
        chapter=13,
        case_number="26-40118",
        filed_on=filed_on,
    )


async def test_trustee_payments_lower_the_held_amount_and_the_discharge_writes_off_only_the_rest(session) -> None:
    """$300 held; the trustee pays $250 after the petition and a post-petition bill of $80 is not paid: $50 is still
    held, the $80 bill is owed and past due like any other (the held amount never covers it); the discharge writes
    off the $50 and the $80 is still owed, never a credit."""
    boss = await factories.make_user(session, Role.SUPERVISOR)
    account = await owing(session)
    case = await _chapter_13(session, account)
    await bill(session, account, dt.date(2026, 10, 29), dt.date(2026, 11, 5), 8_000)
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-25_000,
        source_key="trustee:1",
        effective_on=dt.date(2026, 11, 3),
    )
    owed = await arrears.arrears(session, account.id, TODAY)
    assert (owed.balance_cents, owed.held_cents, owed.past_due_cents) == (13_000, 5_000, 8_000)
    await cases.discharge(session, actor_of(boss), case, discharged_on=TODAY, resolution="Discharged", today=TODAY)
    entry = await session.get(LedgerEntry, case.write_off_entry_id)
    assert entry.amount_cents == -5_000
    assert await ledger.balance(session, account.id) == 8_000


async def test_paid_held_debt_never_covers_a_post_petition_bill(session) -> None:
    """The trustee pays the $300 held in full; the $80 bill after the petition is then past due like any other."""
    account = await owing(session)
    await _chapter_13(session, account)
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-30_000,
        source_key="trustee:2",
        effective_on=dt.date(2026, 10, 25),
    )
    await bill(session, account, dt.date(2026, 10, 29), dt.date(2026, 11, 5), 8_000)
    owed = await arrears.arrears(session, account.id, TODAY)
    assert (owed.balance_cents, owed.held_cents, owed.past_due_cents) == (8_000, 0, 8_000)


async def test_a_rebill_lowering_a_pre_petition_bill_lowers_the_held_amount(session) -> None:
    boss = await factories.make_user(session, Role.SUPERVISOR)
    account = await owing(session)
    case = await _chapter_13(session, account)
    original = await session.scalar(select(Bill).where(Bill.account_id == account.id, Bill.total_cents == 10_000))
    charge = await session.scalar(select(LedgerEntry).where(LedgerEntry.bill_id == original.id))
    await ledger.reverse(session, JOB, charge.id, reason="rebill", effective_on=TODAY, source_key="rebill:test:rev")
    original.cancelled_on = TODAY
    await session.flush()
    replacement = Bill(
        account_id=account.id,
        period_start=original.period_start,
        period_end=original.period_end,
        bill_date=TODAY,
        due_date=original.due_date,
        total_cents=4_000,
        document={},
        replaces_id=original.id,
    )
    session.add(replacement)
    await session.flush()
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=4_000,
        source_key="rebill:test",
        effective_on=TODAY,
        bill_id=replacement.id,
    )
    owed = await arrears.arrears(session, account.id, TODAY)
    assert (owed.balance_cents, owed.held_cents, owed.past_due_cents) == (24_000, 24_000, 0)
    await cases.discharge(session, actor_of(boss), case, discharged_on=TODAY, resolution="Discharged", today=TODAY)
    assert (await session.get(LedgerEntry, case.write_off_entry_id)).amount_cents == -24_000
    assert await ledger.balance(session, account.id) == 0


async def test_a_petition_covers_the_customers_other_accounts_and_its_discharge_too(session) -> None:
    """A bankruptcy is the customer's: their other account that owed at the filing date gets the same petition as a
    case of its own (holding its own balance); one that owed nothing does not; discharging the petition on one
    account discharges it on the other."""
    boss = await factories.make_user(session, Role.SUPERVISOR)
    home = await owing(session)
    cabin = await factories.make_account(session)
    paid_up = await factories.make_account(session)
    cabin.customer_id = paid_up.customer_id = home.customer_id
    await session.flush()
    await bill(session, cabin, dt.date(2026, 9, 20), dt.date(2026, 10, 12), 5_000)
    case = await cases.open_case(
        session,
        JOB,
        POLICY,
        home,
        kind="bankruptcy",
        reason="Chapter 7",
        today=TODAY,
        chapter=7,
        case_number="26-10078",
        filed_on=dt.date(2026, 11, 2),
    )
    opened = list(await session.scalars(select(Case).where(Case.kind == "bankruptcy").order_by(Case.id)))
    assert [(c.account_id, c.case_number, c.held_cents) for c in opened] == [
        (home.id, "26-10078", 30_000),
        (cabin.id, "26-10078", 5_000),
    ]
    facts = await holds.exclusion_facts(session, [cabin.id], TODAY)
    assert facts[cabin.id].held_cents == 5_000  # not past due for the cut-off rule
    assert (await actions(session, opened[1].id)) == ["case.open"]
    await cases.discharge(session, actor_of(boss), case, discharged_on=TODAY, resolution="Order", today=TODAY)
    await session.refresh(opened[1])
    assert (opened[1].status, opened[1].outcome) == ("resolved", "discharged")
    assert await ledger.balance(session, home.id) == 0 and await ledger.balance(session, cabin.id) == 0
    assert await ledger.balance(session, paid_up.id) == 0
    assert (await actions(session, opened[1].id))[-1] == "case.discharge"
