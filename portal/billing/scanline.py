"""The OCR scan line on a bill's remittance stub: what the bank's lockbox machine reads from a returned stub.

Fixed width, digits and spaces only (OCR-B readers and people both read it):

    AAAAAAAAA TTTTTTTTTT K        22 characters
    |         |          +-- Damm check digit over the 19 digits before it
    |         +------------- amount due in cents, 10 digits, zero-padded (up to $99,999,999.99)
    +----------------------- account number: 8 digits and its own Damm check digit (portal/accounts/numbers.py)

The account's own check digit catches a misread account number before any look-up; the line's check digit catches a
misread amount (every single wrong digit and every swap of two adjacent digits, as Damm does).
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import damm

from portal.accounts import numbers

ACCOUNT_DIGITS = numbers.BODY_DIGITS + 1
AMOUNT_DIGITS = 10
LENGTH = ACCOUNT_DIGITS + 1 + AMOUNT_DIGITS + 1 + 1
MAX_CENTS = 10**AMOUNT_DIGITS - 1


class BadScanLine(ValueError):
    """The line is not a scan line, or a check digit is wrong; `reason` says which (for the lockbox report)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "format", "account_check", "line_check"


@dataclass(frozen=True)
class ScanLine:
    account_number: str  # nine digits, its check digit valid
    amount_cents: int


def make(account_number: str, amount_cents: int) -> str:
    """The scan line for an account and the amount due (a credit balance prints as zero: nothing is due)."""
    number = numbers.normalize(account_number)
    cents = max(0, amount_cents)
    if cents > MAX_CENTS:
        raise ValueError("amount too large for the scan line")
    digits = f"{number}{cents:0{AMOUNT_DIGITS}d}"
    return f"{number} {cents:0{AMOUNT_DIGITS}d} {damm.calc_check_digit(digits)}"


def parse(raw: str) -> ScanLine:
    """Read a scan line (spaces optional, as some readers drop them). Raise BadScanLine saying what is wrong."""
    digits = "".join((raw or "").split())
    if len(digits) != ACCOUNT_DIGITS + AMOUNT_DIGITS + 1 or not (digits.isascii() and digits.isdigit()):
        raise BadScanLine("format")
    if not damm.is_valid(digits):
        # Tell which part is wrong when we can: a bad account number is the likelier misread to fix by hand.
        raise BadScanLine("line_check" if numbers.is_valid(digits[:ACCOUNT_DIGITS]) else "account_check")
    account = digits[:ACCOUNT_DIGITS]
    if not numbers.is_valid(account):
        raise BadScanLine("account_check")
    return ScanLine(account, int(digits[ACCOUNT_DIGITS : ACCOUNT_DIGITS + AMOUNT_DIGITS]))
