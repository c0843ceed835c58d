"""Account numbers: eight digits plus a Damm check digit, which catches every single mistyped digit and every
swap of two adjacent digits (Luhn misses 09 <-> 90)."""

from __future__ import annotations

import re

from stdnum import damm

BODY_DIGITS = 8


class InvalidAccountNumber(ValueError):
    pass


def with_check_digit(body: int | str) -> str:
    body = str(body).zfill(BODY_DIGITS)
    if len(body) != BODY_DIGITS or not (body.isascii() and body.isdigit()):
        raise ValueError(f"account number body must be {BODY_DIGITS} digits")
    return body + damm.calc_check_digit(body)


def normalize(raw: str) -> str:
    """Strip the spaces and dashes people type and check the digit; raise InvalidAccountNumber if it is wrong."""
    digits = re.sub(r"[\s\-.]", "", raw or "")
    if len(digits) != BODY_DIGITS + 1 or not (digits.isascii() and digits.isdigit()) or not damm.is_valid(digits):
        raise InvalidAccountNumber(raw)
    return digits


def is_valid(raw: str) -> bool:
    try:
        normalize(raw)
    except InvalidAccountNumber:
        return False
    return True


def display(number: str) -> str:
    """1234-5678-9: easier to read aloud over the phone."""
    return f"{number[:4]}-{number[4:8]}-{number[8:]}" if len(number) == BODY_DIGITS + 1 else number
