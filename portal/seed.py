"""A realistic small city for the demo and for trying things out: about 2,000 premises and accounts, 24 months of
seasonal reads with a few leaks, bills and payments in the ledger, some delinquent accounts, medical-alert customers,
technicians with today's orders, CSRs and a supervisor.

Deterministic for a given seed number. Rows are bulk-inserted with explicit ids (the database is empty), then
PostgreSQL's id sequences are moved past them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import numbers
from portal.accounts.models import (
    Account,
    AccountClass,
    AccountStatus,
    Base,
    Bill,
    BillLine,
    Customer,
    LedgerEntry,
    LedgerKind,
    Meter,
    MeterKind,
    MeterRead,
    Origin,
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
from portal.billing.seed import demo_bill
from portal.i18n import lazy_gettext

UTC = dt.UTC
CITY, STATE = "Riverton", "TX"
ZIPS = ["76501", "76502", "76504"]
STREETS = [
    "Oak St", "Elm St", "Pecan Ave", "Live Oak Dr", "Mesquite Ln", "Bluebonnet Dr", "Cedar Ridge Rd", "Main St",
    "Church St", "Mill Creek Dr", "Riverside Dr", "Sunset Blvd", "Lamar Ave", "Travis St", "Houston St",
    "Bowie Ct", "Crockett Ln", "Sam Rayburn Dr", "Willow Bend", "Cottonwood Trl", "Hackberry St", "Magnolia Way",
    "Post Oak Rd", "Prairie View Dr", "Indian Trail", "Lakeview Dr", "Meadowbrook Ln", "Hillcrest Dr",
    "San Jacinto Ave", "Guadalupe St", "Brazos Dr", "Colorado Ave", "Pleasant Hill Rd", "Ranch Rd 12",
]
FIRST = [
    "María", "José", "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "Juan", "Guadalupe", "Carlos", "Rosa", "Luis", "Ana", "William", "Barbara", "Richard", "Susan",
    "Joseph", "Jessica", "Thomas", "Sarah", "Daniel", "Karen", "Miguel", "Sofía", "Jorge", "Carmen", "Kevin",
    "Nancy", "Brian", "Lisa", "Alejandro", "Verónica", "Tyrone", "Keisha", "Minh", "Linh", "Priya", "Raj",
]
LAST = [
    "Garcia", "Smith", "Martinez", "Johnson", "Hernandez", "Williams", "Lopez", "Brown", "Gonzalez", "Jones",
    "Rodriguez", "Davis", "Perez", "Miller", "Sanchez", "Wilson", "Ramirez", "Anderson", "Torres", "Taylor",
    "Flores", "Thomas", "Rivera", "Moore", "Gomez", "Jackson", "Diaz", "White", "Reyes", "Harris", "Nguyen",
    "Tran", "Patel", "Washington", "Cruz", "Ortiz", "Morales", "Castillo", "Baker", "Green", "Okafor", "Kim",
]
BUSINESSES = [
    "Riverton Diner", "Lone Star Laundromat", "Brazos Dental Clinic", "Main Street Hardware", "Sunrise Bakery",
    "Pecan Grove Apartments", "Riverton ISD Elementary", "Car Wash Express", "El Rancho Taqueria",
    "Bluebonnet Nursing Center", "Quick Stop #12", "First Baptist Church", "Riverton Family Medicine",
    "Westside Auto Repair", "Tejas Tortilleria", "Heart of Texas Fitness", "Hilltop Veterinary", "Green Leaf Cafe",
]
HAZARDS = ["Dog in yard", "Aggressive dog: call first", "Meter box lid cracked", "Locked gate: code 4412",
           "Meter behind fence", "Bees in meter box last visit", "Steep driveway: park on street"]

# Demo personas: the sign-in page offers these as buttons in demo mode (see portal.auth.demo).
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

# Placeholder monthly charges for seeded history only; the billing engine's rate schedules replace this.
WATER_BASE = {"5/8": 1250, "3/4": 1500, "1": 2200, "1.5": 3800, "2": 6000}
WATER_TIERS = [(3000, 310), (10000, 425), (None, 590)]  # (up to gallons, cents per 1,000 gal)
SEWER_BASE, SEWER_PER_KGAL, SEWER_RES_CAP = 1400, 480, 12000
TRASH_PER_CART, STORM_PER_ERU = 2150, 600


@dataclass
class Rows:
    """Rows to insert, per model, in dependency order."""

    data: dict[type[Base], list[dict[str, Any]]] = field(default_factory=dict)
    next_id: dict[type[Base], int] = field(default_factory=dict)

    def add(self, model: type[Base], **values: Any) -> int:
        if "id" not in values and "id" in model.__table__.c:
            values["id"] = self.next_id.get(model, 1)
            self.next_id[model] = values["id"] + 1
        self.data.setdefault(model, []).append(values)
        return values.get("id", 0)

    def count(self, model: type[Base]) -> int:
        return len(self.data.get(model, []))


def _cycle_day(cycle: int) -> int:
    return {1: 3, 2: 10, 3: 17, 4: 24}[cycle]


def _seasonal(month: int) -> float:
    return {1: 0.85, 2: 0.85, 3: 0.95, 4: 1.05, 5: 1.2, 6: 1.45, 7: 1.65, 8: 1.6, 9: 1.3, 10: 1.05, 11: 0.9, 12: 0.85}[month]


def placeholder_charges(size: str, usage: int, winter_avg: int, residential: bool, carts: int, erus: int) -> list[tuple[ServiceKind, str, int]]:
    lines = [(ServiceKind.WATER, f"Water base charge ({size}\" meter)", WATER_BASE.get(size, 6000))]
    remaining, floor = usage, 0
    for ceiling, rate in WATER_TIERS:
        if remaining <= 0:
            break
        span = remaining if ceiling is None else min(remaining, ceiling - floor)
        lines.append((ServiceKind.WATER, f"Water {floor // 1000}-{'' if ceiling is None else ceiling // 1000} kgal", round(span * rate / 1000)))
        remaining -= span
        floor = ceiling or floor
    billed_sewer = min(usage, winter_avg or usage)
    if residential:
        billed_sewer = min(billed_sewer, SEWER_RES_CAP)
    lines.append((ServiceKind.SEWER, "Sewer base charge", SEWER_BASE))
    lines.append((ServiceKind.SEWER, "Sewer volume", round(billed_sewer * SEWER_PER_KGAL / 1000)))
    if residential:
        lines.append((ServiceKind.SOLID_WASTE, f"Solid waste ({carts} cart)", TRASH_PER_CART * carts))
    lines.append((ServiceKind.STORMWATER, f"Stormwater ({erus} ERU)", STORM_PER_ERU * erus))
    return lines


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=min(day.day, 28))


def build(today: dt.date, premises: int = 2000, seed: int = 42) -> Rows:  # noqa: PLR0915 - one linear story
    rnd = random.Random(seed)
    rows = Rows()
    ledger_key = 0

    def post(account_id: int, kind: LedgerKind, cents: int, on: dt.date, memo: str, key: str, bill_id: int | None = None) -> None:
        rows.add(LedgerEntry, account_id=account_id, kind=kind, amount_cents=cents, effective_on=on, memo=memo,
                 source_key=key, bill_id=bill_id, origin=Origin.JOB, created_at=dt.datetime.combine(on, dt.time(12), UTC))

    # ---- premises ---------------------------------------------------------------------------------------------
    plan: list[tuple[str, int | None, str | None]] = []  # (kind, parent index, unit)
    buildings = 8
    for b in range(buildings):
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
            parent_row = rows.data[Premise][parent]  # type: ignore[index]
            address, zip_code, route, cycle = parent_row["address"], parent_row["zip"], parent_row["route"], parent_row["cycle"]
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

    # ---- customers, accounts, services, meters, reads, bills, ledger -----------------------------------------
    start = _add_months(today.replace(day=1), -24)
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
        spanish = first in {"María", "José", "Juan", "Guadalupe", "Carlos", "Rosa", "Luis", "Ana", "Miguel", "Sofía", "Jorge", "Carmen", "Alejandro", "Verónica"} and rnd.random() < 0.6
        customer_id = rows.add(
            Customer,
            first_name=first,
            last_name=last,
            business_name=BUSINESSES[index % len(BUSINESSES)] if is_business else None,
            email=f"{first.lower()}.{last.lower()}{index}@example.com".replace("í", "i").replace("é", "e").replace("á", "a") if rnd.random() < 0.65 else None,
            phone=f"254-555-{1000 + index:04d}",
            language="es" if spanish else "en",
            paperless=rnd.random() < 0.3,
            notify_email=True,
            notify_sms=rnd.random() < 0.2,
            medical_alert_until=today + dt.timedelta(days=rnd.randint(20, 300)) if (not is_business and rnd.random() < 0.006) else None,
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
        for service_kind, rate, qty in [(ServiceKind.WATER, f"W-{'COM' if is_business else 'RES'}", 1),
                                        (ServiceKind.SEWER, f"S-{'COM' if is_business else 'RES'}", 1),
                                        (ServiceKind.STORMWATER, "SW-ERU", premise["stormwater_erus"])] + (
                                            [] if is_business else [(ServiceKind.SOLID_WASTE, "SW-CART", premise["solid_waste_carts"])]):
            rows.add(Service, account_id=account_id, kind=service_kind, rate_code=rate, quantity=qty, started_on=opened,
                     created_at=dt.datetime.combine(opened, dt.time(9), UTC))

        # usage profile
        daily = rnd.uniform(2500, 9000) if is_business else rnd.uniform(120, 330)
        leak_month = rnd.randint(4, 22) if rnd.random() < 0.03 else None
        behaviour = rnd.choices(["ontime", "late", "delinquent"], [90, 7, 3])[0]
        if behaviour == "delinquent":
            delinquent.append(account_id)
        elif behaviour == "ontime" and not is_business:
            good.append(account_id)
        register = rnd.randint(0, 400_000)
        winter: list[int] = []
        periods: list[tuple[dt.date, int, int]] = []  # (end, days, gallons) of earlier bills
        last_read_id = rows.add(MeterRead, meter_id=meter_id, value=register, read_at=dt.datetime.combine(start.replace(day=_cycle_day(premise["cycle"])), dt.time(10), UTC),
                                source=ReadSource.FIELD, flags=[], created_at=dt.datetime.combine(start, dt.time(10), UTC))
        unpaid_from = 24 - rnd.randint(2, 3) if behaviour == "delinquent" else None
        for m in range(1, 25):
            period_end = _add_months(start, m).replace(day=_cycle_day(premise["cycle"]))
            if period_end > today:
                break
            period_start = _add_months(start, m - 1).replace(day=_cycle_day(premise["cycle"])) + dt.timedelta(days=1)
            days = (period_end - period_start).days + 1
            usage = daily * days * _seasonal(period_end.month) * rnd.uniform(0.88, 1.12)
            if leak_month is not None and leak_month <= m <= leak_month + 1:
                usage += rnd.uniform(300, 800) * days
            prev_read = (register, period_start - dt.timedelta(days=1))
            usage_units = int(usage) // multiplier
            register = (register + usage_units) % (10 ** (7 if multiplier == 10 else 6))
            gallons = usage_units * multiplier
            read_at = dt.datetime.combine(period_end, dt.time(9 + rnd.randint(0, 6), rnd.randint(0, 59)), UTC)
            read_id = rows.add(MeterRead, meter_id=meter_id, value=register, read_at=read_at, source=ReadSource.FIELD,
                               flags=["high"] if leak_month == m else [], created_at=read_at)
            if period_end.month in (12, 1, 2):
                winter.append(gallons)
            winter_avg = int(sum(winter[-3:]) / len(winter[-3:])) if winter else 0
            bill_date = period_end + dt.timedelta(days=2)
            due = bill_date + dt.timedelta(days=21)
            while due.weekday() >= 5:
                due += dt.timedelta(days=1)
            if period_end > today - dt.timedelta(days=62):  # the last two bills come from the billing engine
                line_rows, total, document = demo_bill(
                    period_start=period_start, period_end=period_end, size=size, multiplier=multiplier,
                    dials=7 if multiplier == 10 else 6, prev=prev_read, curr=(register, period_end), history=periods[-13:],
                    residential=not is_business, carts=premise["solid_waste_carts"] or 1, erus=premise["stormwater_erus"],
                    started_on=opened)
            else:
                charges = placeholder_charges(size, gallons, winter_avg, not is_business, premise["solid_waste_carts"] or 1, premise["stormwater_erus"])
                total = sum(c for _k, _d, c in charges)
                line_rows = [{"service_kind": k, "description": d, "amount_cents": c, "sort": n} for n, (k, d, c) in enumerate(charges)]
                document = {"seeded": True}
            periods.append((period_end, days, gallons))
            bill_id = rows.add(Bill, account_id=account_id, cycle=premise["cycle"], period_start=period_start, period_end=period_end,
                               bill_date=bill_date, due_date=due, prev_read_id=last_read_id, curr_read_id=read_id, usage=gallons,
                               estimated=False, final=False, previous_balance_cents=0, total_cents=total,
                               document=document, created_at=dt.datetime.combine(bill_date, dt.time(6), UTC))
            for line in line_rows:
                rows.add(BillLine, bill_id=bill_id, **line)
            if bill_date <= today:
                post(account_id, LedgerKind.CHARGE, total, bill_date, f"Bill for {period_start:%b %d} - {period_end:%b %d, %Y}", f"bill:{bill_id}", bill_id)
                paid = True
                if unpaid_from is not None and m >= unpaid_from:
                    paid = False
                if paid:
                    late = behaviour == "late" and rnd.random() < 0.35
                    pay_on = due + dt.timedelta(days=rnd.randint(3, 20)) if late else bill_date + dt.timedelta(days=rnd.randint(3, 19))
                    if late and due + dt.timedelta(days=1) <= today:
                        fee = max(500, round(total * 0.10))
                        post(account_id, LedgerKind.LATE_FEE, fee, due + dt.timedelta(days=1), "Late fee", f"latefee:{bill_id}", bill_id)
                        total += fee
                    if pay_on <= today and pay_on < period_end + dt.timedelta(days=28):
                        ledger_key += 1
                        method = rnd.choice(["card", "bank", "autopay", "counter", "mail"])
                        post(account_id, LedgerKind.PAYMENT, -total, pay_on, f"Payment ({method})", f"seed-payment:{ledger_key}")
            last_read_id = read_id

    # ---- people ------------------------------------------------------------------------------------------------
    for email, name, role in STAFF:
        rows.add(User, email=email, display_name=name, role=role, active=True, session_version=1, webauthn_handle=rnd.randbytes(32),
                 created_at=dt.datetime(2024, 1, 1, tzinfo=UTC))

    def resident(email: str, account_id: int, first: str, last: str, lang: str) -> None:
        account = rows.data[Account][account_id - 1]
        customer = rows.data[Customer][account["customer_id"] - 1]
        customer.update(first_name=first, last_name=last, email=email, language=lang, medical_alert_until=None)
        user_id = rows.add(User, email=email, display_name=f"{first} {last}", role=Role.CUSTOMER, customer_id=customer["id"], locale=lang,
                           active=True, session_version=1, webauthn_handle=rnd.randbytes(32), created_at=dt.datetime(2024, 1, 1, tzinfo=UTC))
        rows.add(UserAccount, user_id=user_id, account_id=account_id, linked_at=dt.datetime(2024, 1, 1, tzinfo=UTC))

    resident(PERSONAS["resident"][0], good[0], "María", "Lopez", "es")
    # the past-due persona is a household (payment extensions and the cut-off rules are about homes)
    late_home = next((a for a in delinquent if rows.data[Account][a - 1]["account_class"] == AccountClass.RESIDENTIAL), delinquent[0])
    resident(PERSONAS["resident-late"][0], late_home, "James", "Whitaker", "en")

    # ---- today's field orders -------------------------------------------------------------------------------------
    technicians = [i + 1 for i, (_e, _n, role) in enumerate(STAFF) if role == Role.FIELD]
    orderable = [a for a in account_premise if a not in delinquent]
    rnd.shuffle(orderable)
    plan_orders: list[tuple[WorkOrderKind, int]] = [(WorkOrderKind.DISCONNECT, a) for a in delinquent[1:7]]
    kinds = [WorkOrderKind.READ] * 12 + [WorkOrderKind.CHECK_READ] * 5 + [WorkOrderKind.LEAK_CHECK] * 3 + [
        WorkOrderKind.START] * 2 + [WorkOrderKind.STOP] * 2 + [WorkOrderKind.METER_TEST] * 2
    plan_orders += list(zip(kinds, orderable, strict=False))
    for n, (kind, account_id) in enumerate(plan_orders):
        rows.add(WorkOrder, kind=kind, status=WorkOrderStatus.ASSIGNED, account_id=account_id, premise_id=account_premise[account_id],
                 meter_id=account_meter[account_id], assigned_to_id=technicians[n % len(technicians)], due_on=today,
                 priority=1 if kind == WorkOrderKind.DISCONNECT else 3, result={}, version=1,
                 instructions="Collect payment or disconnect; leave door hanger." if kind == WorkOrderKind.DISCONNECT else None,
                 created_at=dt.datetime.combine(today - dt.timedelta(days=1), dt.time(15), UTC),
                 updated_at=dt.datetime.combine(today - dt.timedelta(days=1), dt.time(15), UTC))
    return rows


async def is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count()).select_from(Account))


async def load(session: AsyncSession, rows: Rows, progress: Callable[[str], None] = lambda _m: None) -> dict[str, int]:
    """Insert in dependency order, in chunks; then move PostgreSQL sequences past the explicit ids."""
    order = [Premise, Customer, Account, Service, Meter, User, UserAccount, MeterRead, Bill, BillLine, LedgerEntry, WorkOrder]
    counts = {}
    for model in order:
        items = rows.data.get(model, [])
        for offset in range(0, len(items), 5000):
            await session.execute(insert(model).execution_options(render_nulls=True), items[offset : offset + 5000])
        counts[model.__tablename__] = len(items)
        progress(f"  {model.__tablename__}: {len(items):,}")
    if session.bind.dialect.name == "postgresql":
        for model in order:
            if "id" in model.__table__.c:
                table = model.__tablename__
                await session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
                )
    from portal.billing.seed import seed as seed_billing  # noqa: PLC0415
    from portal.staff.seed import seed as seed_staff  # noqa: PLC0415 - each side seeds after the bulk load

    await seed_staff(session)
    await seed_billing(session)
    from portal.field.seed import seed as seed_field  # noqa: PLC0415

    await seed_field(session)
    from portal.customer.seed import seed as seed_residents  # noqa: PLC0415

    await seed_residents(session)
    return counts
