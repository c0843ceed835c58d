"""Account numbers: the check digit must catch every single mistyped digit and every adjacent swap."""

import random

import pytest

from portal.accounts import numbers


def _sample(count: int = 300) -> list[str]:
    rnd = random.Random(7)
    return [numbers.with_check_digit(rnd.randrange(10_000_000, 99_999_999)) for _ in range(count)]


def test_a_number_with_its_check_digit_is_valid() -> None:
    assert all(numbers.is_valid(n) for n in _sample())


def test_every_single_digit_substitution_is_caught() -> None:
    for number in _sample():
        for position in range(len(number)):
            for digit in "0123456789":
                if digit == number[position]:
                    continue
                typo = number[:position] + digit + number[position + 1 :]
                assert not numbers.is_valid(typo), (number, typo)


def test_every_adjacent_swap_is_caught() -> None:
    for number in _sample():
        for position in range(len(number) - 1):
            a, b = number[position], number[position + 1]
            if a == b:
                continue
            swapped = number[:position] + b + a + number[position + 2 :]
            assert not numbers.is_valid(swapped), (number, swapped)


def test_luhn_would_have_missed_a_09_swap_that_damm_catches() -> None:
    body = "12340956"
    number = numbers.with_check_digit(body)
    swapped = number.replace("09", "90", 1)
    assert not numbers.is_valid(swapped)


def test_spaces_and_dashes_people_type_are_accepted() -> None:
    number = numbers.with_check_digit(12345678)
    assert numbers.normalize(f" {number[:4]}-{number[4:8]} {number[8]} ") == number
    assert numbers.display(number) == f"{number[:4]}-{number[4:8]}-{number[8]}"


@pytest.mark.parametrize("raw", ["", "12345", "1234567890", "abcdefghi", "12345678x"])
def test_malformed_numbers_are_refused(raw: str) -> None:
    with pytest.raises(numbers.InvalidAccountNumber):
        numbers.normalize(raw)
