"""Forms of the records and rebill screens (issue 15, part 1)."""

from __future__ import annotations

from wtforms import EmailField, HiddenField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from portal.accounts import records
from portal.i18n import lazy_gettext as _
from portal.web.forms import PHONE, DateField, Form, IntegerField, Zip


class CustomerForm(Form):
    first_name = StringField(_("First name"), validators=[Optional(), Length(max=80)])
    last_name = StringField(_("Last name"), validators=[Optional(), Length(max=80)])
    business_name = StringField(_("Business name"), validators=[Optional(), Length(max=160)])
    phone = TelField(_("Phone"), validators=[Optional(), PHONE])
    alt_phone = TelField(_("Other phone"), validators=[Optional(), PHONE])
    email = EmailField(
        _("Email"), validators=[Optional(), Email(_("Enter an email address like name@example.com.")), Length(max=254)]
    )
    mailing_address = TextAreaField(
        _("Mailing address (when bills go elsewhere)"),
        validators=[Optional(), Length(max=500)],
        render_kw={"rows": "3"},
    )
    language = SelectField(_("Language"), choices=[("en", _("English")), ("es", _("Spanish"))])


class AccountClassForm(Form):
    account_class = SelectField(
        _("Rate class"), choices=[("residential", _("Residential")), ("commercial", _("Commercial"))]
    )


class PremiseForm(Form):
    address = StringField(
        _("Street address"), validators=[DataRequired(_("Enter the street address.")), Length(max=160)]
    )
    unit = StringField(_("Unit"), validators=[Optional(), Length(max=20)])
    city = StringField(_("City"), validators=[DataRequired(_("Enter the city.")), Length(max=80)])
    state = StringField(_("State"), validators=[DataRequired(_("Enter the state.")), Length(min=2, max=2)])
    zip = StringField(_("ZIP code"), validators=[DataRequired(_("Enter the ZIP code.")), Zip()])
    hazards = TextAreaField(_("Field safety notes"), validators=[Optional(), Length(max=2000)], render_kw={"rows": "2"})
    solid_waste_carts = IntegerField(
        _("Garbage carts"),
        validators=[InputRequired(_("Enter the number of carts.")), NumberRange(0, 20, _("0 to 20 carts."))],
    )
    stormwater_erus = IntegerField(
        _("Stormwater ERUs"),
        validators=[InputRequired(_("Enter the number of units.")), NumberRange(0, 1000, _("0 to 1,000 units."))],
    )


class MeterForm(Form):
    meter_id = HiddenField()
    size = SelectField(_("Size (inches)"), choices=[(s, s) for s in records.METER_SIZES])
    multiplier = IntegerField(
        _("Multiplier"),
        validators=[InputRequired(_("Enter the multiplier.")), NumberRange(1, 1000, _("A multiplier is 1 to 1,000."))],
    )
    location_note = StringField(_("Where the meter is"), validators=[Optional(), Length(max=200)])


class ServiceForm(Form):
    """Add a service (kind, rate, quantity, start) or change one (service_id, rate, quantity, end)."""

    service_id = HiddenField()
    kind = SelectField(_("Service"), choices=[(k.value, k.value) for k in records.ADDABLE], validate_choice=False)
    rate_code = StringField(_("Rate"), validators=[DataRequired(_("Choose a rate.")), Length(max=32)])
    quantity = IntegerField(
        _("Quantity (carts, ERUs, lines)"),
        validators=[InputRequired(_("Enter the quantity.")), NumberRange(1, 20, _("1 to 20."))],
    )
    started_on = DateField(_("Starts on"), validators=[Optional()])
    ended_on = DateField(_("Ends on (leave empty while it runs)"), validators=[Optional()])


class ReadCorrectionForm(Form):
    read_id = IntegerField(validators=[InputRequired(_("Choose the read to correct."))])
    value = IntegerField(
        _("Correct reading"),
        validators=[InputRequired(_("Enter the reading.")), NumberRange(0, message=_("A reading cannot be negative."))],
    )
    reason = StringField(_("Why (the customer sees this)"), validators=[DataRequired(_("Say why.")), Length(max=500)])


class ReadEntryForm(Form):
    meter_id = IntegerField(_("Meter"), validators=[InputRequired(_("Choose the meter."))])
    value = IntegerField(
        _("Reading"),
        validators=[InputRequired(_("Enter the reading.")), NumberRange(0, message=_("A reading cannot be negative."))],
    )
    read_on = DateField(_("Day of the read"), validators=[DataRequired(_("Enter the day of the read."))])
    source = SelectField(_("Reported by"), choices=[("office", _("Office")), ("customer", _("Customer"))])
    reason = StringField(_("Why (the customer sees this)"), validators=[DataRequired(_("Say why.")), Length(max=500)])


class RebillForm(Form):
    bill_id = IntegerField(validators=[InputRequired(_("Choose the bill."))])
    reason = StringField(_("Why (the customer sees this)"), validators=[DataRequired(_("Say why.")), Length(max=500)])
