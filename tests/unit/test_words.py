"""Words and dates in the reader's language: the date helpers, ledger lines, adjustment explanations, history."""

from __future__ import annotations

import datetime as dt

from portal import i18n
from portal.accounts import adjustment_words, ledger_words
from portal.accounts.models import Adjustment, AuditEvent, LedgerEntry, LedgerKind, Origin
from portal.staff import history

MOMENT = dt.datetime(2026, 11, 24, 11, 1, tzinfo=dt.UTC)  # 5:01 AM in Chicago
# Babel puts a narrow no-break space before AM/PM, as CLDR does.


def spanish(function, *args):
    with i18n.use_locale("es"):
        return function(*args)


def test_dates_have_one_style_per_kind_in_each_language() -> None:
    assert i18n.format_date(dt.date(2026, 11, 26)) == "Nov 26, 2026"
    assert spanish(i18n.format_date, dt.date(2026, 11, 26)) == "26 nov 2026"
    assert i18n.format_date("2027-09-16") == "Sep 16, 2027"  # a stored ISO date never shows raw
    assert i18n.format_datetime(MOMENT, "America/Chicago") == "Nov 24, 2026, 5:01\u202fAM"
    assert spanish(i18n.format_datetime, MOMENT, "America/Chicago") == "24 nov 2026, 5:01\u202fa.m."
    # a naive value is UTC, as stored; the local date can be the day before
    assert i18n.format_datetime(dt.datetime(2026, 11, 24, 3, 0), "America/Chicago") == "Nov 23, 2026, 9:00\u202fPM"
    assert i18n.format_datetime("2026-11-24T11:01:00+00:00", "America/Chicago") == "Nov 24, 2026, 5:01\u202fAM"
    assert i18n.format_date(None) == i18n.format_datetime(None) == ""


def entry(memo: str, kind: LedgerKind = LedgerKind.PAYMENT) -> LedgerEntry:
    return LedgerEntry(memo=memo, kind=kind, amount_cents=-100)


def test_a_ledger_line_is_stored_in_english_and_shown_in_the_readers_language() -> None:
    bill = ledger_words.memo("bill", start_on="2026-10-01", end_on="2026-10-31")
    assert bill == "Bill 2026-10-01 to 2026-10-31"
    assert ledger_words.ledger_words(entry(bill, LedgerKind.CHARGE)) == "Bill Oct 1, 2026 to Oct 31, 2026"
    assert spanish(ledger_words.ledger_words, entry(bill)) == "Factura del 1 oct 2026 al 31 oct 2026"
    paid = ledger_words.memo("payment_reference", method="us_bank_account", reference="PAY-7")
    assert paid == "Payment by bank account (PAY-7)"
    assert spanish(ledger_words.words_of, paid) == "Pago con cuenta bancaria (PAY-7)"
    fee = ledger_words.memo("late_fee", percent=1.5, dollars="1234.50")
    assert ledger_words.words_of(fee) == "Late fee: 1.5% of $1,234.50 past due"
    assert spanish(ledger_words.words_of, fee) == "Recargo por mora: 1.5% de $1,234.50 vencidos"


def test_an_older_mixed_memo_reads_in_one_language() -> None:
    # Written while a Spanish-speaking CSR was signed in: a Spanish method word inside an English sentence.
    assert ledger_words.words_of("Payment by tarjeta (recibo 12)") == "Payment by card (recibo 12)"
    assert spanish(ledger_words.words_of, "Payment by tarjeta (recibo 12)") == "Pago con tarjeta (recibo 12)"
    adjusted = ledger_words.memo("adjustment", adjustment="leak", reason="Burst pipe")
    assert adjusted == "Leak: Burst pipe" and spanish(ledger_words.words_of, adjusted) == "Fuga: Burst pipe"


def test_a_memo_no_message_knows_is_shown_as_stored() -> None:
    assert spanish(ledger_words.words_of, "January bill") == "January bill"
    assert spanish(ledger_words.words_of, "Waived: something else") == "Waived: something else"
    assert ledger_words.ledger_words(entry("")) == ""  # the page shows the kind's label


def test_an_adjustment_explanation_is_rendered_from_its_numbers() -> None:
    values = {"average": 6000, "billed": 12000, "credit": 2880}
    assert adjustment_words.render("pool_fill", values) == (
        "Pool fill: sewer rebilled on the average of 6,000 gal instead of 12,000 gal: $28.80 back."
    )
    kept = Adjustment(
        explanation="stored English", inputs={"explanation": {"key": "pool_fill", "values": values}, "bill_id": 1}
    )
    assert spanish(adjustment_words.explanation_words, kept).startswith("Llenado de piscina")
    older = Adjustment(explanation="stored English", inputs={"bill_id": 1})
    assert spanish(adjustment_words.explanation_words, older) == "stored English"
    vacation = {"months": 3, "start": "2026-12-01", "end": "2027-03-01", "monthly": 2150, "requested": "2026-11-26"}
    assert "Dec 1, 2026" in adjustment_words.render("vacation_garbage", vacation)


def event(action: str, *, actor_id: int | None = None, label: str = "job:bill-run", after=None) -> AuditEvent:
    origin = Origin.JOB if label.startswith("job:") else Origin.WEB
    return AuditEvent(at=MOMENT, actor_id=actor_id, actor_label=label, origin=origin, action=action, after=after or {})


def test_history_says_who_by_name_and_what_in_words() -> None:
    by_csr = history.history_line(event("account.note", actor_id=5, label="csr@riverton.example"), "Angela Ruiz")
    assert (by_csr.who, by_csr.what) == ("Angela Ruiz", "Added a note")
    assert spanish(history.what, "account.note") == "Agregó una nota"
    job = history.history_line(event("work_order.create"), None)
    assert job.who == "System" and spanish(history.who, event("work_order.create"), None) == "Sistema"
    memo = ledger_words.memo("payment", method="card")
    posted = {"kind": "payment", "amount_cents": -2500, "memo": memo}
    assert spanish(history.what, "ledger.post", posted) == "Asentó en el libro de cuentas: Pago con tarjeta, -$25.00"


def test_an_unknown_history_code_reads_as_a_label() -> None:
    assert history.what("meter.swap_done") == "Meter: swap done"
    assert history.what("heartbeat") == "Heartbeat"
