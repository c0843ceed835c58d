"""HTML forms with WTForms: fields, validation and resident-friendly messages in English and Spanish.

Litestar checks the CSRF token before a handler runs, so WTForms' own CSRF stays off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Self

import wtforms
from litestar import Request
from wtforms.i18n import get_translations

from portal import i18n
from portal.accounts import numbers

_ = i18n.lazy_gettext


class _FormData:
    """Adapts Litestar's form multidict to the getlist() interface WTForms reads."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def getlist(self, key: str) -> list[Any]:
        return list(self._data.getall(key, []))

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data.keys())

    def __len__(self) -> int:
        return len(self._data)


class _Translations:
    """Our catalogue first (for our messages), WTForms' own Spanish for its built-in ones."""

    def gettext(self, message: str) -> str:
        ours = i18n.gettext(message)
        if ours != message:
            return ours
        return get_translations([i18n.current()]).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations([i18n.current()]).ngettext(singular, plural, n)


class Form(wtforms.Form):
    class Meta:
        def get_translations(self, form: wtforms.Form) -> _Translations:
            return _Translations()

    @classmethod
    async def from_request(cls, request: Request, **kwargs: Any) -> Self:
        data = await request.form()
        return cls(formdata=_FormData(data), **kwargs)

    def add_error(self, field: str, message: str) -> None:
        getattr(self, field).errors = [*getattr(self, field).errors, message]
        self._errors = None  # WTForms caches .errors

    @property
    def error_list(self) -> list[tuple[str, str]]:
        """(field id, message) pairs for the error summary at the top of the page."""
        return [(name, message) for name, messages in self.errors.items() for message in messages]


class AccountNumber:
    """A nine-digit account number whose check digit is right (so a typo is caught before any look-up)."""

    def __call__(self, form: wtforms.Form, field: wtforms.Field) -> None:
        if field.data and not numbers.is_valid(field.data):
            raise wtforms.validators.ValidationError(
                i18n.gettext("Check the account number: it is the 9 digits at the top of your bill.")
            )


class Zip:
    def __call__(self, form: wtforms.Form, field: wtforms.Field) -> None:
        value = (field.data or "").strip()
        if not (len(value) in (5, 10) and value[:5].isdigit()):
            raise wtforms.validators.ValidationError(i18n.gettext("Enter the 5-digit ZIP code of the service address."))
