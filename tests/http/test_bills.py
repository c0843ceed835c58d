"""The resident's bill page and PDF, and the supervisor's rates page, through the HTTP client with CSRF on."""

from __future__ import annotations

import datetime as dt
import html
import logging
import re

from sqlalchemy import func, select

from portal import i18n
from portal.accounts import ledger, numbers
from portal.accounts.actor import Actor
from portal.accounts.models import AuditEvent, Bill, LedgerKind, RateScheduleRecord
from portal.accounts.policy import Policy
from portal.billing.run import bill_run
from portal.db import make_sessionmaker
from portal.mail import OUTBOX
from tests.http.helpers import post_form, sign_in
from tests.integration.billing_helpers import SERVICES, at, meter_of, monthly_reads, with_rates

ON = dt.date(2026, 7, 3)


def pdf_text(body: bytes) -> bytes:
    """The PDF with its compressed streams inflated (the catalogue may sit in an object stream)."""
    import re
    import zlib

    parts = [body]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            pass
    return b"\n".join(parts)


async def billed(session, engine, account) -> Bill:
    """Give the persona's account services and a year of reads, then run the bill run for July and the months before."""
    from portal.accounts.models import MeterRead, ReadSource, Service

    await with_rates(session)
    for kind, code in SERVICES:
        session.add(
            Service(account_id=account.id, kind=kind, rate_code=code, quantity=1, started_on=dt.date(2020, 1, 15))
        )
    meter = await meter_of(session, account)
    for day, value in monthly_reads(ON, 13, per_month=5_000):
        session.add(MeterRead(meter_id=meter.id, value=value, read_at=at(day), source=ReadSource.FIELD, flags=[]))
    await session.commit()
    maker = make_sessionmaker(engine)
    for month in range(1, 7):  # bills for Jan..Jun 2026 so the chart has history
        await bill_run(maker, 1, dt.date(2026, month, 3), Policy(), mailer=OUTBOX)
    await bill_run(maker, 1, ON, Policy(), mailer=OUTBOX)
    return await session.scalar(select(Bill).where(Bill.account_id == account.id, Bill.period_end == ON))


async def test_a_resident_reads_their_bill_with_usage_chart_table_and_explained_charges(
    client, session, engine, resident
) -> None:
    bill = await billed(session, engine, resident.account)
    await sign_in(client, session, resident.user)
    page = await client.get(f"/my/bills/{bill.id}")
    assert page.status_code == 200
    text = page.text
    assert "Water base charge, 5/8-inch meter" in text
    assert "Water, 3,001 to 10,000 gallons" in text and "2,000 gallons × $4.25 per 1,000 gallons" in text
    assert 'role="img"' in text and text.count("<rect ") == 7
    assert "Show these figures as a table" in text
    assert "5,000 gallons in 30 days" in text
    assert f"/my/bills/{bill.id}/pdf" in text
    assert "Amount due" in text
    # The months before were not paid: the bill says that part is past due, not all of it "Due" on its date.
    carried = i18n.format_money(bill.previous_balance_cents)
    assert bill.previous_balance_cents > 0
    assert f"Includes {carried} past due from before this bill, due at once; the rest is due" in text
    first = await session.scalar(select(Bill).where(Bill.account_id == bill.account_id).order_by(Bill.id))
    page = (await client.get(f"/my/bills/{first.id}")).text
    assert first.previous_balance_cents == 0 and "past due" not in page and "Due " in page


async def test_the_bill_page_is_in_spanish_for_a_spanish_reader(client, session, engine, resident) -> None:
    bill = await billed(session, engine, resident.account)
    await sign_in(client, session, resident.user)
    await client.get("/lang/es")
    page = await client.get(f"/my/bills/{bill.id}")
    assert '<html lang="es"' in page.text
    assert "Cargo básico de agua" in page.text and "Cargos" in page.text


async def test_a_resident_cannot_open_another_residents_bill(client, session, engine, resident, other_resident) -> None:
    bill = await billed(session, engine, resident.account)
    await sign_in(client, session, other_resident.user)
    page = await client.get(f"/my/bills/{bill.id}")
    assert page.status_code == 404
    assert (await client.get(f"/my/bills/{bill.id}/pdf")).status_code == 404
    assert (await client.get("/my/bills/999999")).status_code == 404


