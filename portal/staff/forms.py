"""Console forms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from portal import i18n
from portal.accounts import tenancy
from portal.accounts.ledger_words import ledger_words
from portal.accounts.models import Bill, LedgerEntry
from portal.accounts.policy import current_policy
from portal.i18n import format_date, format_money
from portal.i18n import lazy_gettext as _
from portal.web.forms import PHONE, AccountNumber, DateField, DollarsField, Form, LetterOfCreditForm
from portal.web.labels import label

if TYPE_CHECKING:
    from portal.accounts.deposits import LetterOfCredit

    from .adjustments import BillHint


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
        description=_(
            "Holds off disconnection for %(days)d days from this date.", days=current_policy().medical_certificate_days
        ),
    )


KIND_FIELD = {
    "leak": "bill_id",
    "pool_fill": "bill_id",
    "vacation_garbage": "vacant_from",
    "billing_error": "error_from",
    "fee_waiver": "entry_id",
}


def bill_hint_words(hint: BillHint | None) -> list[str]:
    """ "2.1× the average of the 12 bills before", "flagged read: High, Re-entered": the picker's words for a bill's hint."""
    if hint is None:
        return []
    words = []
    if hint.ratio is not None:
        words.append(
            i18n.gettext("%(ratio)s× the average of the 12 bills before", ratio=i18n.format_number(float(hint.ratio)))
        )
    if hint.flags:
        flags = ", ".join(label(flag) for flag in hint.flags)
        words.append(i18n.gettext("⚑ flagged read: %(flags)s", flags=flags))
    return words


class AdjustmentForm(Form):
    kind = HiddenField()
    bill_id = SelectField(_("Bill"), coerce=int, validate_choice=False)
    proof_of_repair = BooleanField(_("The customer showed proof of repair"))
    repair_note = StringField(
        _("Proof of repair"),
        validators=[Optional(), Length(max=200)],
        description=_("For example: plumber's invoice 4471, 11/20."),
    )
    vacant_from = DateField(_("Vacant from"), validators=[Optional()])
    vacant_until = DateField(_("Vacant until"), validators=[Optional()])
    error_from = DateField(_("The error started on"), validators=[Optional()])
    amount = DollarsField(
        _("Wrong by, on each bill ($)"),
        validators=[
            Optional(),
            NumberRange(min=0.01, max=100000, message=_("Enter an amount from $0.01 to $100,000.")),
        ],
        render_kw={"inputmode": "decimal"},
    )
    direction = RadioField(
        _("The customer was"),
        choices=[("overcharged", _("Overcharged (credit)")), ("undercharged", _("Undercharged (charge)"))],
        default="overcharged",
        validators=[Optional()],
    )
    entry_id = SelectField(_("Fee"), coerce=int, validate_choice=False)
    reason = TextAreaField(
        _("Why (the customer sees this)"),
        validators=[DataRequired(_("Say why, in words the customer would understand.")), Length(max=500)],
        description=_(
            "Shown to the customer on their account's activity and, for adjustments over the limit, to the supervisor."
        ),
        render_kw={"rows": "2"},
    )

    def data_for_rule(self) -> dict:
        return {
            "bill_id": self.bill_id.data,
            "proof_of_repair": self.proof_of_repair.data,
            "repair_note": self.repair_note.data,
            "vacant_from": self.vacant_from.data,
            "vacant_until": self.vacant_until.data,
            "error_from": self.error_from.data,
            "amount_cents": int(self.amount.data * 100) if self.amount.data is not None else None,
            "direction": self.direction.data,
            "entry_id": self.entry_id.data,
        }

    def offer(self, bills: list[Bill], fees: list[LedgerEntry], hints: Mapping[int, BillHint] | None = None) -> None:
        """The account's bills and fees to choose from, each labelled as the CSR reads it on the account page, with
        the bill's use against the 12-month average and its flagged reads in words when `hints` has them."""
        self.bill_id.choices = [
            (
                bill.id,
                " · ".join(
                    [
                        f"{format_date(bill.period_start)} – {format_date(bill.period_end)}",
                        f"{i18n.format_number(bill.usage)} gal",
                        *bill_hint_words((hints or {}).get(bill.id)),
                        format_money(bill.total_cents),
                    ]
                ),
            )
            for bill in bills
        ]
        self.entry_id.choices = [
            (
                entry.id,
                f"{format_date(entry.effective_on)} · {ledger_words(entry) or label(entry.kind)} · {format_money(entry.amount_cents)}",
            )
            for entry in fees
        ]


