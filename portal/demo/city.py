"""A realistic small city for the demo and for trying things out: about 1,500 premises and accounts, 14 months of
seasonal reads with a few leaks, billed and paid month by month by the real engine (portal/demo/history.py), some
delinquent accounts, medical-alert customers, technicians with today's orders, CSRs and a supervisor.

Deterministic for a given seed number. The city's people, places, meters and reads are bulk-inserted with explicit
ids (the database is empty), PostgreSQL's id sequences are moved past them, and then its history is made by the
bill run, the late-fee job and the payment, extension, arrangement, order and tenancy services.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import holds, numbers
from portal.accounts.models import (
    Account,
    AccountClass,
    AccountStatus,
    Base,
    Customer,
    Meter,
    MeterKind,
    MeterRead,
    Premise,
    ReadSource,
    Role,
    Service,
    ServiceKind,
    User,
    UserAccount,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.photos import PhotoStore
from portal.accounts.policy import current_policy
from portal.demo import history
from portal.demo.billing import seed as seed_billing
from portal.demo.field import seed as seed_field
from portal.demo.residents import seed as seed_residents
from portal.demo.staff import seed as seed_staff
from portal.i18n import lazy_gettext
from portal.staff.rules import next_disconnect_day

UTC = dt.UTC
CITY, STATE = "Riverton", "TX"
ZIPS = ["76501", "76502", "76504"]
STREETS = [
    "Oak St",
    "Elm St",
    "Pecan Ave",
    "Live Oak Dr",
    "Mesquite Ln",
    "Bluebonnet Dr",
    "Cedar Ridge Rd",
    "Main St",
    "Church St",
    "Mill Creek Dr",
    "Riverside Dr",
    "Sunset Blvd",
    "Lamar Ave",
    "Travis St",
    "Houston St",
    "Bowie Ct",
    "Crockett Ln",
    "Sam Rayburn Dr",
    "Willow Bend",
    "Cottonwood Trl",
    "Hackberry St",
    "Magnolia Way",
    "Post Oak Rd",
    "Prairie View Dr",
    "Indian Trail",
    "Lakeview Dr",
    "Meadowbrook Ln",
    "Hillcrest Dr",
    "San Jacinto Ave",
    "Guadalupe St",
    "Brazos Dr",
    "Colorado Ave",
    "Pleasant Hill Rd",
    "Ranch Rd 12",
]
FIRST = [
    "María",
    "José",
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "Juan",
    "Guadalupe",
    "Carlos",
    "Rosa",
    "Luis",
    "Ana",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Daniel",
    "Karen",
    "Miguel",
    "Sofía",
    "Jorge",
    "Carmen",
    "Kevin",
    "Nancy",
    "Brian",
    "Lisa",
    "Alejandro",
    "Verónica",
    "Tyrone",
    "Keisha",
    "Minh",
    "Linh",
    "Priya",
    "Raj",
]
LAST = [
    "Garcia",
    "Smith",
    "Martinez",
    "Johnson",
    "Hernandez",
    "Williams",
    "Lopez",
    "Brown",
    "Gonzalez",
    "Jones",
    "Rodriguez",
    "Davis",
    "Perez",
    "Miller",
    "Sanchez",
    "Wilson",
    "Ramirez",
    "Anderson",
    "Torres",
    "Taylor",
    "Flores",
    "Thomas",
    "Rivera",
    "Moore",
    "Gomez",
    "Jackson",
    "Diaz",
    "White",
    "Reyes",
    "Harris",
    "Nguyen",
    "Tran",
    "Patel",
    "Washington",
    "Cruz",
    "Ortiz",
    "Morales",
    "Castillo",
    "Baker",
    "Green",
    "Okafor",
    "Kim",
]
BUSINESSES = [
    "Riverton Diner",
    "Lone Star Laundromat",
    "Brazos Dental Clinic",
    "Main Street Hardware",
    "Sunrise Bakery",
    "Pecan Grove Apartments",
    "Riverton ISD Elementary",
    "Car Wash Express",
    "El Rancho Taqueria",
    "Bluebonnet Nursing Center",
    "Quick Stop #12",
    "First Baptist Church",
    "Riverton Family Medicine",
    "Westside Auto Repair",
    "Tejas Tortilleria",
    "Heart of Texas Fitness",
    "Hilltop Veterinary",
    "Green Leaf Cafe",
]
HAZARDS = [
    "Dog in yard",
    "Aggressive dog: call first",
    "Meter box lid cracked",
    "Locked gate: code 4412",
    "Meter behind fence",
    "Bees in meter box last visit",
    "Steep driveway: park on street",
]

# Demo personas: the sign-in page offers these as buttons in demo mode (see portal/demo/signin.py).
PERSONAS: dict[str, tuple[str, Any]] = {
    "resident": ("maria.resident@example.com", lazy_gettext("Resident (María Lopez, prefers Spanish)")),
    "resident-late": ("james.late@example.com", lazy_gettext("Resident with a past-due balance")),
    "technician": ("tech1@riverton.example", lazy_gettext("Field technician")),
    "csr": ("csr1@riverton.example", lazy_gettext("Customer-service representative")),
    "supervisor": ("supervisor@riverton.example", lazy_gettext("Supervisor")),
}
STAFF = [
    ("tech1@riverton.example", "Luis Ortega", Role.FIELD),
    ("tech2@riverton.example", "Dana Whitfield", Role.FIELD),
    ("tech3@riverton.example", "Marcus Bell", Role.FIELD),
    ("csr1@riverton.example", "Angela Ruiz", Role.CSR),
    ("csr2@riverton.example", "Tom Becker", Role.CSR),
    ("supervisor@riverton.example", "Helen Park", Role.SUPERVISOR),
    ("admin@riverton.example", "System Administrator", Role.ADMIN),
]

DEMO_PREMISES = 1500  # the demo's city: big enough for every screen, made with its history in under a minute
HISTORY_MONTHS = 14  # months of reads before today: 13 or 14 monthly bills per account, by its cycle


@dataclass
class Rows:
    """Rows to insert, per model, in dependency order."""

    data: dict[type[Base], list[dict[str, Any]]] = field(default_factory=dict)
    next_id: dict[type[Base], int] = field(default_factory=dict)
    habits: dict[int, history.Habit] = field(default_factory=dict)  # account id -> how it pays (history.py)
    today: dt.date | None = None
    seed: int = 0

    def add(self, model: type[Base], **values: Any) -> int:
        if "id" not in values and "id" in model.__table__.c:
            values["id"] = self.next_id.get(model, 1)
            self.next_id[model] = values["id"] + 1
        self.data.setdefault(model, []).append(values)
        return values.get("id", 0)

    def count(self, model: type[Base]) -> int:
        return len(self.data.get(model, []))


def _cycle_day(cycle: int) -> int:
    return history.CYCLE_DAYS[cycle]


def _seasonal(month: int) -> float:
    return {1: 0.85, 2: 0.85, 3: 0.95, 4: 1.05, 5: 1.2, 6: 1.45, 7: 1.65, 8: 1.6, 9: 1.3, 10: 1.05, 11: 0.9, 12: 0.85}[
        month
    ]


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=min(day.day, 28))


def _energy(
    rows: Rows,
    rnd: random.Random,
    kind: ServiceKind,
    account_id: int,
    premise_id: int,
    opened: dt.date,
    start: dt.date,
    cycle: int,
    today: dt.date,
) -> None:
    """An electric or gas meter, its service and a monthly read on the water read's day: kWh peak in summer, therms in
    winter (the rates' season and adjustments explain the bill: portal/billing/rates.py)."""
    electric = kind == ServiceKind.ELECTRIC
    created = dt.datetime.combine(opened, dt.time(9), UTC)
    meter_id = rows.add(
        Meter,
        serial=f"{'E' if electric else 'G'}{31000000 + account_id:08d}",
        kind=MeterKind.ELECTRIC if electric else MeterKind.GAS,
        size="",
        dials=5,
        multiplier=1,
        unit="kWh" if electric else "therm",
        premise_id=premise_id,
        installed_on=opened,
        location_note="Side of house",
        created_at=created,
    )
    rows.add(
        Service,
        account_id=account_id,
        kind=kind,
        rate_code="E-RES" if electric else "G-RES",
        quantity=1,
        started_on=opened,
        created_at=created,
    )
    daily = rnd.uniform(18, 40) if electric else rnd.uniform(0.8, 2.5)
    register = rnd.randint(0, 60_000)
    for m in range(HISTORY_MONTHS + 2):
        on = _add_months(start, m).replace(day=_cycle_day(cycle))
        if on > today:
            break
        if m:
            days = (on - _add_months(start, m - 1).replace(day=_cycle_day(cycle))).days
            season = (
                (1.5 if on.month in (6, 7, 8, 9) else 1.0) if electric else (2.2 if on.month in (12, 1, 2) else 0.6)
            )
            register = (register + int(daily * days * season * rnd.uniform(0.9, 1.1))) % 100_000
        read_at = dt.datetime.combine(on, dt.time(15, rnd.randint(0, 59)), UTC)
        rows.add(
            MeterRead,
            meter_id=meter_id,
            value=register,
            read_at=read_at,
            source=ReadSource.FIELD,
            flags=[],
            created_at=read_at,
        )


def build(today: dt.date, premises: int = DEMO_PREMISES, seed: int = 42) -> Rows:  # long: one linear story
    rnd = random.Random(seed)
    energy_rnd = random.Random(seed + 1)
    rows = Rows(today=today, seed=seed)

    # ---- premises ---------------------------------------------------------------------------------------------
    plan: list[tuple[str, int | None, str | None]] = []  # (kind, parent index, unit)
    buildings = 8
    for _building in range(buildings):
        parent_index = len(plan)
        plan.append(("building", None, None))
        for u in range(rnd.randint(6, 12)):
            plan.append(("unit", parent_index, f"Apt {100 + u + 1}"))
    commercial = 120
    plan += [("commercial", None, None)] * commercial
    plan += [("house", None, None)] * max(0, premises - len(plan))

    premise_ids: list[int] = []
    for index, (kind, parent, unit) in enumerate(plan):
        street = STREETS[index % len(STREETS)]
        number = 100 + (index // len(STREETS)) * 4 + rnd.randint(0, 3)
        if kind == "unit":
            parent_row = rows.data[Premise][parent]  # type: ignore[index]  # a unit's plan entry always names its building
            address, zip_code, route, cycle = (
                parent_row["address"],
                parent_row["zip"],
                parent_row["route"],
                parent_row["cycle"],
            )
        else:
            address, zip_code = f"{number} {street}", ZIPS[(index // 300) % len(ZIPS)]
            route = f"R{(index % 20) + 1:02d}"
            cycle = (index % 20) // 5 + 1
        premise_ids.append(
            rows.add(
                Premise,
                address=address,
                unit=unit,
                city=CITY,
                state=STATE,
                zip=zip_code,
                parent_id=premise_ids[parent] if parent is not None else None,
                lat=round(31.09 + rnd.uniform(-0.04, 0.04), 6),
                lon=round(-97.36 + rnd.uniform(-0.05, 0.05), 6),
                route=route,
                cycle=cycle,
                hazards=rnd.choice(HAZARDS) if rnd.random() < 0.06 else None,
                solid_waste_carts=1 if kind != "commercial" else 0,
                stormwater_erus=1 if kind in ("house", "unit") else rnd.randint(2, 8),
                created_at=dt.datetime(2015, 1, 1, tzinfo=UTC),
            )
        )

    # ---- customers, accounts, services, meters and their reads (bills and money come from the engine: history.py)
    start = _add_months(today.replace(day=1), -HISTORY_MONTHS)
    account_seq = 10_000_000
    delinquent: list[int] = []
    good: list[int] = []
    account_premise: dict[int, int] = {}
    account_meter: dict[int, int] = {}
    for index, (kind, _parent, _unit) in enumerate(plan):
        if kind == "building":
            continue
        premise_id = premise_ids[index]
        premise = rows.data[Premise][premise_id - 1]
        is_business = kind == "commercial"
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        spanish = (
            first
            in {
                "María",
                "José",
                "Juan",
                "Guadalupe",
                "Carlos",
                "Rosa",
                "Luis",
                "Ana",
                "Miguel",
                "Sofía",
                "Jorge",
                "Carmen",
                "Alejandro",
                "Verónica",
            }
            and rnd.random() < 0.6
        )
        customer_id = rows.add(
            Customer,
            first_name=first,
            last_name=last,
            business_name=BUSINESSES[index % len(BUSINESSES)] if is_business else None,
            email=f"{first.lower()}.{last.lower()}{index}@example.com".replace("í", "i")
            .replace("é", "e")
            .replace("á", "a")
            if rnd.random() < 0.65
            else None,
            phone=f"254-555-{1000 + index:04d}",
            language="es" if spanish else "en",
            paperless=rnd.random() < 0.3,
            notify_email=True,
            notify_sms=rnd.random() < 0.2,
            medical_alert_until=today + dt.timedelta(days=rnd.randint(20, 300))
            if (not is_business and rnd.random() < 0.006)
            else None,
            created_at=dt.datetime(2015, 1, 1, tzinfo=UTC),
        )
        account_seq += 1
        opened = start - dt.timedelta(days=rnd.randint(30, 3000))
        account_id = rows.add(
            Account,
            number=numbers.with_check_digit(account_seq),
            customer_id=customer_id,
            premise_id=premise_id,
            account_class=AccountClass.COMMERCIAL if is_business else AccountClass.RESIDENTIAL,
            status=AccountStatus.ACTIVE,
            opened_on=opened,
            dispute_pending=False,
            bankruptcy_hold=False,
            consecutive_estimates=0,
            created_at=dt.datetime.combine(opened, dt.time(9), UTC),
        )
        account_premise[account_id] = premise_id
        size = rnd.choice(["1", "1.5", "2"]) if is_business else rnd.choices(["5/8", "3/4", "1"], [80, 15, 5])[0]
        multiplier = 10 if size in ("1.5", "2") else 1
        meter_id = rows.add(
            Meter,
            serial=f"W{21000000 + index:08d}",
            kind=MeterKind.WATER,
            size=size,
            dials=7 if multiplier == 10 else 6,
            multiplier=multiplier,
            unit="gal",
            premise_id=premise_id,
            installed_on=opened,
            location_note=rnd.choice(["Front yard near curb", "Left of driveway", "Sidewalk box", "Alley side"]),
            created_at=dt.datetime.combine(opened, dt.time(9), UTC),
        )
        account_meter[account_id] = meter_id
        for service_kind, rate, qty in [
            (ServiceKind.WATER, f"W-{'COM' if is_business else 'RES'}", 1),
            (ServiceKind.SEWER, f"S-{'COM' if is_business else 'RES'}", 1),
            (ServiceKind.STORMWATER, "SW-ERU", premise["stormwater_erus"]),
        ] + ([] if is_business else [(ServiceKind.SOLID_WASTE, "SW-CART", premise["solid_waste_carts"])]):
            rows.add(
                Service,
                account_id=account_id,
                kind=service_kind,
                rate_code=rate,
                quantity=qty,
                started_on=opened,
                created_at=dt.datetime.combine(opened, dt.time(9), UTC),
            )

        # usage profile: a monthly read on the cycle's day, seasonal, a few leaks
        # gallons a day: a household 120-330; most businesses 300-1,500 (an office, a diner), one in four a heavy
        # user (a laundromat, a car wash, a nursing center) 1,500-6,000
        if is_business:
            daily = rnd.uniform(300, 1500) if rnd.random() < 0.75 else rnd.uniform(1500, 6000)
        else:
            daily = rnd.uniform(120, 330)
        leak_month = rnd.randint(3, HISTORY_MONTHS - 1) if rnd.random() < 0.03 else None
        habit = history.choose_habit(rnd, is_business)
        rows.habits[account_id] = habit
        if habit.kind == "delinquent":
            delinquent.append(account_id)
        elif habit.kind == "ontime" and not is_business:
            good.append(account_id)
        register = rnd.randint(0, 400_000)
        modulus = 10 ** (7 if multiplier == 10 else 6)
        first_read = dt.datetime.combine(start.replace(day=_cycle_day(premise["cycle"])), dt.time(15), UTC)
        rows.add(
            MeterRead,
            meter_id=meter_id,
            value=register,
            read_at=first_read,
            source=ReadSource.FIELD,
            flags=[],
            created_at=first_read,
        )
        for m in range(1, HISTORY_MONTHS + 2):
            period_end = _add_months(start, m).replace(day=_cycle_day(premise["cycle"]))
            if period_end > today:
                break
            days = (period_end - _add_months(start, m - 1).replace(day=_cycle_day(premise["cycle"]))).days
            usage = daily * days * _seasonal(period_end.month) * rnd.uniform(0.88, 1.12)
            if leak_month is not None and leak_month <= m <= leak_month + 1:
                usage += rnd.uniform(300, 800) * days
            register = (register + int(usage) // multiplier) % modulus
            # 14:00-20:59 UTC: the same day on the utility's clock, which is how billing dates a read
            read_at = dt.datetime.combine(period_end, dt.time(14 + rnd.randint(0, 6), rnd.randint(0, 59)), UTC)
            rows.add(
                MeterRead,
                meter_id=meter_id,
                value=register,
                read_at=read_at,
                source=ReadSource.FIELD,
                flags=["high"] if leak_month == m else [],
                created_at=read_at,
            )
        if not is_business and habit.kind == "ontime":
            # Some houses also buy electric and gas from the city: only households that pay on time, and from a
            # separate random stream, so the rest of the city (its collections story included) is the same with or
            # without them.
            for kind, share in ((ServiceKind.ELECTRIC, 0.3), (ServiceKind.GAS, 0.2)):
                if energy_rnd.random() < share:
                    _energy(rows, energy_rnd, kind, account_id, premise_id, opened, start, premise["cycle"], today)

    # ---- people ------------------------------------------------------------------------------------------------
    for email, name, role in STAFF:
        rows.add(
            User,
            email=email,
            display_name=name,
            role=role,
            active=True,
            session_version=1,
            webauthn_handle=rnd.randbytes(32),
            created_at=dt.datetime(2024, 1, 1, tzinfo=UTC),
        )

    def resident(email: str, account_id: int, first: str, last: str, lang: str) -> None:
        account = rows.data[Account][account_id - 1]
        customer = rows.data[Customer][account["customer_id"] - 1]
        customer.update(first_name=first, last_name=last, email=email, language=lang, medical_alert_until=None)
        user_id = rows.add(
            User,
            email=email,
            display_name=f"{first} {last}",
            role=Role.CUSTOMER,
            customer_id=customer["id"],
            locale=lang,
            active=True,
            session_version=1,
            webauthn_handle=rnd.randbytes(32),
            created_at=dt.datetime(2024, 1, 1, tzinfo=UTC),
        )
        rows.add(UserAccount, user_id=user_id, account_id=account_id, linked_at=dt.datetime(2024, 1, 1, tzinfo=UTC))

    resident(PERSONAS["resident"][0], good[0], "María", "Lopez", "es")
    # the past-due persona is a household (payment extensions and the cut-off rules are about homes)
    late_home = next(
        (a for a in delinquent if rows.data[Account][a - 1]["account_class"] == AccountClass.RESIDENTIAL), delinquent[0]
    )
    resident(PERSONAS["resident-late"][0], late_home, "James", "Whitaker", "en")

    # ---- today's field orders -------------------------------------------------------------------------------------
    technicians = [i + 1 for i, (_e, _n, role) in enumerate(STAFF) if role == Role.FIELD]
    orderable = [a for a in account_premise if a not in delinquent]
    rnd.shuffle(orderable)
    plan_orders: list[tuple[WorkOrderKind, int]] = [(WorkOrderKind.DISCONNECT, a) for a in delinquent[1:7]]
    kinds = (
        [WorkOrderKind.READ] * 12
        + [WorkOrderKind.CHECK_READ] * 5
        + [WorkOrderKind.LEAK_CHECK] * 3
        + [WorkOrderKind.START] * 2
        + [WorkOrderKind.STOP] * 2
        + [WorkOrderKind.METER_TEST] * 2
        + [WorkOrderKind.METER_CHANGE]  # the field's change form: final read, new serial, size and first read
    )
    plan_orders += list(zip(kinds, orderable, strict=False))
    for n, (kind, account_id) in enumerate(plan_orders):
        rows.add(
            WorkOrder,
            kind=kind,
            status=WorkOrderStatus.ASSIGNED,
            account_id=account_id,
            premise_id=account_premise[account_id],
            meter_id=account_meter[account_id],
            assigned_to_id=technicians[n % len(technicians)],
            due_on=today,
            priority=1 if kind == WorkOrderKind.DISCONNECT else 3,
            result={},
            version=1,
            instructions="Disconnect for non-payment; a customer who says they paid today: call dispatch first. Leave a door hanger."
            if kind == WorkOrderKind.DISCONNECT
            else None,
            created_at=dt.datetime.combine(today - dt.timedelta(days=1), dt.time(15), UTC),
            updated_at=dt.datetime.combine(today - dt.timedelta(days=1), dt.time(15), UTC),
        )
    return rows


async def is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count()).select_from(Account))


async def load(
    session: AsyncSession,
    rows: Rows,
    progress: Callable[[str], None] = lambda _m: None,
    photo_store: PhotoStore | None = None,
) -> dict[str, int]:
    """Insert the city (people, places, meters, reads) in dependency order, in chunks; move PostgreSQL's sequences
    past the explicit ids; make its history with the real jobs and services (portal/demo/history.py); then today's
    orders and each side's demo data."""
    order = [Premise, Customer, Account, Service, Meter, User, UserAccount, MeterRead]
    counts = {}
    if session.get_bind().dialect.name == "sqlite":
        # The whole history is one transaction: let SQLite keep its pages in memory (256 MB at most) rather than
        # reading them back from the write-ahead log (this connection only; the pool's others keep the default).
        await session.execute(text("PRAGMA cache_size = -262144"))
    for model in order:
        items = rows.data.get(model, [])
        for offset in range(0, len(items), 5000):
            await session.execute(insert(model).execution_options(render_nulls=True), items[offset : offset + 5000])
        counts[model.__tablename__] = len(items)
        progress(f"  {model.__tablename__}: {len(items):,}")
    if session.get_bind().dialect.name == "postgresql":
        for model in order:
            if "id" in model.__table__.c:
                table = model.__tablename__
                await session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    )
                )
    # each side seeds its demo data after the bulk load, through its own services
    await seed_billing(session)  # the rate schedules, before the first bill run
    today = rows.today or dt.date.today()
    made = await history.make(
        session,
        rows.habits,
        start=_add_months(today.replace(day=1), -HISTORY_MONTHS),
        today=today,
        seed=rows.seed,
        progress=progress,
    )
    counts.update(made)
    # Today's orders come after the history, so no payment in it cancels them; their ids come from the sequence.
    # A disconnect is planned only where the cut-off rule allows one (no certificate, extension, arrangement...).
    # A disconnect is due on a day the policy allows them (not a Friday, a weekend or before a holiday): on such a day
    # the demo's disconnects wait under "Coming up" for the next allowed one, as the cut-off list would date them.
    planned = rows.data.get(WorkOrder, [])
    cut_day = next_disconnect_day(current_policy(), today)
    held = await holds.excluded(
        session,
        current_policy(),
        [row["account_id"] for row in planned if row["kind"] == WorkOrderKind.DISCONNECT],
        cut_day,
    )
    orders = [
        {k: v for k, v in row.items() if k != "id"}
        | ({"due_on": cut_day} if row["kind"] == WorkOrderKind.DISCONNECT else {})
        for row in planned
        if not (row["kind"] == WorkOrderKind.DISCONNECT and row["account_id"] in held)
    ]
    if orders:
        await session.execute(insert(WorkOrder).execution_options(render_nulls=True), orders)
    counts["work_order"] = len(orders)
    await seed_staff(session, today)
    await seed_field(session, today, photo_store)
    await seed_residents(session, today)
    return counts
