"""Console forms."""

from __future__ import annotations

from wtforms import DateField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.accounts.policy import current_policy
from portal.i18n import lazy_gettext as _
from portal.web.forms import Form


class NoteForm(Form):
    body = TextAreaField(
        _("Add a note"),
        validators=[DataRequired(_("Write the note first.")), Length(max=4000)],
        description=_("What the customer asked or was told. Notes cannot be edited later."),
        render_kw={"rows": "3"},
    )


class MedicalAlertForm(Form):
    certified_on = DateField(
        _("Date on the medical certificate"),
        validators=[DataRequired(_("Enter the date on the certificate, like 2026-11-20."))],
        description=_("Holds off disconnection for %(days)d days from this date.", days=current_policy().medical_certificate_days),
    )
