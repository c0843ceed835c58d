"""The seeded city's history is what the engine makes: its invariants, checked on a small city seeded through the
same function the demo uses (`city.build` + `city.load`)."""

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select

from portal.accounts import arrears, collections, deposits, ledger, routes
from portal.accounts.models import (
    Account,
    AccountClass,
    AccountStatus,
    ArrangementStatus,
    Bill,
    Customer,
    Deposit,
    ExtensionStatus,
    LedgerEntry,
    LedgerKind,
    PaymentArrangement,
    PaymentExtension,
    Premise,
    Role,
    User,
    UserAccount,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import current_policy
from portal.demo import city

TODAY = dt.date(2026, 11, 24)

# Realistic ranges, in cents, for the demo city (docs/demo-history.md states them).
MONTHLY_BILL = {AccountClass.RESIDENTIAL: (4_000, 50_000), AccountClass.COMMERCIAL: (10_000, 300_000)}
DEPOSIT = {AccountClass.RESIDENTIAL: (15_000, 100_000), AccountClass.COMMERCIAL: (17_500, 600_000)}


async def _persona(session, key: str) -> tuple[User, Account]:
    user = await session.scalar(select(User).where(User.email == city.PERSONAS[key][0]))
    account = await session.scalar(
        select(Account).join(UserAccount, UserAccount.account_id == Account.id).where(UserAccount.user_id == user.id)
    )
    return user, account


async def check_every_bills_previous_balance_is_the_ledger_balance_just_before_it(session) -> None:
    bills = {(b.account_id, b.period_end): b for b in await session.scalars(select(Bill))}
    running: dict[int, int] = defaultdict(int)
    checked = 0
    for entry in await session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)):
        if entry.kind == LedgerKind.CHARGE and entry.bill_id is not None:
            bill = await session.get(Bill, entry.bill_id)
            assert bill.previous_balance_cents == running[entry.account_id], (bill.id, entry.source_key)
            assert entry.amount_cents == bill.total_cents
            checked += 1
        running[entry.account_id] += entry.amount_cents
    assert checked == len([b for b in bills.values() if b.total_cents]) > 150 * 12
    # a city that mostly pays before the next bill, but not everyone (late, partial, skipped, unpaid)
    previous = [b.previous_balance_cents for b in bills.values()]
    assert sum(1 for p in previous if p == 0) > len(previous) * 0.8
    assert sum(1 for p in previous if p > 0) > len(previous) * 0.01


async def check_every_accounts_balance_is_its_ledger_sum_wherever_it_is_read(session) -> None:
    sums = dict(
        (
            await session.execute(
                select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_cents)).group_by(LedgerEntry.account_id)
            )
        ).all()
    )
    ids = list(await session.scalars(select(Account.id)))
    balances = await ledger.balances(session, ids)
    owed = await arrears.arrears_many(session, ids, TODAY + dt.timedelta(days=400))
    for account_id in ids:
        assert balances[account_id] == sums.get(account_id, 0) == owed[account_id].balance_cents
    # the latest bill plus what was posted after its charge is what the account owes now
    for account_id in ids[:60]:
        bill = await session.scalar(
            select(Bill).where(Bill.account_id == account_id).order_by(Bill.period_end.desc()).limit(1)
        )
        if bill is None:
            continue
        charge = await session.scalar(
            select(LedgerEntry.id).where(LedgerEntry.bill_id == bill.id, LedgerEntry.kind == LedgerKind.CHARGE)
        )
        after = await session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                LedgerEntry.account_id == account_id, LedgerEntry.id > charge
            )
        )
        assert bill.previous_balance_cents + bill.total_cents + after == balances[account_id]


async def check_monthly_bills_and_deposits_fall_in_the_ranges_for_the_account_class(session) -> None:
    rows = await session.execute(
        select(Account.account_class, Bill.total_cents)
        .join(Account, Account.id == Bill.account_id)
        .where(Bill.final.is_(False), Bill.estimated.is_(False))
    )
    seen = defaultdict(list)
    for account_class, total in rows:
        seen[account_class].append(total)
    for account_class, (low, high) in MONTHLY_BILL.items():
        assert seen[account_class], account_class
        assert low <= min(seen[account_class]) and max(seen[account_class]) <= high, (
            account_class,
            min(seen[account_class]),
            max(seen[account_class]),
        )
    # what the deposit rule asks of a new customer at every address today, from the engine's bills there
    policy = current_policy()
    accounts = list(await session.scalars(select(Account).where(Account.status == AccountStatus.ACTIVE)))
    for account in accounts:
        decision = await deposits.quote(
            session, policy, premise_id=account.premise_id, account_class=account.account_class, today=TODAY
        )
        low, high = DEPOSIT[account.account_class]
        assert low <= decision.required_cents <= high, (
            account.id,
            account.account_class,
            decision.required_cents,
            decision.reason,
        )
        assert decision.rule != deposits.RULE_NEW_PREMISE_SMALL  # every address has a year of bills
    made = list(
        await session.execute(
            select(Account.account_class, Deposit.required_cents, Deposit.rule).join(
                Account, Account.id == Deposit.account_id
            )
        )
    )
    assert made, "the history's new customers paid deposits set by the rule"
    for account_class, cents, rule in made:
        if rule == deposits.RULE_GOOD_RECORD:  # a move by a customer who paid on time: nothing asked
            assert cents == 0
            continue
        low, high = DEPOSIT[account_class]
        assert low <= cents <= high


