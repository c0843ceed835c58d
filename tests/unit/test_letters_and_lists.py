"""Letters and lists as plain functions: the journal's general-ledger split, the bill register's control totals,
the turnaround by technician and kind, the medical-alert states, late bills for a letter of credit, CSV guards."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from portal.accounts import credit_history, deposits
from portal.accounts import general_ledger as gl
from portal.accounts.models import Account, LedgerKind, ServiceKind, WorkOrderKind
from portal.accounts.policy import Policy
from portal.staff import finance_reports, lists
from portal.staff.reports import TEXT, Column, Report

D1, D2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)
WATER, SEWER = ServiceKind.WATER, ServiceKind.SEWER


def test_every_ledger_kind_has_a_general_ledger_account_and_every_account_a_name() -> None:
    assert set(gl.OFFSET_BY_KIND) == set(LedgerKind)
    assert set(gl.REVENUE_BY_SERVICE) == set(ServiceKind)
    for code in [*gl.OFFSET_BY_KIND.values(), *gl.REVENUE_BY_SERVICE.values(), gl.RECEIVABLES]:
        assert code in gl.GL_ACCOUNTS


def test_a_bill_charge_debits_receivables_and_credits_each_service() -> None:
    lines = gl.split(gl.Entry(D1, LedgerKind.CHARGE, 10_000, ((WATER, 6_000), (SEWER, 4_000))))
    assert lines == [(gl.RECEIVABLES, 10_000), ("4010", -6_000), ("4020", -4_000)]


def test_a_charge_whose_lines_fall_short_puts_the_rest_in_unallocated_revenue() -> None:
    lines = gl.split(gl.Entry(D1, LedgerKind.CHARGE, 10_050, ((WATER, 10_000),)))
    assert lines[-1] == (gl.UNALLOCATED_REVENUE, -50) and sum(c for _a, c in lines) == 0


def test_a_reversed_charge_takes_back_the_same_services() -> None:
    lines = gl.split(gl.Entry(D1, LedgerKind.CHARGE, -10_000, ((WATER, 6_000), (SEWER, 4_000)), reversal=True))
    assert lines == [(gl.RECEIVABLES, -10_000), ("4010", 6_000), ("4020", 4_000)]


def test_a_payment_debits_cash_and_credits_receivables() -> None:
    assert gl.split(gl.Entry(D1, LedgerKind.PAYMENT, -2_500)) == [(gl.RECEIVABLES, -2_500), (gl.CASH, 2_500)]


def test_the_journal_balances_every_day_and_sums_revenue_by_service() -> None:
    entries = [
        gl.Entry(D1, LedgerKind.CHARGE, 10_000, ((WATER, 6_000), (SEWER, 4_000))),
        gl.Entry(D1, LedgerKind.PAYMENT, -3_000),
        gl.Entry(D1, LedgerKind.LATE_FEE, 500),
        gl.Entry(D2, LedgerKind.DEPOSIT_APPLIED, -7_500),
        gl.Entry(D2, LedgerKind.ADJUSTMENT, -1_000),
        gl.Entry(D2, LedgerKind.CHARGE, -10_000, ((WATER, 6_000), (SEWER, 4_000)), reversal=True),
    ]
    journal = gl.journal(entries)
    assert gl.unbalanced_days(journal) == {}
    by = {(line.day, line.account): (line.debit_cents, line.credit_cents) for line in journal}
    assert by[(D1, gl.RECEIVABLES)] == (10_500, 3_000) and by[(D1, gl.CASH)] == (3_000, 0)
    assert by[(D2, gl.DEPOSITS_HELD)] == (7_500, 0)
    revenue = gl.revenue(journal)
    assert revenue["4010"] == 0 and revenue["4500"] == 500 and revenue["4900"] == -1_000
    assert gl.revenue(gl.journal(entries[:1]))["4010"] == 6_000


def test_an_unbalanced_journal_is_found() -> None:
    lines = [gl.JournalLine(D1, gl.CASH, 100, 0), gl.JournalLine(D1, gl.RECEIVABLES, 0, 90)]
    assert gl.unbalanced_days(lines) == {D1: 10}


def test_the_register_row_shows_what_does_not_reconcile() -> None:
    bills = {"bills": 2, "final": 1, "estimated": 1, "total": 10_000}
    row = finance_reports.register_row(bills, {WATER: 6_000, SEWER: 4_000}, 10_000, 3)
    assert row["water"] == 6_000 and row["gas"] == 0 and row["held"] == 3
    assert row["lines_off"] == 0 and row["ledger_off"] == 0
    off = finance_reports.register_row(bills, {WATER: 6_000}, 9_000, None)
    assert off["lines_off"] == -4_000 and off["ledger_off"] == 1_000 and off["held"] is None


def test_held_accounts_come_from_the_runs_counts() -> None:
    assert finance_reports.held_count({"billed": 9, "held_no_read": 2, "held_inactive": 1}) == 3
    assert finance_reports.held_count({"billed": 9}) == 0
    assert finance_reports.held_count(None) is None


def test_turnaround_counts_on_time_by_the_utility_day_and_takes_the_median() -> None:
    zone = ZoneInfo("America/Chicago")
    created = dt.datetime(2026, 11, 2, 14, tzinfo=dt.UTC)
    done = [
        # 03:00 UTC on the 4th is still the 3rd in Chicago: on time for a due date of the 3rd
        lists.Done("Luis", WorkOrderKind.READ, created, dt.datetime(2026, 11, 4, 3, tzinfo=dt.UTC), D2),
        lists.Done("Luis", WorkOrderKind.READ, created, created + dt.timedelta(hours=2), D2),
        lists.Done("Luis", WorkOrderKind.READ, created, dt.datetime(2026, 11, 5, 14, tzinfo=dt.UTC), D2),
        lists.Done("Ana", WorkOrderKind.DISCONNECT, created, created + dt.timedelta(hours=5), dt.date(2026, 11, 1)),
    ]
    rows = lists.turnaround(done, zone)
    assert [(r["technician"], r["kind"]) for r in rows] == [
        ("Ana", WorkOrderKind.DISCONNECT),
        ("Luis", WorkOrderKind.READ),
    ]
    ana, luis = rows
    assert (ana["completed"], ana["on_time"], ana["late"], ana["median_hours"]) == (1, 0, 1, 5.0)
    assert (luis["completed"], luis["on_time"], luis["late"], luis["median_hours"]) == (3, 2, 1, 37.0)


def test_medical_alert_states() -> None:
    today = dt.date(2026, 12, 4)
    assert lists.alert_state(today - dt.timedelta(days=1), today) is None
    assert lists.alert_state(today, today) == "expiring"
    assert lists.alert_state(today + dt.timedelta(days=30), today) == "expiring"
    assert lists.alert_state(today + dt.timedelta(days=31), today) == "active"


def test_late_bills_use_the_good_record_test_bill_by_bill() -> None:
    due1, due2, due3 = dt.date(2026, 1, 20), dt.date(2026, 2, 20), dt.date(2026, 3, 20)
    charges = [(due1, 5_000), (due2, 5_000), (due3, 5_000)]
    credits = [(dt.date(2026, 1, 19), 5_000), (dt.date(2026, 2, 25), 5_000), (dt.date(2026, 3, 1), 5_000)]
    assert credit_history.late_bills([due1, due2, due3], charges, credits) == 1
    assert credit_history.late_bills([], charges, credits) == 0


def test_our_letter_is_judged_by_the_same_waiver_rule() -> None:
    policy = Policy()
    today = dt.date(2026, 12, 4)
    good = deposits.LetterOfCredit("Riverton", dt.date(2020, 1, 15), today, 0, 0, 0)
    assert deposits.check_letter(policy, good, today).accepted
    bad = deposits.LetterOfCredit("Riverton", dt.date(2020, 1, 15), today, 0, 1, 0)
    assert not deposits.check_letter(policy, bad, today).accepted


def test_service_span_starts_at_opening_or_the_first_bill() -> None:
    opened = Account(opened_on=dt.date(2021, 3, 1), closed_on=dt.date(2026, 11, 30))
    assert credit_history.service_span(opened, dt.date(2021, 2, 1)) == (dt.date(2021, 3, 1), dt.date(2026, 11, 30))
    unopened = Account(opened_on=None, closed_on=None)
    assert credit_history.service_span(unopened, dt.date(2021, 2, 1)) == (dt.date(2021, 2, 1), None)


def test_csv_text_that_a_spreadsheet_would_run_is_quoted() -> None:
    report = Report(
        "x", "X", [Column("name", "Name", TEXT)], [{"name": "=HYPERLINK(1)"}, {"name": "@SUM"}, {"name": "Ann"}]
    )
    assert report.csv().splitlines()[1:] == ["'=HYPERLINK(1)", "'@SUM", "Ann"]