class DecisionForm(Form):
    note = StringField(_("Note (optional)"), validators=[Optional(), Length(max=300)])


class WholeCents:
    """Dollars with at most two decimals (a cashier typing 12.345 made a mistake)."""

    def __call__(self, form: Form, field: DollarsField) -> None:
        if field.data is not None and field.data != field.data.quantize(Decimal("0.01")):
            raise ValidationError(i18n.gettext("Enter dollars and cents, like 45.10."))


def cents(value: Decimal | None) -> int:
    return int((value or Decimal(0)) * 100)


def _dollars(label: object, *, minimum: Decimal = Decimal(0), maximum: Decimal | None = None) -> DollarsField:
    too_small = _("Enter an amount above zero.") if minimum > 0 else _("The amount cannot be negative.")
    checks = [
        InputRequired(_("Enter an amount, like 45.10.")),
        WholeCents(),
        NumberRange(min=minimum, max=Decimal(1_000_000), message=too_small),
    ]
    if maximum is not None:
        checks.append(NumberRange(max=maximum, message=_("At most %(amount)s.", amount=f"${maximum:,.2f}")))
    return DollarsField(label, validators=checks, render_kw={"inputmode": "decimal", "autocomplete": "off"})


# A till's float is tens or hundreds of dollars: "1,000,000" opened a drawer and skewed the day's cash.
FLOAT_MAX = Decimal(10_000)


class OpenDrawerForm(Form):
    opening_float = _dollars(_("Opening float ($)"), maximum=FLOAT_MAX)


