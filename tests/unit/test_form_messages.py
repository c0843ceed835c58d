"""A class of fault: a required or range check without its own words shows WTForms' generic English ("This field is
required.", "Number must be between 0.01 and 100000."), on a Spanish page too. Every form of the portal says what to
do in its own words; and a money box that refuses what was typed says so once."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import wtforms
from wtforms.validators import DataRequired, InputRequired, NumberRange

import portal
from portal.staff.forms import OpenDrawerForm
from portal.web.forms import Form


def _forms() -> Iterator[type[Form]]:
    for found in pkgutil.walk_packages(portal.__path__, "portal."):
        if ".migrations" not in found.name and ".demo" not in found.name:
            importlib.import_module(found.name)

    def below(cls: type[Form]) -> Iterator[type[Form]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    yield from below(Form)


def test_every_required_and_range_check_has_its_own_words() -> None:
    bare = []
    forms = list(_forms())
    assert len(forms) > 40
    for form in forms:
        for name in dir(form):
            field = getattr(form, name, None)
            if not isinstance(field, wtforms.fields.core.UnboundField):
                continue
            for check in field.kwargs.get("validators") or []:
                if isinstance(check, NumberRange | InputRequired | DataRequired) and not check.message:
                    bare.append(f"{form.__module__}.{form.__name__}.{name}: {type(check).__name__}")
    assert bare == []


class _Data(dict):
    def getlist(self, key: str) -> list:
        return [self[key]] if key in self else []


def test_a_money_box_that_is_not_an_amount_says_so_once() -> None:
    for typed in ("abc", "-5", "99999999999", "10.005"):
        form = OpenDrawerForm(_Data(opening_float=typed))
        assert not form.validate()
        assert len(form.opening_float.errors) == 1, (typed, form.opening_float.errors)


def test_the_summary_tells_apart_fields_with_the_same_message() -> None:
    """A drawer closed blank listed "Enter an amount, like 45.10." three times, naming no field."""
    from portal.staff.forms import CloseDrawerForm

    form = CloseDrawerForm(_Data())
    assert not form.validate()
    listed = [message for _field, message in form.error_list]
    assert listed == [
        "Cash counted, float included ($): Enter an amount, like 45.10.",
        "Checks counted ($): Enter an amount, like 45.10.",
        "Card slips counted ($): Enter an amount, like 45.10.",
    ]
    one = OpenDrawerForm(_Data())
    assert not one.validate() and [m for _f, m in one.error_list] == ["Enter an amount, like 45.10."]


def test_a_drawer_float_is_a_till_not_a_vault() -> None:
    """A float of $1,000,000.00 opened a drawer without a question."""
    form = OpenDrawerForm(_Data(opening_float="1,000,000"))
    assert not form.validate() and form.opening_float.errors == ["At most $10,000.00."]
    assert OpenDrawerForm(_Data(opening_float="150.00")).validate()