async def test_staff_may_read_a_bill_and_a_technician_may_not(
    client, session, engine, resident, csr, technician
) -> None:
    bill = await billed(session, engine, resident.account)
    await sign_in(client, session, csr)
    page = await client.get(f"/my/bills/{bill.id}")
    assert page.status_code == 200 and f"/staff/accounts/{resident.account.number}" in page.text
    client.cookies.clear()
    await sign_in(client, session, technician)
    assert (await client.get(f"/my/bills/{bill.id}")).status_code == 403


async def test_a_visitor_is_sent_to_sign_in(client, session, engine, resident) -> None:
    bill = await billed(session, engine, resident.account)
    response = await client.get(f"/my/bills/{bill.id}", follow_redirects=False)
    assert response.status_code in (302, 303) and response.headers["location"].startswith("/signin")


async def test_the_pdf_is_the_same_bill_with_a_title_and_a_language(client, session, engine, resident, caplog) -> None:
    bill = await billed(session, engine, resident.account)
    await sign_in(client, session, resident.user)
    caplog.set_level(logging.WARNING, logger="weasyprint")
    response = await client.get(f"/my/bills/{bill.id}/pdf")
    # Laid out without a warning: seven "Ignored `fill: ...`" lines a bill filled the demo's log.
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF")
    text = pdf_text(body)
    assert b"/Lang (en)" in text and b"/Title" in text and b"/StructTreeRoot" in text  # tagged, for screen readers
    assert b"0.643137 0.290196 0 rg" in text  # the bill's own month in its colour (#a44a00), as on the page
    assert len(body) > 5_000


async def test_the_account_page_links_to_the_latest_bill(client, session, engine, resident) -> None:
    bill = await billed(session, engine, resident.account)
    await sign_in(client, session, resident.user)
    page = await client.get(f"/my/accounts/{resident.account.number}")
    assert f'href="/my/bills/{bill.id}"' in page.text


# ---- supervisor's rates page ---------------------------------------------------------------------------------------


async def test_a_supervisor_sees_the_rates_and_adds_a_future_version(client, session, supervisor) -> None:
    await with_rates(session)
    await session.commit()
    await sign_in(client, session, supervisor)
    page = await client.get("/staff/rates")
    assert page.status_code == 200 and "W-RES" in page.text and "$4.25 per 1,000 gal" in page.text
    form = await client.get("/staff/rates/S-RES/new")
    assert form.status_code == 200 and 'value="4.80"' in form.text
    tomorrow = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    response = await post_form(
        client,
        "/staff/rates/S-RES",
        {"effective_on": tomorrow, "base": "15.00", "per_kgal": "5.10", "note": "Ordinance 2026-41"},
    )
    assert response.status_code == 303, response.text
    await session.commit()
    record = await session.scalar(
        select(RateScheduleRecord).where(
            RateScheduleRecord.rate_code == "S-RES", RateScheduleRecord.effective_on == dt.date.fromisoformat(tomorrow)
        )
    )
    assert record.data == {"kind": "sewer", "name": "Sewer, residential", "base_cents": 1500, "cents_per_kgal": 510}
    assert (
        await session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "rates.add")) == 1
    )
    page = await client.get("/staff/rates")
    assert "Scheduled" in page.text and "Ordinance 2026-41" in page.text


async def test_bad_rates_are_refused_with_messages_and_nothing_is_saved(client, session, supervisor) -> None:
    await with_rates(session)
    await session.commit()
    await sign_in(client, session, supervisor)
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    data = {
        "effective_on": yesterday,
        "base_0": "abc",
        "tier_up_to_0": "3000",
        "tier_price_0": "3.10",
        "tier_up_to_1": "2000",
        "tier_price_1": "4.25",
        "tier_price_2": "5.90",
    }
    response = await post_form(client, "/staff/rates/W-RES", data)
    assert response.status_code == 400
    assert (
        "There is a problem" in response.text
        and 'href="#effective_on"' in response.text
        and 'href="#base_0"' in response.text
    )
    await session.commit()
    assert (
        await session.scalar(
            select(func.count()).select_from(RateScheduleRecord).where(RateScheduleRecord.rate_code == "W-RES")
        )
        == 1
    )
    future = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    sizes = {f"base_{i}": "12.50" for i in range(5)}
    bad_tiers = await post_form(
        client,
        "/staff/rates/W-RES",
        {**sizes, "effective_on": future, **{k: v for k, v in data.items() if k.startswith("tier")}},
    )
    assert bad_tiers.status_code == 400 and "Tier limits must go up" in bad_tiers.text


