"""Reports: every report as a page and as CSV, with the same figures; role refusals."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from portal import i18n
from portal.accounts import ledger
from portal.accounts.actor import Actor
from portal.accounts.models import Adjustment, AdjustmentKind, AdjustmentStatus, Bill, LedgerKind
from portal.staff.reports import REPORTS
from tests.http.helpers import local_today, sign_in

TODAY = dt.date.today()


async def _past_due(session, account, cents: int, days: int) -> None:
    due = TODAY - dt.timedelta(days=days)
    bill = Bill(
        account_id=account.id,
        period_start=due - dt.timedelta(days=50),
        period_end=due - dt.timedelta(days=21),
        bill_date=due - dt.timedelta(days=21),
        due_date=due,
        usage=5000,
        total_cents=cents,
        document={},
    )
    session.add(bill)
    await session.flush()
    await ledger.post(
        session,
        Actor.job("t"),
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=cents,
        source_key=f"bill:{bill.id}",
        effective_on=bill.bill_date,
        bill_id=bill.id,
    )


async def test_an_evening_adjustment_is_in_that_days_report_dated_that_day(client, session, supervisor, resident):
    """An adjustment approved at 8:07 p.m. in Chicago is 02:07 UTC the next day: the account dated it the next day
    and the report for its own day left it out."""
    day = local_today() - dt.timedelta(days=1)
    evening = dt.datetime.combine(day, dt.time(20, 7), ZoneInfo("America/Chicago")).astimezone(dt.UTC)
    session.add(
        Adjustment(
            account_id=resident.account.id,
            kind=AdjustmentKind.BILLING_ERROR,
            status=AdjustmentStatus.POSTED,
            amount_cents=-42_000,
            reason="Billing error",
            explanation="",
            effective_on=day,
            requested_by_id=supervisor.id,
            created_at=evening,
        )
    )
    await session.commit()
    await sign_in(client, session, supervisor)
    rows = list(
        csv.DictReader(io.StringIO((await client.get(f"/staff/reports/adjustments.csv?start={day}&end={day}")).text))
    )
    assert [(r["Date"], r["Amount"]) for r in rows if r["Account"]] == [(day.isoformat(), "-420.00")], rows
    account = (await client.get(f"/staff/accounts/{resident.account.number}")).text
    assert f"{i18n.format_date(day)} · Billing error" in account


async def test_a_report_of_one_day_asks_for_one_date_not_a_range(client, session, supervisor) -> None:
    """Aged receivables said "As of Dec 5" over a "Dec 1 – Dec 5" range; the medical-alert list, which is always today,
    offered dates that changed nothing."""
    await sign_in(client, session, supervisor)
    aged = (await client.get("/staff/reports/aged")).text
    assert 'for="end">As of</label>' in aged and 'for="start">From' not in aged
    assert f"Aged receivables · as of {i18n.format_date(local_today())}" in aged
    medical = (await client.get("/staff/reports/medical")).text
    assert 'name="end"' not in medical and "as of" in medical
    collections = (await client.get("/staff/reports/collections")).text
    assert 'for="start">From' in collections  # a period's report keeps its range


@pytest.mark.parametrize("name", list(REPORTS))
async def test_every_report_opens_as_a_page_and_a_csv(client, session, csr, name) -> None:
    await sign_in(client, session, csr)
    page = await client.get(f"/staff/reports/{name}")
    assert page.status_code == 200 and "<table>" in page.text
    download = await client.get(f"/staff/reports/{name}.csv")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    assert next(csv.reader(io.StringIO(download.text)))  # a header row


async def test_aged_receivables_put_each_charge_in_its_age_bucket(
    client, session, csr, resident, other_resident
) -> None:
    await _past_due(session, resident.account, 10_000, 95)
    await _past_due(session, resident.account, 5_050, 45)
    await _past_due(session, other_resident.account, 2_500, 10)
    await session.commit()
    await sign_in(client, session, csr)
    rows = list(csv.DictReader(io.StringIO((await client.get("/staff/reports/aged.csv")).text)))
    by_account = {row["Account"]: row for row in rows}
    mine = by_account[resident.account.number]
    assert mine["Over 90 days"] == "100.00" and mine["31–60 days"] == "50.50" and mine["Balance"] == "150.50"
    assert mine["Held by a bankruptcy"] == "0.00"
    assert by_account[other_resident.account.number]["1–30 days"] == "25.00"
    assert rows[-1]["Account"] == "Total" and rows[-1]["Balance"] == "175.50"
    page = await client.get("/staff/reports/aged")
    assert "$150.50" in page.text and "$175.50" in page.text


async def test_a_bad_period_is_a_clear_error(client, session, csr) -> None:
    await sign_in(client, session, csr)
    response = await client.get("/staff/reports/orders?start=2026-12-01&end=2026-01-01")
    assert response.status_code == 400 and "start before it ends" in response.text
    assert (await client.get("/staff/reports/nope")).status_code == 404


async def test_a_technician_or_a_resident_cannot_see_reports(client, session, technician, resident) -> None:
    await sign_in(client, session, technician)
    assert (await client.get("/staff/reports/aged")).status_code == 403
    client.cookies.clear()
    await sign_in(client, session, resident.user)
    assert (await client.get("/staff/reports/aged.csv")).status_code == 403


async def test_read_exceptions_list_flagged_reads_and_skipped_orders(client, session, csr, resident) -> None:
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from portal.accounts.models import Meter, MeterRead, WorkOrderKind, WorkOrderStatus
    from tests import factories

    meter = await session.scalar(select(Meter).where(Meter.premise_id == resident.account.premise_id))
    now = dt.datetime.combine(
        local_today(), dt.time(12), ZoneInfo("America/Chicago")
    )  # within the report's default day
    session.add(MeterRead(meter_id=meter.id, value=99_999, read_at=now, flags=["high", "re_entered"]))
    session.add(MeterRead(meter_id=meter.id, value=10, read_at=now - dt.timedelta(hours=1), flags=[]))
    order = await factories.make_order(session, resident.account, kind=WorkOrderKind.READ)
    order.status, order.completed_at = WorkOrderStatus.COMPLETED, now
    order.result = {"action": "skip_read", "code": "locked_gate"}
    await session.commit()
    await sign_in(client, session, csr)
    rows = list(csv.DictReader(io.StringIO((await client.get("/staff/reports/read-exceptions.csv")).text)))
    assert [row["Exception"] for row in rows] == ["High, Re-entered", "Skipped: Locked gate"] or sorted(
        row["Exception"] for row in rows
    ) == ["High, Re-entered", "Skipped: Locked gate"]
    assert all(row["Reading"] != "10" for row in rows)


async def test_credit_balances_list_final_accounts_first_with_what_we_owe(
    client, session, csr, resident, other_resident
) -> None:
    from portal.accounts.models import AccountStatus

    for account, cents in ((resident.account, -2_000), (other_resident.account, -9_000)):
        await ledger.post(
            session,
            Actor.job("t"),
            account_id=account.id,
            kind=LedgerKind.PAYMENT,
            amount_cents=cents,
            source_key=f"over:{account.id}",
            effective_on=local_today(),
        )
    resident.account.status = AccountStatus.FINAL
    await session.commit()
    await sign_in(client, session, csr)
    rows = list(csv.reader(io.StringIO((await client.get("/staff/reports/credits.csv")).text)))
    assert [r[0] for r in rows[1:3]] == [resident.account.number, other_resident.account.number]
    assert rows[1][3] == "20.00" and rows[-1][3] == "110.00"


async def test_the_arrangements_report_shows_why_one_broke(client, session, csr, resident) -> None:
    from portal.accounts.models import ArrangementStatus, PaymentArrangement

    session.add(
        PaymentArrangement(
            account_id=resident.account.id,
            status=ArrangementStatus.BROKEN,
            total_cents=40_000,
            down_payment_cents=20_000,
            starts_on=local_today() - dt.timedelta(days=40),
            closed_on=local_today(),
            instalments=[],
            outcome_note="The instalment of $100.00 due 2026-12-16 was not paid.",
        )
    )
    await session.commit()
    await sign_in(client, session, csr)
    page = await client.get("/staff/reports/arrangements")
    assert (
        "The instalment of $100.00 due 2026-12-16 was not paid." in page.text
        and "0 completed, 1 broken, 0 running." in page.text
    )


async def test_daily_collections_give_each_channel_its_column_and_every_row_adds_up(
    client, session, csr, resident
) -> None:
    """A bank draft (autopay) had no column: the day's total counted it and no column did."""
    today = local_today()
    # receipt:987654 is a counter payment with no receipt in any drawer (an earlier system's, or the demo's
    # history): it counted nowhere, so the day fell short of the money the ledger (and the journal) took in.
    payments = (("draft:1:2026-12", 13_864), ("pi_test123", 2_109), ("lockbox:7", 5_036), ("misc:9", 100))
    for key, cents in (*payments, ("receipt:987654", 1_000)):
        await ledger.post(
            session,
            Actor.job("t"),
            account_id=resident.account.id,
            kind=LedgerKind.PAYMENT,
            amount_cents=-cents,
            source_key=key,
            effective_on=today,
        )
    await session.commit()
    await sign_in(client, session, csr)
    rows = list(csv.DictReader(io.StringIO((await client.get("/staff/reports/collections.csv")).text)))
    day = next(row for row in rows if row["Day"] not in ("Total",) and "138.64" in row.values())
    assert day["Autopay"] == "138.64" and day["Online"] == "21.09" and day["Lockbox"] == "50.36"
    assert day["Other"] == "11.00" and day["Total"] == "221.09"  # the unreceipted counter payment in "other"
    page = (await client.get("/staff/collections")).text
    assert "Counter, no drawer receipt" in page and "$10.00" in page
    for row in rows:
        parts = [v for k, v in row.items() if k not in ("Day", "Total")]
        assert round(sum(float(v) for v in parts), 2) == float(row["Total"]), row
