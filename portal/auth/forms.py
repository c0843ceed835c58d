"""Sign-in and sign-up forms."""

from __future__ import annotations

from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Regexp

from portal.i18n import lazy_gettext as _
from portal.web.forms import AccountNumber, Form, Zip


class EmailCodeRequestForm(Form):
    email = EmailField(
        _("Email address"),
        validators=[
            DataRequired(_("Enter your email address.")),
            Email(_("Enter an email address like name@example.com.")),
        ],
        render_kw={"autocomplete": "username webauthn", "inputmode": "email"},
    )


class EmailCodeForm(Form):
    email = EmailField(_("Email address"), validators=[DataRequired(_("Enter your email address."))])
    code = StringField(
        _("6-digit code"),
        validators=[
            DataRequired(_("Enter the code from the email.")),
            Regexp(r"^\s*\d{6}\s*$", message=_("The code is 6 digits.")),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6"},
    )


class LinkAccountForm(Form):
    """Proof that a person holds an account: used to sign up and, signed in, to link more accounts."""

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


class SignUpForm(LinkAccountForm):
    email = EmailField(
        _("Your email address"),
        validators=[
            DataRequired(_("Enter your email address.")),
            Email(_("Enter an email address like name@example.com.")),
        ],
        description=_("We send a code to confirm it. Bills and notices can go here too."),
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


class PasskeyNameForm(Form):
    nickname = StringField(_("Name for this passkey"), validators=[Length(max=80)])
