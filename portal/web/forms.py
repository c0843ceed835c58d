"""HTML forms with WTForms: fields, validation and resident-friendly messages in English and Spanish.

Litestar checks the CSRF token before a handler runs, so WTForms' own CSRF stays off.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Self, TypeVar

import wtforms
from litestar import Request
from wtforms import BooleanField, FileField, RadioField, StringField, TelField, TextAreaField
from wtforms.i18n import get_translations
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from portal import i18n
from portal.accounts import deposits, numbers

from . import params

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

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        # PostgreSQL text cannot hold a NUL (urlencoded forms are refused before the handler; multipart ones land here).
        for name, field in self._fields.items():
            if any(params.has_nul(value) for value in (field.raw_data or [])):
                self.add_error(name, i18n.gettext("Remove the control character (NUL) from this field."))
                ok = False
        return ok

    def add_error(self, field: str, message: str) -> None:
        getattr(self, field).errors = [*getattr(self, field).errors, message]
        self._errors = None  # WTForms caches .errors

    def add_form_error(self, message: str) -> None:
        """An error about the form as a whole (one that must not say which field was wrong)."""
        self.form_errors.append(message)
        self._errors = None

    @property
    def error_list(self) -> list[tuple[str, str]]:
        """(field id, message) pairs for the error summary at the top of the page; a whole-form error links to the
        first field, where the person starts again."""
        first = next(iter(self._fields), "")
        pairs = [(name or first, message) for name, messages in self.errors.items() for message in messages]
        seen = [message for _name, message in pairs]
        # The same words for two fields (a drawer closed blank: "Enter an amount" for cash, checks and cards) are told
        # apart by the field's label, or the summary lists one sentence three times.
        return [
            (
                name,
                f"{self._fields[name].label.text}: {message}"
                if seen.count(message) > 1 and name in self._fields
                else message,
            )
            for name, message in pairs
        ]


class DateField(wtforms.DateField):
    """A date within params.DATE_MIN .. DATE_MAX (1900..2100): a later date would overflow the date arithmetic."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None:
            try:
                params.check_date(self.data)
            except params.BadValue:
                self.data = None
                raise ValueError(
                    i18n.gettext(
                        "Enter a date between %(first)s and %(last)s.",
                        first=params.DATE_MIN.year,
                        last=params.DATE_MAX.year,
                    )
                ) from None


