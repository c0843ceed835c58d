"""Electric and gas where people see use: the resident's usage page (a chart per unit beside water, its title,
description and table, estimated months marked, in English and Spanish) and the staff console's meter views (the
meter's kind and unit, reads with units and the use since the last read, kWh and therms per bill)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from portal.accounts.models import Bill, Meter, MeterKind, MeterRead, ReadSource, Service
from portal.accounts.policy import Policy, us_holidays
from portal.billing.run import bill_run
from portal.db import make_sessionmaker
from portal.mail import OUTBOX
from tests.http.helpers import local_today, sign_in
from tests.integration.billing_helpers import SERVICES, at, meter_of, monthly_reads, with_rates
from tests.integration.test_energy_billing import with_energy

POLICY = Policy(holidays=us_holidays(range(2024, 2030)))


def months_back(day: dt.date, count: int) -> dt.date:
    month = day.month - 1 - count
    return dt.date(day.year + month // 12, month % 12 + 1, 3)


async def billed_twice(session, engine, account) -> tuple[dt.date, dt.date]:
    """Water, electric and gas billed for the last two months: electric unread the second month (estimated)."""
    last = months_back(local_today(), 1)
    before = months_back(local_today(), 2)
    await with_rates(session)
    for kind, code in SERVICES:
        session.add(
            Service(account_id=account.id, kind=kind, rate_code=code, quantity=1, started_on=dt.date(2020, 1, 15))
        )
    water = await meter_of(session, account)
    for day, value in monthly_reads(last, 14):
        session.add(MeterRead(meter_id=water.id, value=value, read_at=at(day), source=ReadSource.FIELD, flags=[]))
    await with_energy(session, account, MeterKind.ELECTRIC, "E-RES", monthly_reads(before, 13, 600, 1_000))
    await with_energy(session, account, MeterKind.GAS, "G-RES", monthly_reads(last, 14, 40, 500))
    await session.commit()
    for on in (before, last):
        result = await bill_run(make_sessionmaker(engine), 1, on, POLICY, mailer=OUTBOX, public_url="http://p.test")
        assert result.billed == 1, result.summary()
    return before, last


def section(html: str, element_id: str) -> str:
    found = re.search(rf'<section id="{element_id}".*?</section>', html, re.S)
    assert found, f"no section {element_id}"
    return found.group(0)


async def test_a_resident_sees_kwh_and_therms_beside_water_with_the_estimate_marked(
    client, session, engine, resident
) -> None:
    _before, last = await billed_twice(session, engine, resident.account)
    await sign_in(client, session, resident.user)
    page = (await client.get("/my/usage")).text
    assert "Water and energy use" in page and "Water (gallons)" in page
    electric = section(page, "electric")
    assert "Electricity (kWh)" in electric
    # An SVG picture with its title and description, and the same figures as a table.
    assert '<svg class="chart__svg"' in electric and 'role="img"' in electric
    assert re.search(r'<title id="usage-electric-title">Electricity use by month, last 2 months</title>', electric)
    assert '<desc id="usage-electric-desc">2 periods from' in electric
    rows = re.findall(r"<tr[^>]*>\s*<th scope=\"row\">(.*?)</th>\s*<td class=\"num\">(.*?)</td>", electric, re.S)
    assert len(rows) == 2
    assert rows[0][1].strip() == "600" and "Use (kWh)" in electric  # read: 600 kWh in the month
    # unread: estimated from the same period last year (600 kWh in a month of the same length, or about)
    assert re.fullmatch(r"\d{3} \(estimated\)", rows[1][1].strip())
    assert "Bars with a dashed outline are estimated." in electric
    gas = section(page, "gas")
    assert "Gas (therms)" in gas and "40 therms" in gas and "estimated" not in gas

    # The estimated bill says so on its electric use, not on its water (read).
    bill = await session.scalar(select(Bill).where(Bill.account_id == resident.account.id, Bill.period_end == last))
    bill_page = (await client.get(f"/my/bills/{bill.id}")).text
    assert "We could not read your electric meter, so" in bill_page and "from the same period last year" in bill_page
    assert "<strong>Estimated.</strong>" not in bill_page
    assert "(estimated)" not in (await client.get("/my/bills")).text

    await client.get("/lang/es")
    spanish = (await client.get("/my/usage")).text
    assert "Consumo de agua y energía" in spanish
    assert "Electricidad (kWh)" in spanish and "Consumo de electricidad por mes" in spanish
    assert "Gas (termios)" in section(spanish, "gas") and "40 termios" in section(spanish, "gas")
    assert "(estimada)" in section(spanish, "electric")


async def test_a_water_only_resident_sees_the_water_page_as_before(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    page = (await client.get("/my/usage")).text
    assert "<h1>Water use</h1>" in page and 'id="electric"' not in page and 'id="gas"' not in page


async def test_staff_see_each_meters_unit_reads_with_units_and_use_per_period(
    client, session, engine, csr, resident
) -> None:
    account = resident.account
    await billed_twice(session, engine, account)
    electric = await session.scalar(
        select(Meter).where(Meter.premise_id == account.premise_id, Meter.kind == MeterKind.ELECTRIC)
    )
    await sign_in(client, session, csr)

    page = (await client.get(f"/staff/accounts/{account.number}")).text
    bills = re.search(r'<details class="section" id="bills">.*?</details>', page, re.S).group(0)
    assert "Electric (kWh)" in bills and "Gas (therms)" in bills
    assert re.search(r">\d{3} · estimated</td>", bills)  # the unread month's kWh, marked
    reads = re.search(r'<details class="section" id="reads">.*?</details>', page, re.S).group(0)
    assert "Use since the last read" in reads
    assert f"{electric.serial} · Electric" in reads and "kWh</td>" in reads and "therms</td>" in reads
    assert re.search(r">\s*\d{3} kWh</td>", reads)  # the estimate recorded on the meter, kWh since the last read
    assert re.search(r">\s*40 therms</td>", reads)

    reads_page = (await client.get(f"/staff/accounts/{account.number}/reads")).text
    assert f"{electric.serial} · Electric (kWh)</option>" in reads_page
    assert "Use since the last read" in reads_page and re.search(r">\s*40 therms</td>", reads_page)

    premise = (await client.get(f"/staff/premises/{account.premise_id}")).text
    assert "kilowatt-hours (kWh)" in premise and "therms" in premise

    records = (await client.get(f"/staff/accounts/{account.number}/records")).text
    assert f"Meter {electric.serial} · Electric (kWh)" in records

    await client.get("/lang/es")
    spanish = (await client.get(f"/staff/accounts/{account.number}")).text
    assert "Electricidad (kWh)" in spanish and "Consumo desde la lectura anterior" in spanish
    assert "termios</td>" in spanish


async def test_the_field_read_entry_names_the_unit_of_an_electric_meter_and_a_water_meter_keeps_its_label(
    client, session, technician
) -> None:
    from tests.field_world import make_field_order

    water_order = await make_field_order(session, technician)
    order = await make_field_order(session, technician)
    meter = await session.get(Meter, order.meter_id)
    meter.kind, meter.unit, meter.size = MeterKind.ELECTRIC, "kWh", ""
    await session.commit()
    await sign_in(client, session, technician)
    page = (await client.get(f"/field/orders/{order.id}")).text
    assert '<label class="label" for="value">Read (kWh)</label>' in page
    assert "The meter counts kilowatt-hours (kWh)." in page
    water = (await client.get(f"/field/orders/{water_order.id}")).text
    assert '<label class="label" for="value">Read</label>' in water and "The meter counts" not in water
    await client.get("/lang/es")
    spanish = (await client.get(f"/field/orders/{order.id}")).text
    assert "El medidor cuenta kilovatios-hora (kWh)." in spanish