async def test_only_supervisors_reach_the_rates_page(client, session, csr) -> None:
    await with_rates(session)
    await session.commit()
    await sign_in(client, session, csr)
    assert (await client.get("/staff/rates")).status_code == 403
    response = await post_form(
        client, "/staff/rates/S-RES", {"effective_on": "2030-01-01", "base": "1", "per_kgal": "1"}
    )
    assert response.status_code == 403
    assert (await client.get("/staff/rates/NOPE/new")).status_code == 403


async def test_an_unknown_schedule_is_a_404_for_a_supervisor(client, session, supervisor) -> None:
    await sign_in(client, session, supervisor)
    assert (await client.get("/staff/rates/NOPE/new")).status_code == 404


async def test_the_bills_list_links_each_bill_to_its_pdf_and_the_link_opens_it(
    client, session, engine, resident
) -> None:
    bill = await billed(session, engine, resident.account)
    await sign_in(client, session, resident.user)
    page = await client.get("/my/bills")
    assert page.status_code == 200
    links = re.findall(r'href="([^"]*pdf[^"]*)"', page.text)
    assert f"/my/bills/{bill.id}/pdf" in links
    for link in links:
        answer = await client.get(link)
        assert answer.status_code == 200, link
        assert answer.headers["content-type"] == "application/pdf"


async def test_pay_this_bill_opens_the_pay_form_for_that_bill_and_its_amount(client, session, engine, resident) -> None:
    bill = await billed(session, engine, resident.account)
    await sign_in(client, session, resident.user)
    page = await client.get(f"/my/bills/{bill.id}")
    found = re.search(r'<a class="button button--primary" href="([^"]+)">Pay this bill</a>', page.text)
    assert found, page.text
    href = html.unescape(found.group(1))
    assert href == f"/pay/{resident.account.number}?bill={bill.id}"
    form = await client.get(href)
    assert form.status_code == 200
    assert f'data-paying-bill="{bill.id}"' in form.text
    owed = bill.previous_balance_cents + bill.total_cents
    assert f'value="{owed / 100:.2f}"' in form.text


async def test_a_paid_bill_says_nothing_is_left_to_pay_and_offers_no_payment(client, session, engine, resident) -> None:
    """The bill still shows what was due when it was sent; a line says where the account stands today. A paid bill
    kept its "Pay this bill" button and seemed to ask for its amount again."""
    bill = await billed(session, engine, resident.account)
    owed = bill.previous_balance_cents + bill.total_cents
    await sign_in(client, session, resident.user)
    pay = Actor.job("test")
    await ledger.post(
        session,
        pay,
        account_id=resident.account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-1_000,
        source_key="part",
        effective_on=dt.date.today(),
    )
    await session.commit()
    page = (await client.get(f"/my/bills/{bill.id}")).text
    assert f"The account's balance today is ${(owed - 1_000) / 100:,.2f}." in page and "Pay this bill" in page
    await ledger.post(
        session,
        pay,
        account_id=resident.account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-(owed - 1_000),
        source_key="rest",
        effective_on=dt.date.today(),
    )
    await session.commit()
    page = (await client.get(f"/my/bills/{bill.id}")).text
    assert "Nothing to pay today: the account's balance is $0.00." in page and "Pay this bill" not in page
    assert f"${owed / 100:,.2f}" in page  # what was due when it was sent is still the bill's figure
    await ledger.post(
        session,
        pay,
        account_id=resident.account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-2_500,
        source_key="over",
        effective_on=dt.date.today(),
    )
    await session.commit()
    page = (await client.get(f"/my/bills/{bill.id}")).text
    assert "Nothing to pay today: the account has a credit of $25.00." in page and "Pay this bill" not in page
    assert f"account {numbers.display(resident.account.number)} · " in page  # the title, printed as everywhere else


async def test_the_pay_form_ignores_a_bill_of_another_account(
    client, session, engine, resident, other_resident
) -> None:
    bill = await billed(session, engine, other_resident.account)
    await sign_in(client, session, resident.user)
    for query in (f"?bill={bill.id}", "?bill=99999999999999999999", "?bill=x"):
        form = await client.get(f"/pay/{resident.account.number}{query}")
        assert form.status_code == 200, query
        assert "data-paying-bill" not in form.text


async def test_staff_reading_a_bill_get_no_pay_button_that_leads_nowhere(
    client, session, engine, resident, csr
) -> None:
    bill = await billed(session, engine, resident.account)
    await sign_in(client, session, csr)
    page = await client.get(f"/my/bills/{bill.id}")
    assert page.status_code == 200
    assert "Pay this bill" not in page.text
