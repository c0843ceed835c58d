"""The forms of the premises and meters screen: a premise for new construction, a meter released to it, a change
order, a meter test's result."""

from __future__ import annotations

import re
from typing import Any

import wtforms
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal import i18n
from portal.accounts.meter_rules import METER_SIZES
from portal.accounts.models import ServiceKind
from portal.i18n import lazy_gettext as _
from portal.web.forms import DateField, Form, IntegerField
from portal.web.labels import label

_PERCENT = re.compile(r"^\d{1,3}(\.\d)?$")


class PercentField(wtforms.Field):
    """An accuracy as the test bench prints it, "98.7" (percent, one decimal), kept as tenths of a percent (987)."""

    widget = widgets.TextInput()
    data: int | None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return f"{self.data / 10:.1f}" if self.data is not None else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        text = str(valuelist[0]).strip().rstrip("%").strip()
        if not _PERCENT.match(text) or float(text) > 200:
            raise ValueError(i18n.gettext("Enter the accuracy as a percent between 0 and 200, like 98.7."))
        whole, _dot, tenth = text.partition(".")
        self.data = int(whole) * 10 + int(tenth or 0)


class PremiseForm(Form):
    address = StringField(
        _("Street address"),
        validators=[DataRequired(_("Enter the house number and the street.")), Length(max=160)],
        description=_("House number and street, as in 1402 Oak Street."),
    )
    unit = StringField(_("Unit (optional)"), validators=[Optional(), Length(max=20)])
    city = StringField(_("City"), validators=[DataRequired(_("Enter the city.")), Length(max=80)])
    state = StringField(_("State"), default="TX", validators=[DataRequired(_("Enter the state.")), Length(max=2)])
    zip = StringField(_("ZIP code"), validators=[DataRequired(_("Enter a 5-digit ZIP code.")), Length(max=10)])
    route = SelectField(_("Route"), validators=[InputRequired(_("Choose a route."))])
    cycle = IntegerField(
        _("Billing cycle"),
        default=1,
        validators=[InputRequired(_("Enter the billing cycle.")), NumberRange(1, 31, _("A cycle is 1 to 31."))],
    )
    services = SelectMultipleField(
        _("Services available"),
        choices=[(k.value, label(k.value)) for k in ServiceKind],
        default=["water", "sewer", "solid_waste", "stormwater"],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        validate_choice=False,
    )
    solid_waste_carts = IntegerField(
        _("Garbage carts"),
        default=1,
        validators=[InputRequired(_("Enter the number of carts.")), NumberRange(0, 10, _("0 to 10 carts."))],
    )
    stormwater_erus = IntegerField(
        _("Stormwater units (ERU)"),
        default=1,
        validators=[InputRequired(_("Enter the number of units.")), NumberRange(0, 100, _("0 to 100 units."))],
    )
    hazards = TextAreaField(_("Field safety notes (optional)"), validators=[Optional(), Length(max=500)])


class ReleaseMeterForm(Form):
    serial = StringField(
        _("Meter serial"),
        validators=[DataRequired(_("Enter the serial stamped on the meter.")), Length(max=32)],
        render_kw={"autocomplete": "off"},
    )
    size = SelectField(_("Size (inches)"), choices=[(s, s) for s in METER_SIZES], default="5/8")
    due_on = DateField(_("Install by"), validators=[InputRequired(_("Enter the day the meter should be set."))])


class ChangeMeterForm(Form):
    reason = StringField(
        _("Why change it"), validators=[DataRequired(_("Say why the meter is being changed.")), Length(max=300)]
    )
    due_on = DateField(_("Change by"), validators=[InputRequired(_("Enter the day the meter should be changed."))])


class MeterTestForm(Form):
    tested_on = DateField(_("Tested on"), validators=[InputRequired(_("Enter the day of the test."))])
    low = PercentField(_("Accuracy at low flow (%)"), validators=[InputRequired(_("Enter the low-flow accuracy."))])
    mid = PercentField(_("Accuracy at mid flow (%)"), validators=[InputRequired(_("Enter the mid-flow accuracy."))])
    high = PercentField(_("Accuracy at high flow (%)"), validators=[InputRequired(_("Enter the high-flow accuracy."))])
    note = TextAreaField(_("Note (optional)"), validators=[Optional(), Length(max=500)])
