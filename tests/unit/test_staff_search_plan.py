"""What a console search box entry is taken to be."""

from portal.accounts import numbers
from portal.staff.search import plan


def test_a_valid_account_number_is_looked_up_exactly_with_or_without_dashes() -> None:
    number = numbers.with_check_digit(10_000_123)
    assert plan(number).kind == "number"
    assert plan(numbers.display(number)).number == number


def test_digits_that_are_not_an_account_number_are_a_phone_or_partial_number() -> None:
    assert plan("(254) 555-1234").digits == "2545551234"
    assert plan("1-254-555-1234").digits == "2545551234"  # the country code is dropped
    assert plan("555-1234").kind == "phone"


def test_letters_and_digits_in_one_word_are_a_meter_serial_and_also_text() -> None:
    found = plan("w21000123")
    assert found.kind == "serial" and found.serial == "W21000123" and found.text == "w21000123"


def test_words_are_names_or_addresses() -> None:
    assert plan("  María   López ").text == "María López"
    assert plan("104 Oak St").kind == "text"


def test_too_little_to_search_for_is_said_so() -> None:
    assert plan("Li").kind == "too_short"
    assert plan("123").kind == "too_short"
    assert plan("   ").kind == "empty"