class IntegerField(wtforms.IntegerField):
    """A whole number within a 64-bit column (the range validators then say what the field allows)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > params.ID_MAX:
            self.data = None
            raise ValueError(i18n.gettext("Enter a smaller number."))


class DollarsField(wtforms.DecimalField):
    """Dollars and cents as people type them ("$1,234.50", "1234.5", " 1,234 "), parsed by params.parse_cents (the
    one money parser): finite, at most 2 decimals, not negative, at most params.MAX_DOLLARS; "1e308", "NaN" and
    "Infinity" are refused here rather than reaching a comparison. The message says what was wrong."""

    # A text box, not type=number: a number input refuses "$" and "," as they are typed (inputmode still brings up
    # the decimal keypad on a tablet).
    widget = wtforms.widgets.TextInput()

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, places=2, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            self.data = Decimal(params.parse_cents(valuelist[0])) / 100
        except params.BadAmount as exc:
            raise ValueError(money_message(exc.reason)) from None

    def pre_validate(self, form: wtforms.form.BaseForm) -> None:
        # What was typed is not an amount: that one message, not also "cannot be negative" from a range check that
        # then sees no number ("abc" showed both).
        if self.process_errors:
            raise wtforms.validators.StopValidation()


def money_message(reason: str) -> str:
    """What to tell the person who typed an amount params.parse_cents refused (BadAmount.reason)."""
    if reason == "decimals":
        return i18n.gettext("Enter an amount in dollars and cents: at most two digits after the point, like 12.35.")
    if reason == "negative":
        return i18n.gettext("Enter an amount in dollars and cents without a minus sign, like 45.10.")
    return i18n.gettext(
        "Enter an amount in dollars and cents, like 45.10, up to %(max)s.", max=i18n.format_money(params.MAX_CENTS)
    )


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
        if not (len(value) in (5, 10) and (value[:5].isascii() and value[:5].isdigit())):
            raise wtforms.validators.ValidationError(i18n.gettext("Enter the 5-digit ZIP code of the service address."))


PHONE = Regexp(r"^[\d\s().+-]{7,20}$", message=_("Enter a phone number like 254-555-0123."))


class AddressSearchForm(Form):
    """Find a service address among the premises (a resident's start or move, and the console's)."""

    q = StringField(
        _("Street address"),
        validators=[DataRequired(_("Enter the street address, for example 120 Oak St.")), Length(max=120)],
        description=_("The house number and street are enough."),
        render_kw={"autocomplete": "street-address"},
    )
    zip = StringField(
        _("ZIP code (optional)"),
        validators=[Optional(), Zip()],
        render_kw={"inputmode": "numeric", "autocomplete": "postal-code", "maxlength": "10"},
    )


LETTER_FIELDS = ("utility", "service_from", "service_to", "late_payments", "disconnects", "returned_payments")


class LinkAccountForm(Form):
    """Proof that a person holds an account: used to sign up and, signed in, to link more
    accounts (both sides show it, so it lives here)."""

    account_number = StringField(
        _("Account number"),
        validators=[DataRequired(_("Enter your account number.")), AccountNumber()],
        description=_("9 digits, at the top of your bill."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    zip_code = StringField(
        _("ZIP code of the service address"),
        validators=[DataRequired(_("Enter the ZIP code of the service address.")), Zip()],
        render_kw={"inputmode": "numeric", "autocomplete": "postal-code", "maxlength": "10"},
    )
    last_name = StringField(
        _("Last name on the account (or business name)"),
        validators=[DataRequired(_("Enter the last name on the account.")), Length(max=160)],
        render_kw={"autocomplete": "family-name"},
    )


class LetterOfCreditForm(Form):
    """What a letter of credit from a prior utility shows (the deposit rule checks it): the resident's deposit step
    and the console's start and move forms. `check_letter` validates these fields when the letter is offered."""

    utility = StringField(_("Previous utility"), validators=[Optional(), Length(max=120)])
    service_from = DateField(_("Service there started on"), validators=[Optional()])
    service_to = DateField(
        _("Service there ended on"),
        validators=[Optional()],
        description=_("Leave empty if service there has not ended."),
    )
    late_payments = IntegerField(
        _("Late payments the letter shows"),
        default=0,
        validators=[Optional(), NumberRange(0, 99, _("Enter a number from 0 to 99."))],
        render_kw={"inputmode": "numeric"},
    )
    disconnects = IntegerField(
        _("Disconnections for non-payment the letter shows"),
        default=0,
        validators=[Optional(), NumberRange(0, 99, _("Enter a number from 0 to 99."))],
        render_kw={"inputmode": "numeric"},
    )
    returned_payments = IntegerField(
        _("Returned payments the letter shows"),
        default=0,
        validators=[Optional(), NumberRange(0, 99, _("Enter a number from 0 to 99."))],
        render_kw={"inputmode": "numeric"},
    )

    def ignore_letter(self) -> bool:
        """The letter was not chosen: its fields are hidden then and may still post what was typed before the choice
        changed, which is no answer. Forget their errors; True when no other field has one."""
        for name in LETTER_FIELDS:
            getattr(self, name).errors = []
        self._errors = None
        return not self.errors

    def check_letter(self) -> bool:
        ok = True
        if not (self.utility.data or "").strip():
            self.add_error("utility", str(_("Enter the name of the utility that wrote the letter.")))
            ok = False
        if self.service_from.data is None:
            self.add_error("service_from", str(_("Enter the date your service there started.")))
            ok = False
        elif self.service_to.data is not None and self.service_to.data < self.service_from.data:
            self.add_error("service_to", str(_("The end date must be after the start date.")))
            ok = False
        return ok

    def letter(self) -> deposits.LetterOfCredit:
        assert self.service_from.data is not None  # called once check_letter passed, which requires it
        return deposits.LetterOfCredit(
            (self.utility.data or "").strip(),
            self.service_from.data,
            self.service_to.data,
            self.late_payments.data or 0,
            self.disconnects.data or 0,
            self.returned_payments.data or 0,
        )


T = TypeVar("T")


def filled(value: T | None) -> T:
    """A required field's value once the form has validated: its DataRequired/InputRequired validator has already
    refused an empty one, which WTForms' types cannot know."""
    if value is None:
        raise ValueError("a required form field was read before the form validated")
    return value


# ---- what a resident asks for, and a CSR asks for on a caller's behalf ----


class ExtensionForm(Form):
    promised_on = DateField(
        _("I will pay the past-due amount by"), validators=[InputRequired(_("Enter the date you will pay by."))]
    )


class ProblemForm(Form):
    kind = RadioField(
        _("What is the problem?"),
        choices=[
            ("leak", _("A leak (water running or pooling)")),
            ("no_water", _("No water")),
            ("meter_damage", _("The meter is damaged")),
            ("lid_damage", _("The meter box lid is damaged or missing")),
        ],
        validators=[InputRequired(_("Choose what the problem is."))],
    )
    description = TextAreaField(
        _("Tell us more"),
        validators=[DataRequired(_("Tell us what you see and where.")), Length(max=1000)],
        description=_("Where is it, and since when? For a leak: is it before or after the meter?"),
        render_kw={"rows": "4"},
    )
    phone = TelField(
        _("Phone number for the crew (optional)"),
        validators=[Optional(), PHONE],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    photo = FileField(
        _("Photo (optional)"),
        description=_("A JPEG, PNG or WebP photo, up to 12 MB."),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
    share_location = BooleanField(
        _("Keep the place where the photo was taken with my report"),
        description=_(
            "Only if your phone saved it in the photo. It helps our crew find the problem. Staff see it; other "
            "residents never do. Leave this unticked and we remove the location from the photo."
        ),
        default=False,
    )
