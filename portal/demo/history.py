"""The demo city's past, made day by day by the real jobs and services over the seeded meter reads.

For each day from the first read to today, in the order the schedule runs them: the bill run of each cycle whose read
day it is (the engine's own chunks: bills, lines, previous balances, ledger charges, bill emails), the late-fee job
the day after a due date, the extension and arrangement checks, then the day's payments through `post_payment`
(card, bank, counter, lockbox, bank draft), each account paying by its habit: most on time, some late, some in part,
some skipping a month, a few not at all. A few late payers ask for an extension, a few get an arrangement from a
CSR, a few are disconnected and restored. Nothing here writes a bill, a payment or a ledger entry itself.

Deterministic for a seed number: accounts are visited in id order and every choice comes from one seeded generator.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal import mail
from portal.accounts import extensions, holds, ledger, reads, service_state, tenancy, workorders
from portal.accounts.actor import Actor
from portal.accounts.errors import DomainError
from portal.accounts.models import (
    Account,
    AccountClass,
    AuditEvent,
    Bill,
    ExtensionStatus,
    JobRun,
    LedgerEntry,
    Meter,
    MeterRead,
    Origin,
    Premise,
    Role,
    ServiceRequest,
    User,
    WorkOrder,
    WorkOrderKind,
)
from portal.accounts.models.base import IdMixin
from portal.accounts.payments import NewPayment, post_payments
from portal.accounts.policy import Policy, current_policy
from portal.billing import late_fees
from portal.billing import run as bill_run
from portal.jobs import schedule
from portal.settings import DEFAULT_TIMEZONE, Settings

WAYS = ("autopay", "card", "bank", "counter", "lockbox")
KINDS = ("ontime", "late", "partial", "skipper", "delinquent")


@dataclass(frozen=True)
class Habit:
    """How an account pays: `way` is its usual channel; `kind` how punctually."""

    way: str
    kind: str


def choose_habit(rnd: random.Random, business: bool) -> Habit:
    way = rnd.choices(WAYS, [10, 30, 20, 10, 30] if business else [22, 37, 17, 6, 18])[0]
    kind = rnd.choices(KINDS, [82, 8, 3, 4, 3])[0]
    if way == "autopay" and kind != "delinquent":
        kind = "ontime"  # the bank pays on the due date
    return Habit(way, kind)


@dataclass
class Payment:
    account_id: int
    way: str
    amount_cents: int | None  # None: whatever the account owes that day
    bill_id: int


async def make(
    session: AsyncSession,
    habits: dict[int, Habit],
    *,
    start: dt.date,
    today: dt.date,
    seed: int,
    progress: Callable[[str], None] = lambda _m: None,
    policy: Policy | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> dict[str, int]:
    """Run the city from `start` (its first reads) to `today`, in the caller's transaction. Returns counts."""
    policy = policy or current_policy()
    maker = History(session, habits, policy, timezone, random.Random(seed * 7919 + 17), today)
    await maker.prepare()
    started = time.perf_counter()
    day = start + dt.timedelta(days=1)
    while day <= today:
        marks = await maker.marks()
        await maker.day(day)
        await maker.backdate(day, marks)
        if day.day == 1:
            progress(
                f"  history: {day:%B %Y}, {maker.counts['bill']:,} bills, {maker.counts['payment']:,} payments "
                f"({time.perf_counter() - started:.1f} s)"
            )
        day += dt.timedelta(days=1)
    return dict(maker.counts)


