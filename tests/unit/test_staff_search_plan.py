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


def test_an_address_is_read_as_the_words_it_is_stored_in() -> None:
    from portal.accounts.address_words import address_words

    assert address_words("100 Oak Street Apt 103") == ("100", "oak", "st", "103")
    assert address_words("100 oak st #103") == ("100", "oak", "st", "103")
    assert address_words("7 North Wren Road, Unit 2") == ("7", "n", "wren", "rd", "2")


def test_the_numbers_one_slip_away_are_valid_and_include_the_one_meant() -> None:
    from portal.staff.search import one_slip_away

    meant = numbers.with_check_digit(10_000_123)
    typo = meant[:2] + str((int(meant[2]) + 1) % 10) + meant[3:]
    swap = meant[:6] + meant[7] + meant[6] + meant[8:]
    for slip in (typo, swap):
        assert not numbers.is_valid(slip)
        near = one_slip_away(slip)
        assert meant in near and all(numbers.is_valid(n) for n in near)


def test_a_name_a_slip_away_is_close_and_another_name_is_not() -> None:
    from portal.staff.search import CLOSE_ENOUGH, name_closeness

    assert name_closeness(("jonson",), "Mary", "Johnson") >= CLOSE_ENOUGH
    assert name_closeness(("andersen", "robert"), "Robert", "Anderson") >= CLOSE_ENOUGH
    assert name_closeness(("lopez",), "María", "López") == 1.0
    assert name_closeness(("smith",), "Mary", "Johnson") < CLOSE_ENOUGH
    assert name_closeness(("brown",), "Jessica", "Wilson") < CLOSE_ENOUGH


def test_nine_digits_that_fail_the_check_are_a_number_with_a_slip() -> None:
    meant = numbers.with_check_digit(10_000_123)
    typo = meant[:-1] + str((int(meant[-1]) + 1) % 10)
    found = plan(typo)
    assert found.kind == "bad_number" and meant in found.near_numbers
