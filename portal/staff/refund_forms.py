"""The console's refund form: a credit balance back to the customer, online or by check, with a reason."""

from __future__ import annotations

import wtforms
from wtforms import validators

from portal import i18n
from portal.web.forms import DollarsField, Form

_ = i18n.lazy_gettext


class StaffRefundForm(Form):
    """The console's refund of a credit balance."""

    amount = DollarsField(
        _("Amount to refund ($)"),
        validators=[
            validators.InputRequired(message=_("Enter an amount, like 45.10.")),
            validators.NumberRange(min=0.01, max=1_000_000, message=_("Enter an amount above zero.")),
        ],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    method = wtforms.RadioField(
        _("Send it"),
        choices=[
            ("online", _("Back to the card or bank account they paid with")),
            ("check", _("By check in the mail")),
        ],
        validators=[validators.InputRequired(message=_("Choose how the refund is sent."))],
        default="online",
    )
    check_number = wtforms.StringField(
        _("Check number (if already written)"),
        validators=[validators.Optional(), validators.Length(max=32)],
        render_kw={"autocomplete": "off"},
    )
    reason = wtforms.TextAreaField(
        _("Reason"),
        validators=[
            validators.DataRequired(message=_("Say why the money goes back, in words the customer would understand.")),
            validators.Length(max=300),
        ],
        description=_("For example: deposit left over after the final bill."),
        render_kw={"rows": "2"},
    )
    claim = wtforms.HiddenField()

    def validate_amount(self, field: wtforms.DecimalField) -> None:
        if field.data is not None and field.data != field.data.quantize(type(field.data)("0.01")):
            raise validators.ValidationError(i18n.gettext("Enter dollars and cents, like 45.10."))

    @property
    def amount_cents(self) -> int:
        return int((self.amount.data or 0) * 100)
