"""The lockbox file may name each payment by the stub's scan line (portal/staff/lockbox.py)."""

from __future__ import annotations

import pytest

from portal.accounts import numbers
from portal.accounts.errors import DomainError
from portal.billing import scanline
from portal.staff import lockbox

NUMBER = numbers.with_check_digit(12345678)
OTHER = numbers.with_check_digit(22222222)
LINE = scanline.make(NUMBER, 8_450)


def _csv(*rows: str, header: str = "scan_line,amount,paid_on,item_id") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_the_scan_line_names_the_account_and_the_amount_column_is_what_was_paid() -> None:
    # A blank amount is refused: the stub's amount due is what was asked, not what the check paid.
    good, bad = lockbox.parse(_csv(f"{LINE},,2026-07-10,A1", f"{LINE},50.00,2026-07-10,A2"))
    assert [b.line for b in bad] == [2]
    assert [(line.account_number, line.amount_cents) for line in good] == [(NUMBER, 5_000)]


def test_a_wrong_check_digit_is_refused_with_the_reason() -> None:
    misread_amount = LINE[:12] + "9" + LINE[13:]
    misread_account = "9" + LINE[1:]
    good, bad = lockbox.parse(
        _csv(f"{misread_amount},,2026-07-10,A1", f"{misread_account},,2026-07-10,A2", "12 34,,2026-07-10,A3")
    )
    assert good == []
    assert [b.line for b in bad] == [2, 3, 4]
    assert "line's check digit is wrong" in bad[0].message
    assert "account number's check digit is wrong" in bad[1].message
    assert "not 20 digits" in bad[2].message


def test_a_scan_line_and_an_account_number_that_disagree_are_refused() -> None:
    good, bad = lockbox.parse(
        _csv(
            f"{LINE},{OTHER},84.50,2026-07-10",
            f"{LINE},{NUMBER},84.50,2026-07-10",
            header="scan_line,account_number,amount,paid_on",
        )
    )
    assert [b.line for b in bad] == [2] and "different accounts" in bad[0].message
    assert [(line.account_number, line.amount_cents) for line in good] == [(NUMBER, 8_450)]


def test_without_a_scan_line_column_the_account_and_amount_columns_are_needed() -> None:
    with pytest.raises(DomainError):
        lockbox.parse(b"amount,paid_on\n10.00,2026-07-10\n")
    good, _bad = lockbox.parse(f"account_number,amount,paid_on\n{NUMBER},10.00,2026-07-10\n".encode())
    assert good[0].amount_cents == 1_000
