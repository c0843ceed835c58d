"""The supervisor's rates page for electric and gas: the versions in words, a new electric version with summer
prices, and next month's PCA set as an effective-dated, audited version; bad prices are refused with nothing saved."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.accounts.models import AuditEvent, RateScheduleRecord
from tests.http.helpers import post_form, sign_in

ELECTRIC = {
    "kind": "electric",
    "name": "Electric, residential",
    "customer_cents": 1500,
    "tiers": [
        {"up_to_units": 500, "millicents_per_unit": 11_000},
        {"up_to_units": None, "millicents_per_unit": 13_000},
    ],
    "summer_tiers": [
        {"up_to_units": 500, "millicents_per_unit": 12_000},
        {"up_to_units": None, "millicents_per_unit": 15_500},
    ],
    "summer_months": [6, 7, 8, 9],
    "adjustment_code": "PCA",
}


async def with_energy_rates(session) -> None:
    start = dt.date(2020, 1, 1)
    session.add_all(
        [
            RateScheduleRecord(rate_code="E-RES", service_kind="electric", effective_on=start, data=ELECTRIC),
            RateScheduleRecord(
                rate_code="PCA",
                service_kind="electric",
                effective_on=start,
                data={
                    "kind": "adjustment",
                    "name": "Power-cost adjustment",
                    "unit_name": "kWh",
                    "millicents_per_unit": 1250,
                },
            ),
        ]
    )
    await session.flush()


async def count(session, code: str) -> int:
    query = select(func.count()).select_from(RateScheduleRecord).where(RateScheduleRecord.rate_code == code)
    return await session.scalar(query)


async def test_a_supervisor_sees_electric_rates_in_words_and_sets_next_months_pca(client, session, supervisor) -> None:
    await with_energy_rates(session)
    await session.commit()
    await sign_in(client, session, supervisor)
    page = await client.get("/staff/rates")
    assert page.status_code == 200
    assert (
        "0 to 500 kWh: $0.11000 per kWh" in page.text
        and "Summer (months 6, 7, 8, 9): over 500 kWh: $0.15500" in page.text
    )
    assert "$0.01250 per kWh" in page.text
    form = await client.get("/staff/rates/PCA/new")
    assert form.status_code == 200 and 'value="0.01250"' in form.text
    next_month = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    response = await post_form(client, "/staff/rates/PCA", {"effective_on": next_month, "unit_price": "-0.00325"})
    assert response.status_code == 303, response.text
    await session.commit()
    record = await session.scalar(
        select(RateScheduleRecord).where(
            RateScheduleRecord.rate_code == "PCA", RateScheduleRecord.effective_on == dt.date.fromisoformat(next_month)
        )
    )
    assert record.data["millicents_per_unit"] == -325 and record.data["unit_name"] == "kWh"
    audit = await session.scalar(select(AuditEvent).where(AuditEvent.action == "rates.add"))
    assert audit is not None and audit.entity_id == str(record.id)


async def test_a_new_electric_version_keeps_the_season_and_bad_prices_are_refused(client, session, supervisor) -> None:
    await with_energy_rates(session)
    await session.commit()
    await sign_in(client, session, supervisor)
    form = await client.get("/staff/rates/E-RES/new")
    assert form.status_code == 200 and 'value="0.15500"' in form.text and 'name="summer_price_1"' in form.text
    future = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    good = {
        "effective_on": future,
        "base": "16.00",
        "tier_up_to_0": "600",
        "tier_price_0": "0.1125",
        "summer_price_0": "0.125",
        "tier_price_1": "0.135",
        "summer_price_1": "0.16",
    }
    bad = await post_form(client, "/staff/rates/E-RES", {**good, "tier_price_0": "0.1234567"})
    assert bad.status_code == 400 and "at most five decimals" in bad.text
    bad = await post_form(client, "/staff/rates/PCA", {"effective_on": future, "unit_price": "abc"})
    assert bad.status_code == 400 and 'href="#unit_price"' in bad.text
    await session.commit()
    assert await count(session, "E-RES") == 1 and await count(session, "PCA") == 1
    response = await post_form(client, "/staff/rates/E-RES", good)
    assert response.status_code == 303, response.text
    await session.commit()
    record = await session.scalar(
        select(RateScheduleRecord).where(
            RateScheduleRecord.rate_code == "E-RES", RateScheduleRecord.effective_on == dt.date.fromisoformat(future)
        )
    )
    assert record.data["customer_cents"] == 1600
    assert record.data["tiers"] == [
        {"up_to_units": 600, "millicents_per_unit": 11_250},
        {"up_to_units": None, "millicents_per_unit": 13_500},
    ]
    assert [t["millicents_per_unit"] for t in record.data["summer_tiers"]] == [12_500, 16_000]
    assert record.data["summer_months"] == [6, 7, 8, 9] and record.data["adjustment_code"] == "PCA"


async def test_a_csr_cannot_set_the_pca(client, session, csr) -> None:
    await with_energy_rates(session)
    await session.commit()
    await sign_in(client, session, csr)
    response = await post_form(client, "/staff/rates/PCA", {"effective_on": "2030-01-01", "unit_price": "0.01"})
    assert response.status_code == 403
    await session.commit()
    assert await count(session, "PCA") == 1


async def test_a_resident_reads_each_electric_and_gas_charge_explained_on_the_bill_page_and_pdf(
    client, session, engine, resident
) -> None:
    from portal.accounts.models import Meter, MeterKind, MeterRead, ReadSource, Service, ServiceKind
    from tests.http.test_bills import billed, pdf_text
    from tests.integration.billing_helpers import at

    account = resident.account
    for kind, code, unit, first, last in (
        (MeterKind.ELECTRIC, "E-RES", "kWh", 99_900, 712),
        (MeterKind.GAS, "G-RES", "therm", 1_000, 1_043),
    ):
        meter = Meter(serial=f"{code}-{account.id}", kind=kind, unit=unit, dials=5, premise_id=account.premise_id)
        session.add(meter)
        session.add(
            Service(account_id=account.id, kind=ServiceKind(kind.value), rate_code=code, started_on=dt.date(2026, 6, 4))
        )
        await session.flush()
        for day, value in ((dt.date(2026, 6, 3), first), (dt.date(2026, 7, 3), last)):
            session.add(MeterRead(meter_id=meter.id, value=value, read_at=at(day), source=ReadSource.FIELD, flags=[]))
    await session.commit()
    bill = await billed(session, engine, account)  # water services and reads, then the bill runs Jan..Jul
    assert bill is not None
    await sign_in(client, session, resident.user)
    page = await client.get(f"/my/bills/{bill.id}")
    assert page.status_code == 200
    text = page.text
    assert "Electric customer charge" in text and "Electric, over 500 kWh at $0.14900 per kWh" in text
    assert "312 kWh" in text and "Summer rates (the period ends in a summer month)." in text
    assert "Power-cost adjustment: 812 kWh at $0.01250 per kWh" in text
    assert "Gas, all therms at $0.62000 per therm" in text and "43 therms" in text
    assert "Purchased-gas adjustment: 43 therms at $0.31500 per therm" in text
    pdf = await client.get(f"/my/bills/{bill.id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and b"/Lang (en)" in pdf_text(pdf.content)
    await client.get("/lang/es")
    spanish = (await client.get(f"/my/bills/{bill.id}")).text
    assert "Ajuste por costo de energía: 812 kWh a $0.01250 por kWh" in spanish and "43 termios" in spanish


async def test_the_field_order_screen_names_an_electric_meter_and_its_unit_in_english_and_spanish(
    client, session, technician
) -> None:
    from portal.accounts.models import Meter, MeterKind
    from tests.field_world import make_field_order

    order = await make_field_order(session, technician)
    meter = await session.get(Meter, order.meter_id)
    meter.kind, meter.unit, meter.size = MeterKind.ELECTRIC, "kWh", ""
    await session.commit()
    await sign_in(client, session, technician)
    page = (await client.get(f"/field/orders/{order.id}")).text
    assert (
        "Electric meter" in page and "kilowatt-hours (kWh)" in page and "″" not in page.split("Electric meter")[1][:80]
    )
    await client.get("/lang/es")
    spanish = (await client.get(f"/field/orders/{order.id}")).text
    assert "Medidor eléctrico" in spanish and "kilovatios-hora (kWh)" in spanish
