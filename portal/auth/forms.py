"""Sign-in and sign-up forms."""

from __future__ import annotations

from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Regexp

from portal.i18n import lazy_gettext as _
from portal.web.forms import Form, LinkAccountForm


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
