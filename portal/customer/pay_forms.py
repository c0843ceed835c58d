"""The resident's payment forms: guest look-up, how much and how to pay, and the bank-draft authorization."""

from __future__ import annotations

import wtforms
from wtforms import validators

from portal import i18n
from portal.accounts import amounts
from portal.payments import rules
from portal.web.forms import AccountNumber, Form, Zip, money_message

_ = i18n.lazy_gettext


class GuestLookupForm(Form):
    account_number = wtforms.StringField(
        _("Account number"),
        description=_("The 9 digits at the top of your bill."),
        validators=[validators.InputRequired(message=_("Enter your account number.")), AccountNumber()],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    zip_code = wtforms.StringField(
        _("Service ZIP code"),
        description=_("The ZIP code of the address where you get service."),
        validators=[validators.InputRequired(message=_("Enter the ZIP code of the service address.")), Zip()],
        render_kw={"inputmode": "numeric", "autocomplete": "postal-code"},
    )


class Amount:
    """The portal's one money parser, with its message for what was wrong ("12.345", "-5", "abc")."""

    def __call__(self, form: wtforms.Form, field: wtforms.Field) -> None:
        try:
            amounts.parse_cents(field.data or "", maximum=rules.MAX_PAYMENT_CENTS)
        except amounts.BadAmount as exc:
            raise wtforms.validators.ValidationError(money_message(exc.reason)) from None


class PayForm(Form):
    amount = wtforms.StringField(
        _("Amount to pay"),
        description=_("In dollars, for example 84.50."),
        validators=[validators.InputRequired(message=_("Enter the amount to pay.")), Amount()],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    method = wtforms.RadioField(
        _("Pay by"),
        choices=[("card", _("Debit or credit card")), ("us_bank_account", _("Bank account (checking or savings)"))],
        default="card",
        validators=[validators.InputRequired(message=_("Choose card or bank account."))],
    )
    email = wtforms.EmailField(
        _("Email for the receipt"),
        validators=[
            validators.Optional(),
            validators.Email(message=_("Enter an email address like name@example.com.")),
        ],
        render_kw={"autocomplete": "email"},
    )
    claim = wtforms.HiddenField()
    # asked only when the amount is well above what is owed (payments.rules.overpayment_to_confirm)
    more_than_owed = wtforms.BooleanField(_("Yes, pay this amount: the rest stays on the account as a credit"))

    @property
    def amount_cents(self) -> int:
        return rules.parse_amount(self.amount.data or "") or 0


class AutopayForm(Form):
    agree = wtforms.BooleanField(
        _("I agree to the authorization above"),
        validators=[validators.InputRequired(message=_("Tick the box to agree to the authorization."))],
    )
