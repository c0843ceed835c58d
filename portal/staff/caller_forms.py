"""The console's forms for acting for a caller or a walk-in: a bank draft from a signed paper form or a recorded
call, and the extension and problem report the resident would file (the resident's own forms, with how the customer
reached us)."""

from __future__ import annotations

from typing import Any

import wtforms
from wtforms import BooleanField, FileField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from portal import i18n
from portal.i18n import lazy_gettext as _
from portal.payments import rules
from portal.web import params
from portal.web.forms import DateField, ExtensionForm, Form, ProblemForm

CHANNELS = [("phone", _("On the phone")), ("counter", _("At the counter"))]


class MomentField(wtforms.DateTimeLocalField):
    """A date and time on the utility's clock (the call), its date within the portal's date bounds."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None:
            try:
                params.check_date(self.data.date())
            except params.BadValue:
                self.data = None
                raise ValueError(i18n.gettext("Enter the date and time of the call.")) from None


class PaperAutopayForm(Form):
    signer = StringField(
        _("Name signed on the form"),
        validators=[DataRequired(_("Enter the name as the customer signed it.")), Length(max=rules.NAME_MAX)],
        render_kw={"autocomplete": "off"},
    )
    signed_on = DateField(_("Date signed"), validators=[InputRequired(_("Enter the date next to the signature."))])
    version = SelectField(
        _("Form version (printed at the foot of the form)"),
        choices=[("", "—")] + [(v, v) for v in rules.PPD_FORMS],
        validators=[DataRequired(_("Choose the version printed at the foot of the form."))],
    )
    scan = FileField(
        _("Scan of the signed form"),
        description=_("A PDF, JPEG or PNG file, up to %(mb)s MB.", mb=rules.SCAN_MAX_BYTES // 1_000_000),
        render_kw={"accept": "application/pdf,image/jpeg,image/png"},
    )
    numbers_covered = BooleanField(
        _("I covered the routing and account numbers before scanning"),
        description=_("The bank numbers go to Stripe on the next page; our files never hold them."),
    )


class PhoneAutopayForm(Form):
    caller = StringField(
        _("Caller's name"),
        validators=[DataRequired(_("Enter the caller's name.")), Length(max=rules.NAME_MAX)],
        render_kw={"autocomplete": "off"},
    )
    called_at = MomentField(
        _("Date and time of the call"), validators=[InputRequired(_("Enter the date and time of the call."))]
    )
    recording_ref = StringField(
        _("Call recording reference"),
        validators=[DataRequired(_("Enter the call recording's reference.")), Length(max=rules.RECORDING_REF_MAX)],
        description=_("The id the phone system gives the recording: it must find the recording for 2 years."),
        render_kw={"autocomplete": "off"},
    )
    read_aloud = BooleanField(
        _("I read the authorization above and the caller said yes"),
        validators=[DataRequired(_("Read the authorization to the caller and have their yes first."))],
    )


# The resident's forms in the clerk's words: "I will pay", "Tell us more" and "my report" were the resident's.
class CallerExtensionForm(ExtensionForm):
    promised_on = DateField(
        _("The customer will pay the past-due amount by"),
        validators=[InputRequired(_("Enter the date the customer will pay by."))],
    )
    channel = RadioField(
        _("The customer asked"), choices=CHANNELS, validators=[InputRequired(_("Say how the customer asked."))]
    )


class CallerProblemForm(ProblemForm):
    description = TextAreaField(
        _("What the customer describes"),
        validators=[DataRequired(_("Say what the customer sees and where.")), Length(max=1000)],
        description=_("Where is it, and since when? For a leak: is it before or after the meter?"),
        render_kw={"rows": "4"},
    )
    share_location = BooleanField(
        _("Keep the place where the photo was taken with the report"),
        description=_(
            "Only if the photo holds it. It helps the crew find the problem; other residents never see it. Left "
            "unticked, the location is removed from the photo."
        ),
        default=False,
    )
    channel = RadioField(
        _("The customer reported it"),
        choices=CHANNELS,
        validators=[InputRequired(_("Say how the customer reported it."))],
    )