class History:
    def __init__(
        self,
        session: AsyncSession,
        habits: dict[int, Habit],
        policy: Policy,
        timezone: str,
        rnd: random.Random,
        today: dt.date,
    ) -> None:
        self.session, self.habits, self.policy, self.timezone, self.rnd, self.today = (
            session,
            habits,
            policy,
            timezone,
            rnd,
            today,
        )
        self.zone = ZoneInfo(timezone)
        self.settings = Settings.from_env()  # its public address (the demo's --port) and phone, for the bill emails
        self.counts: dict[str, int] = defaultdict(int)
        self.payments: dict[dt.date, list[Payment]] = defaultdict(list)
        self.due_days: set[dt.date] = set()
        self.serial = 0
        self.job = Actor.job("seed-history")
        # the last months' unpaid accounts stop paying two or three bills before today (the cut-off list's people)
        self.stops: dict[int, dt.date] = {}
        self.extension_plans: dict[int, str] = {}  # account -> "kept" / "broken": asks for more time once
        self.disconnect_plans: set[int] = set()
        self.hold_until: dict[int, dt.date] = {}  # no payment from this account before that day
        self.arrangement_plans: set[int] = set()
        self.pending_disconnects: dict[dt.date, list[int]] = defaultdict(list)
        self.pending_restores: dict[dt.date, list[int]] = defaultdict(list)
        self.pending_extensions: dict[dt.date, list[tuple[int, dt.date]]] = defaultdict(list)
        self.pending_arrangements: dict[dt.date, list[int]] = defaultdict(list)
        self.moves: dict[dt.date, list[tuple[int, dt.date]]] = defaultdict(list)
        self.order_days: dict[dt.date, list[int]] = defaultdict(list)  # start and stop orders done that day
        self.active_extensions = 0
        self.active_arrangements = 0

    async def prepare(self) -> None:
        rows = await self.session.execute(
            select(Premise.cycle, Account.id).join(Account, Account.premise_id == Premise.id)
        )
        cycles: dict[int, list[int]] = defaultdict(list)
        for cycle, account_id in rows:
            cycles[cycle].append(account_id)
        self.cycles = sorted(cycles)
        self.technicians = list(
            await self.session.scalars(select(User.id).where(User.role == Role.FIELD).order_by(User.id))
        )
        self.csr = await self.session.scalar(select(User).where(User.role == Role.CSR).order_by(User.id).limit(1))
        for account_id in sorted(self.habits):
            habit = self.habits[account_id]
            if habit.kind == "delinquent":
                self.stops[account_id] = self.today - dt.timedelta(days=self.rnd.randint(62, 80))
        homes = set(
            await self.session.scalars(select(Account.id).where(Account.account_class == AccountClass.RESIDENTIAL))
        )
        # households that are late once in a while (or pay on time but for once are not): a few ask for more time,
        # a few are cut off for a day
        late = [a for a in sorted(self.habits) if self.habits[a].kind == "late" and a in homes]
        punctual = [a for a in sorted(self.habits) if self.habits[a] == Habit("card", "ontime") and a in homes]
        self.rnd.shuffle(late)
        self.rnd.shuffle(punctual)
        pool = late + punctual[:10]
        for account_id in pool[:4]:
            self.extension_plans[account_id] = "kept"
        for account_id in pool[4:7]:
            self.extension_plans[account_id] = "broken"
        self.disconnect_plans = set(pool[7:11])
        skippers = [a for a in sorted(self.habits) if self.habits[a].kind == "skipper" and a in homes]
        self.arrangement_plans = set(skippers[:3])
        # about one household in a hundred (and one business) changes hands: a stop, a start, a deposit by the rule
        households = sorted(set(punctual + late) - set(pool[:11]))
        shops = [a for a in sorted(self.habits) if a not in homes and self.habits[a].kind == "ontime"]
        movers = self.rnd.sample(households, min(len(households), max(2, len(households) // 100))) + shops[:1]
        cycle_of = dict(
            (
                await self.session.execute(
                    select(Account.id, Premise.cycle)
                    .join(Premise, Premise.id == Account.premise_id)
                    .where(Account.id.in_(movers))
                )
            ).all()
        )
        for account_id in movers:
            month = add_months(self.today.replace(day=1), -self.rnd.randint(3, 9))
            stop_on = self.policy.next_business_day(
                month.replace(day=CYCLE_DAYS[cycle_of[account_id]]) + dt.timedelta(days=8)
            )
            self.moves[stop_on - dt.timedelta(days=14)].append((account_id, stop_on))

    # ---- one day, in the order the schedule runs things ----------------------------------------------------------

    def ran(self, job: str, day: dt.date, **counts: int) -> None:
        """The job ledger's row for a job the history ran (what `portal worker` would have written), so the staff's
        jobs page shows when each last ran rather than "never" over 14 months of bills. Only jobs whose every run the
        history makes (the bill runs) or whose catch-up takes only the latest day: nothing is replayed at start-up."""
        at = schedule.scheduled_at(schedule.BY_NAME[job], day, self.zone)
        self.session.add(
            JobRun(
                job=job,
                business_date=day,
                trigger="history",
                outcome="ok",
                started_at=at,
                heartbeat_at=at,
                finished_at=at + dt.timedelta(seconds=40),
                counts=counts,
                requested_by="job:seed-history",
            )
        )

    async def marks(self) -> dict[type[IdMixin], int]:
        return {model: await self.session.scalar(select(func.max(model.id))) or 0 for model in DATED}

    async def backdate(self, day: dt.date, marks: dict[type[IdMixin], int]) -> None:
        """What a history day wrote is dated that day, not the moment of seeding: the account history, an order's
        turnaround (created after it was completed, it was negative) and the requests page read these times."""
        at = dt.datetime.combine(day, dt.time(8, 0), self.zone).astimezone(dt.UTC)
        for model, column in DATED.items():
            await self.session.execute(
                update(model)
                .where(model.id > marks[model])
                .values({column: at})
                .execution_options(synchronize_session=False)
            )

    async def day(self, day: dt.date) -> None:
        for cycle in self.cycles:
            if day.day == CYCLE_DAYS[cycle]:
                billed = self.counts["bill"]
                await self.bill(cycle, day)
                self.ran(f"bill-run-cycle-{cycle}", day, billed=self.counts["bill"] - billed)
        if day - dt.timedelta(days=1) in self.due_days:
            bills = await late_fees.past_due_bills(self.session, day, self.policy)
            if bills:
                result = await late_fees.fee_chunk(self.session, bills, day, self.policy)
                self.counts["late_fee"] += result.charged
                self.ran("late-fees", day, charged=result.charged)
        if self.active_extensions:
            tally = await extensions.check(self.session, self.job, on=day, mailer=mail.OUTBOX)
            self.active_extensions -= tally.kept + tally.broken
            self.ran("extensions-check", day, kept=tally.kept, broken=tally.broken)
        if self.active_arrangements:
            from portal.staff import arrangements

            settled = await arrangements.check(self.session, self.job, on=day)
            self.active_arrangements -= settled.completed + settled.broken
            self.ran("arrangements-check", day, completed=settled.completed, broken=settled.broken)
        for account_id, promised_on in self.pending_extensions.pop(day, []):
            await self.ask_extension(account_id, day, promised_on)
        for account_id in self.pending_arrangements.pop(day, []):
            await self.grant_arrangement(account_id, day)
        for account_id, stop_on in self.moves.pop(day, []):
            await self.move_out_and_in(account_id, day, stop_on)
        for order_id in self.order_days.pop(day, []):
            await self.complete_order(order_id, day)
        for account_id in self.pending_disconnects.pop(day, []):
            await self.disconnect(account_id, day)
        await self.pay(day)
        for account_id in self.pending_restores.pop(day, []):
            await self.restore(account_id, day)

    async def bill(self, cycle: int, day: dt.date) -> None:
        book = await bill_run.load_rates(self.session)
        ctx = bill_run.RunContext(
            cycle,
            day,
            bill_run.due_date(day, self.policy),
            book,
            self.policy,
            self.settings.public_url,  # the demo's own address (its --port), which the bill emails link to
            mail.OUTBOX,
            self.zone,
            self.settings.utility_phone,
        )
        ids = await bill_run.candidates(self.session, cycle, day)
        size = self.policy.bill_run_chunk
        for offset in range(0, len(ids), size):
            result = await bill_run.bill_chunk(self.session, ids[offset : offset + size], ctx)
            self.counts["bill"] += result.billed
        self.due_days.add(ctx.due_on)
        rows = await self.session.execute(
            select(Bill.id, Bill.account_id, Bill.total_cents, Bill.due_date)
            .where(Bill.bill_date == day, Bill.cycle == cycle)
            .order_by(Bill.account_id)
        )
        for bill_id, account_id, total, due in rows:
            self.plan_payment(account_id, bill_id, day, due, total)

    def plan_payment(self, account_id: int, bill_id: int, bill_date: dt.date, due: dt.date, total: int) -> None:
        habit = self.habits.get(account_id)
        if habit is None:
            return  # an account opened by a side's seed after the history: not part of it
        rnd = self.rnd
        stop = self.stops.get(account_id)
        if stop is not None and bill_date >= stop:
            return
        way = habit.way if rnd.random() < 0.92 else rnd.choice(("card", "counter", "lockbox"))
        on, amount = bill_date + dt.timedelta(days=rnd.randint(4, 18)), None
        months_left = (self.today - bill_date).days // 30
        if habit.way == "autopay":
            way, on, amount = "autopay", due - dt.timedelta(days=self.policy.draft_days_before_due), total
        elif account_id in self.extension_plans and months_left == 4:
            # late this time: asks for more time three days after the due date, then keeps the promise or not
            outcome = self.extension_plans[account_id]
            promised_on = due + dt.timedelta(days=10)
            self.pending_extensions[due + dt.timedelta(days=3)].append((account_id, promised_on))
            on = due + dt.timedelta(days=8) if outcome == "kept" else due + dt.timedelta(days=26)
        elif account_id in self.disconnect_plans and months_left == 6:
            # very late this time: service is cut off for non-payment, paid the next day, restored
            cut = self.policy.next_business_day(due + dt.timedelta(days=33))
            self.pending_disconnects[cut].append(account_id)
            on = cut + dt.timedelta(days=1)
            self.pending_restores[on].append(account_id)
            self.hold_until[account_id] = on  # the next bill is not paid before then either
        elif account_id in self.arrangement_plans and months_left in (7, 8):
            if months_left == 8:
                return  # skips this bill and the next; a CSR grants an arrangement after the second
            self.pending_arrangements[due + dt.timedelta(days=5)].append(account_id)
            return
        elif habit.kind in ("late", "delinquent") and rnd.random() < 0.35:
            on = due + dt.timedelta(days=rnd.randint(3, 20))
        elif habit.kind == "partial" and rnd.random() < 0.4:
            amount = -rnd.randint(40, 80)  # that percentage of what is owed
        elif habit.kind == "skipper" and rnd.random() < 0.15:
            return  # forgot this one; the next bill's payment covers both
        on = max(on, self.hold_until.get(account_id, on))
        if on <= self.today:
            self.payments[on].append(Payment(account_id, way, amount, bill_id))

    async def pay(self, day: dt.date) -> None:
        """The day's payments, in one call of the real posting (a round per account, as one call after another)."""
        todays = self.payments.pop(day, [])
        if not todays:
            return
        owed = await ledger.balances(self.session, sorted({p.account_id for p in todays}))
        batch = []
        for payment in todays:
            balance = owed.get(payment.account_id, 0)
            amount = payment.amount_cents
            if amount is None:
                amount = balance
            elif amount < 0:
                amount = balance * -amount // 100
            else:
                amount = min(amount, balance)  # a draft takes the bill, never more than is owed
            if amount <= 0:
                continue
            batch.append(await self.payment(payment, day, amount))
            owed[payment.account_id] = balance - amount
        await post_payments(self.session, self.job, batch, timezone=self.timezone, policy=self.policy)
        self.counts["payment"] += len(batch)

    async def payment(self, payment: Payment, day: dt.date, amount: int) -> NewPayment:
        """The payment as its channel would post it: its key, method and time of day."""
        self.serial += 1
        rnd = self.rnd
        way = payment.way
        if way == "autopay":
            key, method, at = f"draft:{payment.bill_id}", "draft", dt.time(5, rnd.randint(0, 59))
        elif way == "counter":
            from portal.staff import cashier

            number = await cashier.next_number(self.session)  # the cashiers' own gap-free sequence
            key, method, at = (
                cashier.receipt_key(number),
                rnd.choice(("cash", "check")),
                dt.time(rnd.randint(8, 16), rnd.randint(0, 59)),
            )
        elif way == "lockbox":
            key, method, at = f"lockbox:seed-{self.serial}", "lockbox", dt.time(12)
        else:
            key = f"pi_seed{self.serial:07d}{rnd.getrandbits(32):08x}"
            method = "card" if way == "card" else "us_bank_account"
            at = dt.time(rnd.randint(7, 22), rnd.randint(0, 59))
        return NewPayment(payment.account_id, amount, key, method, dt.datetime.combine(day, at, self.zone))

    # ---- the rarer stories -------------------------------------------------------------------------------------

    async def ask_extension(self, account_id: int, day: dt.date, promised_on: dt.date) -> None:
        """Asked through the rule as a resident would; kept or broken is then up to the planned payment's day and
        the real extension check."""
        account = await self.session.get_one(Account, account_id)
        try:
            result = await extensions.request(
                self.session, self.job, self.policy, account, promised_on=promised_on, today=day
            )
        except DomainError:
            return
        if result.extension.status == ExtensionStatus.ACTIVE:
            self.active_extensions += 1
            self.counts["extension"] += 1

    async def grant_arrangement(self, account_id: int, day: dt.date) -> None:
        from portal.staff import account_actions

        account = await self.session.get_one(Account, account_id)
        actor = Actor(self.csr.id, self.csr.email, Origin.WEB, self.csr.role) if self.csr else self.job
        try:
            arrangement = await account_actions.grant_arrangement(
                self.session,
                actor,
                self.policy,
                account,
                instalments=3,
                reason="Lost hours at work; pays half now",
                today=day,
            )
        except DomainError:
            return
        self.active_arrangements += 1
        self.counts["arrangement"] += 1
        # the down payment the next day; then each bill and its instalment together, by the usual channel
        down = Payment(account_id, self.habits[account_id].way, arrangement.down_payment_cents, 0)
        self.payments[day + dt.timedelta(days=1)].append(down)
        for item in arrangement.instalments:
            due_on = dt.date.fromisoformat(item["due_on"]) - dt.timedelta(days=2)
            if due_on <= self.today:
                self.payments[due_on].append(Payment(account_id, self.habits[account_id].way, None, 0))

    async def move_out_and_in(self, account_id: int, day: dt.date, stop_on: dt.date) -> None:
        """A customer asks to stop service two weeks ahead; a new one asks to start the next day at that address and
        is quoted a deposit by the rule from the address's bills. The orders are done on their days."""
        account = await self.session.get_one(Account, account_id)
        start_on = self.policy.next_business_day(stop_on + dt.timedelta(days=1))
        first, last = self.rnd.choice(NEW_FIRST), self.rnd.choice(NEW_LAST)
        identity = tenancy.Identity(
            first,
            last,
            f"{first}.{last}.{account_id}@example.com".lower(),
            f"254-555-{account_id % 10000:04d}",
            business_name=None if account.account_class == AccountClass.RESIDENTIAL else f"{last} Supply Co.",
        )
        try:
            async with self.session.begin_nested():
                stop = await tenancy.stop_service(
                    self.session,
                    self.job,
                    self.policy,
                    account,
                    stop_on=stop_on,
                    forwarding_address="1400 Lavaca St Apt 12, Austin, TX 78701",
                    today=day,
                )
                start = await tenancy.start_service(
                    self.session,
                    self.job,
                    self.policy,
                    premise_id=account.premise_id,
                    start_on=start_on,
                    today=day,
                    identity=identity,
                    account_class=account.account_class,
                )
        except DomainError:
            return  # a holiday in the way: this one stays
        if stop.stop_order_id is not None:  # a stop always makes its order; the type allows a stop without one
            self.order_days[stop_on].append(stop.stop_order_id)
        self.order_days[start_on].append(start.order.id)
        self.habits[start.account.id] = Habit("card", "ontime")
        self.counts["move"] += 1

    async def complete_order(self, order_id: int, day: dt.date) -> None:
        """The technician's visit: a stop takes the final read (between the month's reads on the meter's register),
        a start turns service on; the account's status and service dates follow from the order."""
        order = await self.session.get_one(WorkOrder, order_id)
        tech = (
            await self.session.get_one(User, self.technicians[order_id % len(self.technicians)])
            if self.technicians
            else None
        )
        actor = Actor(tech.id, tech.email, Origin.SYNC, tech.role) if tech else self.job
        at = dt.datetime.combine(day, dt.time(11, 15), self.zone).astimezone(dt.UTC)
        result: dict[str, object] = {"action": "complete_order"}
        if order.kind == WorkOrderKind.STOP and order.meter_id is not None:
            meter = await self.session.get_one(Meter, order.meter_id)
            before = (
                await self.session.execute(
                    select(MeterRead.value, MeterRead.read_at)
                    .where(MeterRead.meter_id == meter.id, MeterRead.read_at < at)
                    .order_by(MeterRead.read_at.desc())
                    .limit(1)
                )
            ).first()
            after = (
                await self.session.execute(
                    select(MeterRead.value, MeterRead.read_at)
                    .where(MeterRead.meter_id == meter.id, MeterRead.read_at > at)
                    .order_by(MeterRead.read_at)
                    .limit(1)
                )
            ).first()
            value = before.value if before else 0
            if before and after and after.value >= before.value:
                share = (at - before.read_at) / (after.read_at - before.read_at)
                value = before.value + int((after.value - before.value) * share)
            await reads.record_read(self.session, actor, meter, value=value, read_at=at, work_order_id=order.id)
            result = {"action": "record_read", "value": value}
        await workorders.complete(self.session, actor, order, result, completed_at=at)
        await service_state.order_completed(self.session, actor, order, action=str(result["action"]), day=day)

    async def disconnect(self, account_id: int, day: dt.date) -> None:
        account = await self.session.get_one(Account, account_id)
        tech = self.technicians[account_id % len(self.technicians)] if self.technicians else None
        if await holds.excluded(self.session, self.policy, [account_id], day):
            return  # the cut-off rule keeps this one (an extension, a small balance...): no disconnect
        order = await workorders.create(
            self.session,
            self.job,
            kind=WorkOrderKind.DISCONNECT,
            premise_id=account.premise_id,
            account_id=account_id,
            assignee_id=tech,
            due_on=day,
            priority=1,
            instructions="Disconnect for non-payment; a customer who says they paid today: call dispatch first. Leave a door hanger.",
        )
        at = dt.datetime.combine(day, dt.time(10, 30), self.zone).astimezone(dt.UTC)
        await workorders.complete(
            self.session,
            self.job,
            order,
            {"action": "disconnect_done", "seal": f"S-{30000 + order.id}"},
            completed_at=at,
        )
        await service_state.order_completed(self.session, self.job, order, action="disconnect_done", day=day)
        self.counts["disconnect"] += 1

    async def restore(self, account_id: int, day: dt.date) -> None:
        account = await self.session.get_one(Account, account_id)
        order = await workorders.open_for(self.session, account, WorkOrderKind.RESTORE)
        if order is None:
            return  # not paid after all
        at = dt.datetime.combine(day, dt.time(15, 10), self.zone).astimezone(dt.UTC)
        await workorders.complete(self.session, self.job, order, {"action": "restore_done"}, completed_at=at)
        await service_state.order_completed(self.session, self.job, order, action="restore_done", day=day)
        self.counts["restore"] += 1


CYCLE_DAYS = {1: 3, 2: 10, 3: 17, 4: 24}
# The rows a history day makes that carry the moment they were made (an order's visit keeps its own completed_at).
DATED: dict[type[IdMixin], str] = {AuditEvent: "at", WorkOrder: "created_at", ServiceRequest: "created_at"}
NEW_FIRST = ["Ashley", "Diego", "Hannah", "Marco", "Tanya", "Oscar", "Mei", "Andre", "Lucía", "Grace"]
NEW_LAST = ["Alvarez", "Bennett", "Chen", "Dominguez", "Ellis", "Fuentes", "Grant", "Holloway", "Ibarra", "Jensen"]


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(
        year=index // 12, month=index % 12 + 1
    )  # the read (and bill) day of each cycle, as the seeded reads are taken


async def ledger_sum(session: AsyncSession, account_id: int, before_entry_id: int) -> int:
    """What the account owed just before one of its entries was posted (posting order)."""
    return int(
        await session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                LedgerEntry.account_id == account_id, LedgerEntry.id < before_entry_id
            )
        )
        or 0
    )