class CounterPaymentForm(Form):
    account_number = StringField(
        _("Account number"),
        validators=[DataRequired(_("Enter the account number.")), Length(max=20)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    # The account the cashier saw on the card at "Check": a number changed after that is refused, not posted.
    account_id = HiddenField()
    # A one-time token issued with the form: posting the same form twice takes the payment once (cashier.take_payment).
    once = HiddenField(validators=[Optional(), Length(max=24)])
    tender = RadioField(
        _("Paid with"),
        choices=[("cash", _("Cash")), ("check", _("Check")), ("card", _("Card (present)"))],
        validators=[DataRequired(_("Choose how the customer paid."))],
        default="cash",
    )
    amount = _dollars(_("Amount ($)"), minimum=Decimal("0.01"))
    tendered = DollarsField(
        _("Cash handed over ($)"),
        validators=[Optional(), WholeCents()],
        description=_("For cash: what the customer gave you. Leave empty for the exact amount."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    check_number = StringField(
        _("Check number"), validators=[Optional(), Length(max=32)], render_kw={"autocomplete": "off"}
    )
    # asked only when the amount is well above the balance (payments.rules.overpayment_to_confirm): 5000 keyed for 50
    more_than_owed = BooleanField(_("The customer pays more than the balance on purpose (the rest stays as a credit)"))


class VoidForm(Form):
    reason = StringField(
        _("Why void it?"), validators=[DataRequired(_("Say why the receipt is voided.")), Length(max=300)]
    )


class CloseDrawerForm(Form):
    cash = _dollars(_("Cash counted, float included ($)"))
    check = _dollars(_("Checks counted ($)"))
    card = _dollars(_("Card slips counted ($)"))
    reason = StringField(_("Reason for any over or short"), validators=[Optional(), Length(max=300)])


class WalkinPayForm(Form):
    amount = _dollars(_("Amount to pay ($)"), minimum=Decimal("0.01"))


# ---- start and transfer of service (portal.accounts.tenancy, the same services the resident side uses) ------------


class ServiceDepositForm(LetterOfCreditForm):
    deposit_option = RadioField(
        _("Deposit"),
        choices=[
            ("pay", _("The customer pays the deposit")),
            ("letter", _("The customer has a letter of credit from a prior utility")),
        ],
        default="pay",
        validators=[InputRequired(_("Choose how the deposit is handled."))],
    )

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        ok = super().validate(extra_validators)
        return self.check_letter() and ok if self.deposit_option.data == "letter" else self.ignore_letter()

    def letter_or_none(self) -> LetterOfCredit | None:
        return self.letter() if self.deposit_option.data == "letter" else None


class StartServiceForm(ServiceDepositForm):
    start_on = DateField(
        _("Start date"),
        validators=[InputRequired(_("Enter the date service should start."))],
        description=_("A weekday, from the next business day."),
    )
    account_class = RadioField(
        _("Kind of account"),
        choices=[("residential", _("Home (residential)")), ("commercial", _("Business (commercial)"))],
        default="residential",
        validators=[InputRequired(_("Choose the kind of account."))],
    )
    customer_account = StringField(
        _("Existing customer: one of their account numbers"),
        validators=[Optional(), AccountNumber()],
        description=_("Leave empty for a new customer and fill in who they are below."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    first_name = StringField(
        _("First name"), validators=[Optional(), Length(max=80)], render_kw={"autocomplete": "off"}
    )
    last_name = StringField(_("Last name"), validators=[Optional(), Length(max=80)], render_kw={"autocomplete": "off"})
    business_name = StringField(
        _("Business name (business accounts)"),
        validators=[Optional(), Length(max=160)],
        render_kw={"autocomplete": "off"},
    )
    phone = TelField(
        _("Phone number"), validators=[Optional(), PHONE], render_kw={"inputmode": "tel", "autocomplete": "off"}
    )
    email = EmailField(
        _("Email address"),
        validators=[Optional(), Email(_("Enter an email address like name@example.com."))],
        render_kw={"inputmode": "email", "autocomplete": "off"},
    )
    language = RadioField(
        _("Language for bills and notices"),
        choices=[("en", "English"), ("es", "Español")],
        default="en",
        validators=[InputRequired(_("Choose a language."))],
    )

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        ok = super().validate(extra_validators)
        if (self.customer_account.data or "").strip():
            return ok
        if self.account_class.data == "commercial" and not (self.business_name.data or "").strip():
            self.add_error("business_name", str(_("Enter the business name.")))
            ok = False
        if self.account_class.data != "commercial" or not (self.business_name.data or "").strip():
            for name, message in (
                ("first_name", _("Enter the customer's first name.")),
                ("last_name", _("Enter the customer's last name.")),
            ):
                if not (getattr(self, name).data or "").strip():
                    self.add_error(name, str(message))
                    ok = False
        if not (self.phone.data or "").strip() and not (self.email.data or "").strip():
            self.add_error(
                "phone", str(_("Enter a phone number or an email address, so the crew and the office can reach them."))
            )
            ok = False
        return ok

    def identity(self) -> tenancy.Identity:
        """Who the new customer is, as typed (used when no existing customer's account was given)."""
        return tenancy.Identity(
            first_name=self.first_name.data or "",
            last_name=self.last_name.data or "",
            email=(self.email.data or "").strip() or None,
            phone=(self.phone.data or "").strip() or None,
            business_name=self.business_name.data or None,
            language=self.language.data,
        )


class MoveServiceForm(ServiceDepositForm):
    stop_on = DateField(
        _("Last day at the current address"),
        validators=[InputRequired(_("Enter the date service should stop."))],
        description=_("The meter is read that day for the final bill, which goes to the new address."),
    )
    start_on = DateField(
        _("First day at the new address"),
        validators=[InputRequired(_("Enter the date service should start."))],
        description=_("A weekday, from the next business day."),
    )