async def check_the_history_has_every_kind_of_payment_late_fees_and_the_rarer_stories(session) -> None:
    keys = list(await session.scalars(select(LedgerEntry.source_key).where(LedgerEntry.kind == LedgerKind.PAYMENT)))
    prefixes = {k.split(":")[0] if ":" in k else k[:3] for k in keys}
    assert {"pi_", "receipt", "lockbox", "draft"} <= prefixes
    memos = set(await session.scalars(select(LedgerEntry.memo).where(LedgerEntry.kind == LedgerKind.PAYMENT)))
    assert {"Payment by card", "Payment by bank account", "Payment by bank draft", "Payment by mailed check"} <= memos
    fees = await session.scalar(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == LedgerKind.LATE_FEE)
    )
    assert fees >= 10
    assert (
        await session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.source_key.like("late:%")))
        == fees
    )
    statuses = set(await session.scalars(select(PaymentExtension.status)))
    assert {ExtensionStatus.KEPT, ExtensionStatus.BROKEN} <= statuses
    assert (
        await session.scalar(
            select(func.count())
            .select_from(PaymentArrangement)
            .where(PaymentArrangement.status != ArrangementStatus.CANCELLED)
        )
        >= 1
    )
    restores = list(
        await session.scalars(
            select(WorkOrder).where(
                WorkOrder.kind == WorkOrderKind.RESTORE, WorkOrder.status == WorkOrderStatus.COMPLETED
            )
        )
    )
    assert restores and all(o.completed_at.date() < TODAY for o in restores)
    reconnect_fees = await session.scalar(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.source_key.like("reconnect:%"))
    )
    # Every restore the product made carries its fee, the one still open today (paid this morning) too.
    open_restores = await session.scalar(
        select(func.count())
        .select_from(WorkOrder)
        .where(
            WorkOrder.kind == WorkOrderKind.RESTORE,
            WorkOrder.status.in_([WorkOrderStatus.OPEN, WorkOrderStatus.ASSIGNED]),
        )
    )
    assert reconnect_fees == len(restores) + open_restores


async def check_the_demo_personas_are_what_the_demo_promises(session) -> None:
    policy = current_policy()
    maria, account = await _persona(session, "resident")
    assert maria.locale == "es" and (await session.get(Customer, account.customer_id)).language == "es"
    owed = await arrears.arrears(session, account.id, TODAY)
    assert owed.past_due_cents == 0 and 0 <= owed.balance_cents <= 40_000

    _james, late = await _persona(session, "resident-late")
    assert late.account_class == AccountClass.RESIDENTIAL
    owed = await arrears.arrears(session, late.id, TODAY)
    assert owed.past_due_cents >= policy.cutoff_minimum_past_due_cents
    last = await session.scalar(
        select(Bill).where(Bill.account_id == late.id).order_by(Bill.period_end.desc()).limit(1)
    )
    assert last.previous_balance_cents > 0
    assert last.previous_balance_cents == await ledger.balance(
        session, late.id
    ) - last.total_cents - await session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.account_id == late.id,
            LedgerEntry.id
            > select(LedgerEntry.id)
            .where(LedgerEntry.bill_id == last.id, LedgerEntry.kind == LedgerKind.CHARGE)
            .scalar_subquery(),
        )
    )

    luis = await session.scalar(select(User).where(User.email == city.PERSONAS["technician"][0]))
    todays = list(
        await session.scalars(
            select(WorkOrder).where(
                WorkOrder.assigned_to_id == luis.id,
                WorkOrder.due_on == TODAY,
                WorkOrder.status == WorkOrderStatus.ASSIGNED,
            )
        )
    )
    assert len(todays) >= 5
    for key, role in (("csr", Role.CSR), ("supervisor", Role.SUPERVISOR)):
        assert (await session.scalar(select(User).where(User.email == city.PERSONAS[key][0]))).role == role
    # the cut-off list has people on it, medical alerts among the customers
    disconnects = list(
        await session.scalars(
            select(WorkOrder).where(WorkOrder.kind == WorkOrderKind.DISCONNECT, WorkOrder.due_on == TODAY)
        )
    )
    figures = await arrears.arrears_many(session, [o.account_id for o in disconnects], TODAY)
    assert disconnects and all(f.past_due_cents > 0 for f in figures.values())
    assert (
        await session.scalar(
            select(func.count()).select_from(Customer).where(Customer.medical_alert_until.is_not(None))
        )
        >= 1
    )


