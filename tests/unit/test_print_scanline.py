"""The remittance stub's OCR scan line (portal/billing/scanline.py) and the print batch's mailing order."""

from __future__ import annotations

import pytest

from portal.accounts import numbers
from portal.billing import scanline
from portal.staff.print_batch import presort_key

NUMBER = numbers.with_check_digit(12345678)


def test_the_line_is_fixed_width_account_amount_and_a_check_digit() -> None:
    line = scanline.make(NUMBER, 12345)
    assert line == f"{NUMBER} 0000012345 9"
    assert len(line) == scanline.LENGTH == 22
    assert scanline.parse(line) == scanline.ScanLine(NUMBER, 12345)
    assert scanline.parse(line.replace(" ", "")) == scanline.ScanLine(NUMBER, 12345)  # readers that drop spaces


def test_a_credit_prints_as_nothing_due() -> None:
    assert scanline.make(NUMBER, -500) == f"{NUMBER} 0000000000 {scanline.make(NUMBER, 0)[-1]}"


@pytest.mark.parametrize("position", range(20))
def test_every_single_misread_digit_is_refused(position: int) -> None:
    digits = scanline.make(NUMBER, 9876).replace(" ", "")
    wrong = digits[:position] + str((int(digits[position]) + 3) % 10) + digits[position + 1 :]
    with pytest.raises(scanline.BadScanLine):
        scanline.parse(wrong)


def test_a_wrong_amount_names_the_line_check_and_a_wrong_account_its_own() -> None:
    line = scanline.make(NUMBER, 12345)
    with pytest.raises(scanline.BadScanLine) as amount:
        scanline.parse(line[:12] + "9" + line[13:])
    assert amount.value.reason == "line_check"
    with pytest.raises(scanline.BadScanLine) as account:
        scanline.parse("9" + line[1:])
    assert account.value.reason == "account_check"
    with pytest.raises(scanline.BadScanLine) as garbage:
        scanline.parse("12345 ABC")
    assert garbage.value.reason == "format"


def test_presort_is_by_zip_then_route_then_address() -> None:
    rows = [("62704", "R02", "9 Elm St"), ("62701", "R09", "1 Oak St"), ("62704", "R01", "5 Ash St")]
    assert sorted(rows, key=lambda r: presort_key(*r)) == [rows[1], rows[2], rows[0]]
    assert presort_key("62704-1234", "R01", "a") < presort_key("62705", "R01", "a")
