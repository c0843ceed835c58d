"""Written confirmation of a request: a start, stop or move of service, a problem report, and the answer to a request
for more time to pay are each confirmed by email in the customer's language, whoever took the request (the resident
online, a CSR on the phone or at the counter). It is their record of what was asked, for which address and day, and
the number to call if it is wrong. Cancelling one, or cancelling automatic bank draft, is confirmed the same way:
the sign-up was, and a customer who did not cancel must hear of it.

Queued in the request's own transaction through the Mailer its caller gives (a refused request sends nothing), and
only by email: a letter would arrive after the day it confirms. A customer with no email address has the flash on
the page, or the CSR's word, and the request on their requests page."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import format_date, format_money, use_locale
from portal.i18n import gettext as _

from . import numbers
from .messages import Mailer
from .models import (
    Account,
    BankDraft,
    Customer,
    ExtensionStatus,
    PaymentExtension,
    Premise,
    RequestKind,
    ServiceRequest,
    WorkOrder,
)


def problem_words(kind: str) -> str:
    """The problem as the resident chose it, in the reader's language."""
    return {
        "leak": _("a leak"),
        "no_water": _("no water"),
        "meter_damage": _("a damaged meter"),
        "lid_damage": _("a damaged or missing meter box lid"),
    }.get(kind, kind)


async def _where(session: AsyncSession, account_id: int | None) -> tuple[str, str]:
    """(address, account number shown) of an account, or ("", "")."""
    if account_id is None:
        return "", ""
    row = (
        await session.execute(
            select(Premise, Account.number)
            .join(Account, Account.premise_id == Premise.id)
            .where(Account.id == account_id)
        )
    ).first()
    return (row[0].one_line, numbers.display(row[1])) if row else ("", "")


def _deposit_line(request: ServiceRequest) -> str:
    cents = int((request.details or {}).get("deposit_cents") or 0)
    if cents:
        return _("A deposit of %(amount)s is due before service starts.", amount=format_money(cents))
    return _("No deposit is due.")


async def request_received(
    session: AsyncSession, mailer: Mailer, request: ServiceRequest, *, phone: str, emergency_phone: str
) -> bool:
    """Queue the confirmation of a request just taken; answers whether one was queued (False: no email address)."""
    customer = await session.get(Customer, request.customer_id)
    if customer is None or not customer.email:
        return False
    leaving, old_number = await _where(session, request.from_account_id)
    going, new_number = await _where(session, request.to_account_id)
    with use_locale(customer.language or "en"):
        call = _("If any of this is wrong, call us at %(phone)s.", phone=phone)
        if request.kind == RequestKind.START:
            subject = _("We received your request to start service")
            lines = [
                _(
                    "%(name)s, we received your request to start service at %(address)s on %(date)s. "
                    "Your new account number is %(account)s.",
                    name=customer.display_name,
                    address=going,
                    date=format_date(request.start_on),
                    account=new_number,
                ),
                _deposit_line(request),
            ]
        elif request.kind == RequestKind.STOP:
            subject = _("We received your request to stop service")
            lines = [
                _(
                    "%(name)s, we received your request to stop service at %(address)s (account %(account)s) on "
                    "%(date)s. The meter is read that day and the final bill is sent to: %(forwarding)s.",
                    name=customer.display_name,
                    address=leaving,
                    account=old_number,
                    date=format_date(request.stop_on),
                    forwarding=request.forwarding_address or leaving,
                )
            ]
        elif request.kind == RequestKind.MOVE:
            subject = _("We received your request to move service")
            lines = [
                _(
                    "%(name)s, we received your request to move your service. Service at %(from)s (account "
                    "%(old)s) stops on %(stop)s; its final bill is sent to your new address. Service at %(to)s "
                    "starts on %(start)s, on the new account %(new)s.",
                    name=customer.display_name,
                    **{"from": leaving},
                    old=old_number,
                    stop=format_date(request.stop_on),
                    to=going,
                    start=format_date(request.start_on),
                    new=new_number,
                ),
                _deposit_line(request),
            ]
        elif request.kind == RequestKind.PROBLEM:
            order = await session.get(WorkOrder, request.problem_order_id) if request.problem_order_id else None
            subject = _("We received your problem report")
            lines = [
                _(
                    "%(name)s, we received your report of %(problem)s at %(address)s. A crew is scheduled for "
                    "%(date)s. Your reference is %(reference)s.",
                    name=customer.display_name,
                    problem=problem_words(str((request.details or {}).get("problem", ""))),
                    address=leaving,
                    date=format_date(order.due_on) if order else "",
                    reference=order.id if order else request.id,
                ),
                _("If water is spraying or anyone is in danger, call us now: %(phone)s.", phone=emergency_phone),
            ]
            call = ""
        else:
            return False
        lines.append(_("You can follow this request on the My requests page when you sign in."))
        if call:
            lines.append(call)
        body = "\n\n".join(str(line) for line in lines)
    mailer.queue(session, customer.email, str(subject), body)
    return True


