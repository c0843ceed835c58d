"""Letters and lists through the app: the work lists for every staff role, finance's reports for supervisors only,
each as a page and a CSV, bad periods, and the letter of credit as a PDF in the customer's language."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from portal.accounts import ledger
from portal.accounts.actor import Actor
from portal.accounts.models import AuditEvent, Customer, LedgerKind
from portal.staff.finance_reports import FINANCE
from portal.staff.lists import LISTS
from tests.http.helpers import local_today, post_form, sign_in


@pytest.mark.parametrize("name", list(LISTS))
async def test_every_list_opens_for_a_csr_as_a_page_and_a_csv(client, session, csr, name) -> None:
    await sign_in(client, session, csr)
    page = await client.get(f"/staff/reports/{name}")
    assert page.status_code == 200 and "<table>" in page.text
    download = await client.get(f"/staff/reports/{name}.csv")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert next(csv.reader(io.StringIO(download.text)))
    index = await client.get("/staff/reports")
    assert f'href="/staff/reports/{name}"' in index.text and "/staff/finance" not in index.text


@pytest.mark.parametrize("name", list(FINANCE))
async def test_every_finance_report_opens_for_a_supervisor_and_not_for_a_csr(
    client, session, csr, supervisor, name
) -> None:
    await sign_in(client, session, csr)
    assert (await client.get("/staff/finance/")).status_code == 403
    assert (await client.get(f"/staff/finance/{name}")).status_code == 403
    assert (await client.get(f"/staff/finance/{name}.csv")).status_code == 403
    await sign_in(client, session, supervisor)
    index = await client.get("/staff/finance/")
    assert index.status_code == 200 and f'href="/staff/finance/{name}"' in index.text
    page = await client.get(f"/staff/finance/{name}")
    assert page.status_code == 200 and "<table>" in page.text and f'href="/staff/finance/{name}.csv?' in page.text
    download = await client.get(f"/staff/finance/{name}.csv")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    assert '/staff/finance"' in (await client.get("/staff/reports")).text  # the reports page links finance


async def test_residents_and_technicians_see_no_lists(client, session, resident, technician) -> None:
    await sign_in(client, session, resident.user)
    assert (await client.get("/staff/reports/medical")).status_code == 403
    assert (await client.get("/staff/finance/journal.csv")).status_code == 403
    assert (await client.get(f"/staff/accounts/{resident.account.number}/credit-letter")).status_code == 403
    await sign_in(client, session, technician)
    assert (await client.get("/staff/reports/turnaround.csv")).status_code == 403


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-12-01&end=2026-01-01", "start before it ends"),
        ("start=yesterday", "YYYY-MM-DD"),
        ("start=2024-01-01&end=2026-01-01", "at most a year"),
    ],
)
async def test_a_bad_period_is_a_clear_error_and_nothing_else(client, session, supervisor, query, message) -> None:
    await sign_in(client, session, supervisor)
    for url in (
        f"/staff/finance/journal.csv?{query}",
        f"/staff/finance/bill-register?{query}",
        f"/staff/reports/turnaround?{query}",
    ):
        response = await client.get(url)
        assert response.status_code == 400 and message in response.text, url
    assert (await client.get("/staff/finance/nope")).status_code == 404


async def test_the_journal_csv_balances_and_the_medical_csv_lists_an_expiring_alert(
    client, session, supervisor, resident
) -> None:
    today = local_today()
    for key, kind, cents in (("t:c", LedgerKind.CHARGE, 9_000), ("t:p", LedgerKind.PAYMENT, -4_000)):
        await ledger.post(
            session,
            Actor.job("t"),
            account_id=resident.account.id,
            kind=kind,
            amount_cents=cents,
            source_key=key,
            effective_on=today,
        )
    customer = await session.get(Customer, resident.account.customer_id)
    customer.medical_alert_until = today + dt.timedelta(days=12)
    await session.commit()
    await sign_in(client, session, supervisor)
    rows = list(csv.DictReader(io.StringIO((await client.get("/staff/finance/journal.csv")).text)))
    by = {row["GL account"]: row for row in rows if row["Day"] == today.isoformat()}
    assert by["1200"]["Debit"] == "90.00" and by["1200"]["Credit"] == "40.00"
    assert by["1010"]["Debit"] == "40.00" and by["4090"]["Credit"] == "90.00"
    assert rows[-1]["Day"] == "Total" and rows[-1]["Debit"] == rows[-1]["Credit"] == "130.00"
    medical = list(csv.DictReader(io.StringIO((await client.get("/staff/reports/medical.csv")).text)))
    assert [(r["Account"], r["Days left"], r["Alert"]) for r in medical] == [
        (resident.account.number, "12", "Expires within 30 days")
    ]
    page = await client.get("/staff/reports/medical")
    assert "1 expiring within 30 days" in page.text


async def test_a_csr_issues_a_letter_of_credit_in_the_customers_language(client, session, csr, resident) -> None:
    from tests.http.test_bills import pdf_text

    customer = await session.get(Customer, resident.account.customer_id)
    customer.language = "es"
    await session.commit()
    await sign_in(client, session, csr)
    number = resident.account.number
    account_page = await client.get(f"/staff/accounts/{number}")
    assert f'href="/staff/accounts/{number}/credit-letter"' in account_page.text
    preview = await client.get(f"/staff/accounts/{number}/credit-letter")
    assert preview.status_code == 200 and "Spanish" in preview.text and "Issue the letter" in preview.text
    assert "would waive a deposit" in preview.text  # opened in 2020, nothing late
    refused = await client.post(f"/staff/accounts/{number}/credit-letter")  # no CSRF token
    assert refused.status_code == 403
    await session.commit()
    assert await session.scalar(select(AuditEvent).where(AuditEvent.action == "account.credit_letter")) is None
    issued = await post_form(client, f"/staff/accounts/{number}/credit-letter")
    assert issued.status_code == 200 and issued.headers["content-type"] == "application/pdf"
    text = pdf_text(issued.content)
    assert issued.content.startswith(b"%PDF") and b"/Lang (es)" in text and b"/Lang (en)" not in text
    assert "Carta".encode("utf-16-be").hex().encode() in text  # the title, in Spanish
    await session.commit()
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "account.credit_letter"))
    assert event is not None and event.account_id == resident.account.id and event.after["qualifies"] is True
    history = await client.get(f"/staff/accounts/{number}")
    assert "Issued a letter of credit" in history.text
    assert (await post_form(client, "/staff/accounts/123/credit-letter")).status_code == 404
