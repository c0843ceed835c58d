"""The one money parser behind every money field (portal/web/params.parse_cents, DollarsField) and the change due
for cash at the counter (portal/staff/rules.change_due)."""

from decimal import Decimal

import pytest

from portal.accounts.errors import DomainError
from portal.payments import rules as payment_rules
from portal.staff import rules
from portal.web import params
from portal.web.forms import DollarsField, Form


class _Amount(Form):
    amount = DollarsField("Amount")


class _Data(dict):
    def getlist(self, key: str) -> list:
        return [self[key]] if key in self else []


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("$1,234.50", 123_450), ("1234.5", 123_450), (" 1,234 ", 123_400), ("$ 80", 8_000), (".75", 75), ("0", 0)],
)
def test_amounts_as_people_type_them(typed: str, cents: int) -> None:
    assert params.parse_cents(typed) == cents


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("12.345", "decimals"),
        ("$1,234.567", "decimals"),
        ("-5", "negative"),
        ("-$5.00", "negative"),
        ("abc", "not_amount"),
        ("1,23", "not_amount"),
        ("1e3", "not_amount"),
        ("NaN", "not_amount"),
        ("1000000.01", "too_large"),
    ],
)
def test_what_is_not_an_amount_says_why(typed: str, reason: str) -> None:
    with pytest.raises(params.BadAmount) as refused:
        params.parse_cents(typed)
    assert refused.value.reason == reason


def test_a_spanish_reader_may_write_the_cents_after_a_comma() -> None:
    """ "244,01" was refused on the Spanish pages; in English "1,23" stays refused (a slip, not $1.23)."""
    from portal import i18n

    with i18n.use_locale("es"):
        assert params.parse_cents("244,01") == 24_401 and params.parse_cents("$5,5") == 550
        assert params.parse_cents("1,234") == 123_400  # three digits: still a thousands group
    with pytest.raises(params.BadAmount):
        params.parse_cents("244,01")


def test_the_bound_is_the_policy_maximum() -> None:
    assert params.parse_cents("1,000,000.00") == params.MAX_CENTS


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.345", "at most two digits after the point"),
        ("-5", "without a minus sign"),
        ("abc", "like 45.10, up to $1,000,000.00"),
    ],
)
def test_a_money_field_says_what_was_wrong(typed: str, message: str) -> None:
    form = _Amount(formdata=_Data(amount=typed))
    assert not form.validate()
    assert message in " ".join(form.amount.errors)


def test_a_money_field_reads_dollars_and_cents() -> None:
    form = _Amount(formdata=_Data(amount="$1,234.50"))
    assert form.validate() and form.amount.data == Decimal("1234.50")


def test_change_due_for_cash() -> None:
    assert rules.change_due(6_550, 10_000) == 3_450
    assert rules.change_due(6_550, 6_550) == 0
    assert rules.change_due(6_550, None) == 0  # nothing typed: the exact amount


def test_cash_short_of_the_amount_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        rules.change_due(6_550, 6_500)
    assert refused.value.field == "tendered" and "less than the amount" in refused.value.message


@pytest.mark.parametrize("typed", ["$1,234.50", " 1,234 ", "12.345", "-5", "abc", "1000000.01"])
def test_the_resident_payment_form_reads_amounts_with_the_same_parser(typed: str) -> None:
    try:
        expected: int | None = params.parse_cents(typed)
    except params.BadValue:
        expected = None
    assert payment_rules.parse_amount(typed) == expected