async def extension_answered(session: AsyncSession, mailer: Mailer, extension: PaymentExtension, *, phone: str) -> bool:
    """Tell the customer where a request for more time stands: granted (at once or by staff), waiting for review,
    or denied. A customer who asked by phone, or whom staff answered days later, has it in writing; one who asked
    online has the page's words kept. Only by email, as request_received."""
    row = (
        await session.execute(
            select(Customer, Account.number)
            .join(Account, Account.customer_id == Customer.id)
            .where(Account.id == extension.account_id)
        )
    ).first()
    if row is None:
        return False
    customer, number = row
    email = customer.email
    if not email:
        return False
    with use_locale(customer.language or "en"):
        facts = {
            "name": customer.display_name,
            "amount": format_money(extension.amount_cents),
            "date": format_date(extension.promised_on),
            "account": numbers.display(number),
        }
        if extension.status == ExtensionStatus.ACTIVE:
            subject = _("Your payment extension is granted")
            body = _(
                "%(name)s, your payment extension on account %(account)s is granted: pay %(amount)s by %(date)s. "
                "Your service will not be cut off for this balance until then.",
                **facts,
            )
        elif extension.status == ExtensionStatus.PENDING_REVIEW:
            subject = _("We received your request for more time to pay")
            body = _(
                "%(name)s, we received your request to pay %(amount)s on account %(account)s by %(date)s. A member "
                "of our staff reviews it and we will tell you the answer, usually within one business day.",
                **facts,
            )
        elif extension.status == ExtensionStatus.DENIED:
            subject = _("Your request for more time to pay")
            body = _(
                "%(name)s, we could not grant more time to pay %(amount)s on account %(account)s. Please pay the "
                "past-due balance, or call us at %(phone)s to talk about a payment arrangement.",
                phone=phone,
                **facts,
            )
        else:
            return False
        body = f"{body}\n\n{_('If any of this is wrong, call us at %(phone)s.', phone=phone)}"
    mailer.queue(session, email, str(subject), body)
    return True


async def _customer_of_account(session: AsyncSession, account_id: int) -> tuple[Customer, str] | None:
    row = (
        await session.execute(
            select(Customer, Account.number)
            .join(Account, Account.customer_id == Customer.id)
            .where(Account.id == account_id)
        )
    ).first()
    return (row[0], numbers.display(row[1])) if row else None


def _cancel_confirmed(
    session: AsyncSession,
    mailer: Mailer,
    customer: Customer,
    email: str,
    phone: str,
    words: Callable[[], tuple[str, str]],
) -> bool:
    """Queue a cancellation's confirmation: `words` gives (subject, what was cancelled) in the customer's language."""
    with use_locale(customer.language or "en"):
        subject, opening = words()
        body = "\n\n".join([opening, _("If you did not cancel it, call us at %(phone)s.", phone=phone)])
    mailer.queue(session, email, str(subject), body)
    return True


async def request_cancelled(session: AsyncSession, mailer: Mailer, request: ServiceRequest, *, phone: str) -> bool:
    """Confirm that a start, stop or move will not happen (the day it named stays as it was)."""
    customer = await session.get(Customer, request.customer_id)
    if customer is None or not customer.email:
        return False
    address, _number = await _where(session, request.to_account_id or request.from_account_id)

    def words() -> tuple[str, str]:
        what = {
            RequestKind.START: _("to start service"),
            RequestKind.STOP: _("to stop service"),
            RequestKind.MOVE: _("to move service"),
            RequestKind.PROBLEM: _("about a problem"),
        }.get(request.kind, "")
        return _("Your request is cancelled"), _(
            "%(name)s, your request %(what)s at %(address)s is cancelled. Nothing changes at that address because "
            "of it.",
            name=customer.display_name,
            what=what,
            address=address,
        )

    return _cancel_confirmed(session, mailer, customer, customer.email, phone, words)


async def autopay_cancelled(session: AsyncSession, mailer: Mailer, draft: BankDraft, *, phone: str) -> bool:
    """Confirm that automatic bank draft is off: from now on each bill is paid by the customer."""
    found = await _customer_of_account(session, draft.account_id)
    if found is None or not found[0].email:
        return False
    customer, number = found

    def words() -> tuple[str, str]:
        return _("Automatic bank draft is cancelled"), _(
            "%(name)s, automatic bank draft on account %(account)s, from the account ending in %(last4)s, is "
            "cancelled. No more bills will be drafted; please pay each bill by its due date.",
            name=customer.display_name,
            account=number,
            last4=draft.last4 or "····",
        )

    return _cancel_confirmed(session, mailer, customer, found[0].email, phone, words)
