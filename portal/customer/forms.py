"""Resident forms: every label, hint and message in English and Spanish; validation that a person can act on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wtforms import BooleanField, EmailField, RadioField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from portal.i18n import lazy_gettext as _
from portal.web.forms import (  # noqa: F401 - shared with the console and sign-up
    PHONE,
    AddressSearchForm,
    DateField,
    ExtensionForm,
    Form,
    LetterOfCreditForm,
    LinkAccountForm,
    ProblemForm,
)


class ResidentExtensionForm(ExtensionForm):
    # Set by the second button offered when only the date is outside the rule: "ask our staff for this date".
    review = BooleanField(default=False)
    # Set by the other button: "pay by <the latest date granted at once> instead" of the date typed.
    use_latest = BooleanField(default=False)


class ChooseAddressForm(Form):
    premise_id = RadioField(
        _("Choose the address"), coerce=int, validators=[InputRequired(_("Choose an address from the list."))]
    )


class StartDateForm(Form):
    start_on = DateField(
        _("Start date"),
        validators=[InputRequired(_("Enter the date you want service to start."))],
        description=_("A weekday, from the next business day."),
    )


class MoveDatesForm(Form):
    stop_on = DateField(
        _("Last day at your current address"),
        validators=[InputRequired(_("Enter the date you want service to stop."))],
        description=_("We read the meter that day for your final bill."),
    )
    start_on = DateField(
        _("First day at your new address"),
        validators=[InputRequired(_("Enter the date you want service to start."))],
        description=_("A weekday, from the next business day."),
    )


class ContactForm(Form):
    phone = TelField(
        _("Phone number"),
        validators=[DataRequired(_("Enter a phone number we can call on the day.")), PHONE],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    email = EmailField(
        _("Email address"),
        validators=[
            DataRequired(_("Enter your email address.")),
            Email(_("Enter an email address like name@example.com.")),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


class DepositForm(LetterOfCreditForm):
    option = RadioField(
        _("How do you want to handle the deposit?"),
        choices=[
            ("pay", _("I will pay the deposit")),
            ("letter", _("I have a letter of credit from my previous utility")),
        ],
        validators=[InputRequired(_("Choose how you want to handle the deposit."))],
    )

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        ok = super().validate(extra_validators)
        return self.check_letter() and ok if self.option.data == "letter" else self.ignore_letter()


class StopForm(Form):
    stop_on = DateField(
        _("Last day of service"),
        validators=[InputRequired(_("Enter the date you want service to stop."))],
        description=_("We read the meter that day for your final bill."),
    )
    forwarding_address = TextAreaField(
        _("Where should we send your final bill?"),
        validators=[DataRequired(_("Enter the address where we should send your final bill.")), Length(max=500)],
        description=_("Street, city, state and ZIP code. Any deposit and credit left are refunded there too."),
        render_kw={"autocomplete": "street-address", "rows": "3"},
    )


class CancelRequestForm(Form):
    reason = StringField(_("Why are you cancelling? (optional)"), validators=[Optional(), Length(max=200)])


class PreferencesForm(Form):
    paperless = BooleanField(_("Paperless billing: email me my bills instead of mailing paper"))
    notify_email = BooleanField(_("Send notices by email (bill ready, past due, service requests)"))
    notify_sms = BooleanField(
        _("Send notices by text message"), description=_("Text messages need a mobile number below.")
    )
    phone = TelField(
        _("Mobile number"), validators=[Optional(), PHONE], render_kw={"autocomplete": "tel", "inputmode": "tel"}
    )
    language = RadioField(
        _("Language for the website, bills and notices"),
        choices=[("en", "English"), ("es", "Español")],
        validators=[InputRequired(_("Choose a language."))],
    )

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        ok = super().validate(extra_validators)
        if self.notify_sms.data and not (self.phone.data or "").strip():
            self.add_error("phone", str(_("Enter a mobile number for text messages.")))
            ok = False
        return ok