async def check_customers_who_left_owing_are_the_agencys_candidates(session) -> None:
    """Customers who moved away and whose last check came back (the staff seed) are the collection agency's
    candidates, so /staff/placements has work: final accounts, each owing its ledger sum over the minimum, their
    final bill due longer ago than the policy's age."""
    policy = current_policy()
    found = await collections.candidates(session, policy, TODAY)
    assert found, "no final account is old enough to be placed"
    for candidate in found:
        account = await session.get(Account, candidate.account_id)
        assert account is not None and account.status == AccountStatus.FINAL
        assert candidate.refusal is None
        assert candidate.balance_cents == await ledger.balance(session, account.id) > policy.collection_minimum_cents
        assert (TODAY - candidate.final_due_on).days >= policy.collection_placement_days


async def check_todays_orders_are_on_their_route_owners_lists(session) -> None:
    owner_of = await routes.owners(session)
    assert owner_of and all(owner_of.values())
    rows = (
        await session.execute(
            select(WorkOrder.id, WorkOrder.assigned_to_id, Premise.route)
            .join(Premise, Premise.id == WorkOrder.premise_id)
            .where(WorkOrder.status == WorkOrderStatus.ASSIGNED, WorkOrder.due_on == TODAY)
        )
    ).all()
    assert len(rows) > 20
    assert [r for r in rows if r.assigned_to_id != owner_of[r.route]] == []


async def check_the_jobs_the_history_ran_are_in_the_job_ledger(session) -> None:
    """The jobs page said "never" for every job of a city with 14 months of bills: each run the history makes is
    recorded as the worker would, one per job and day, each bill run with its count."""
    from portal.accounts.models import Bill, JobRun

    runs = list(await session.scalars(select(JobRun).where(JobRun.trigger == "history")))
    bill_runs = {(r.job, r.business_date): r for r in runs if r.job.startswith("bill-run-cycle-")}
    billed = {
        (f"bill-run-cycle-{cycle}", day): count
        for cycle, day, count in await session.execute(
            select(Bill.cycle, Bill.bill_date, func.count()).group_by(Bill.cycle, Bill.bill_date)
        )
    }
    assert set(billed) <= set(bill_runs)  # every bill came from a recorded run (the first month's billed none)
    assert all(run.outcome == "ok" and run.counts["billed"] == billed.get(key, 0) for key, run in bill_runs.items())
    assert {"late-fees", "extensions-check"} <= {r.job for r in runs}


async def check_what_the_history_made_is_dated_the_day_it_happened(session) -> None:
    """Seeded rows were stamped with the moment of seeding: every history entry read "today", and an order completed
    months ago had been created after it (a negative turnaround on the orders report)."""
    from portal.accounts.models import AuditEvent

    backwards = await session.scalar(
        select(func.count())
        .select_from(WorkOrder)
        .where(WorkOrder.completed_at.is_not(None), WorkOrder.completed_at < WorkOrder.created_at)
    )
    assert backwards == 0
    days = await session.scalar(select(func.count(func.distinct(func.date(AuditEvent.at)))))
    assert days > 300  # fourteen months of days, not the one day the seed ran


async def test_the_seeded_city_holds_every_invariant(session) -> None:
    """One city for all the checks: seeding it is most of the time (minutes on a busy machine), so it is made once."""
    await city.load(session, city.build(TODAY, premises=150, seed=3))
    await session.commit()
    for check in (
        check_every_bills_previous_balance_is_the_ledger_balance_just_before_it,
        check_every_accounts_balance_is_its_ledger_sum_wherever_it_is_read,
        check_monthly_bills_and_deposits_fall_in_the_ranges_for_the_account_class,
        check_the_history_has_every_kind_of_payment_late_fees_and_the_rarer_stories,
        check_the_demo_personas_are_what_the_demo_promises,
        check_todays_orders_are_on_their_route_owners_lists,
        check_customers_who_left_owing_are_the_agencys_candidates,
        check_the_jobs_the_history_ran_are_in_the_job_ledger,
        check_what_the_history_made_is_dated_the_day_it_happened,
    ):
        await check(session)
