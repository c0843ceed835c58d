"""The resident's start and move flow (one question per page): what its pages keep in the session, the deposit
quote at each step, and the request it finally submits. The rules themselves live in portal.accounts.tenancy and
portal.accounts.deposits (staff use them too)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import deposits, tenancy
from portal.accounts.actor import Actor
from portal.accounts.models import Account, AccountClass
from portal.accounts.policy import Policy
from portal.i18n import format_date, format_money
from portal.i18n import gettext as _
from portal.web.forms import filled

from . import forms, services

FLOW = "flow"  # the session key the flow's answers are kept under
FLOW_KINDS = ("start", "move")


def dates_of(flow: dict[str, Any]) -> dict[str, dt.date]:
    return {k: dt.date.fromisoformat(flow[k]) for k in ("start_on", "stop_on") if flow.get(k)}


def validate_dates(form: forms.StartDateForm | forms.MoveDatesForm, policy: Policy, today: dt.date) -> bool:
    """The form's own checks, then each date against the business calendar."""
    ok = form.validate()
    for name in ("stop_on", "start_on"):
        date_field = getattr(form, name, None)
        if date_field is not None and date_field.data and not date_field.errors:
            problem = tenancy.date_problem(policy, today, date_field.data)
            if problem:
                form.add_error(name, problem)
                ok = False
    return ok


def letter_of(flow: dict[str, Any]) -> deposits.LetterOfCredit | None:
    data = flow.get("letter")
    if not data:
        return None
    return deposits.LetterOfCredit(
        data["utility"],
        dt.date.fromisoformat(data["service_from"]),
        dt.date.fromisoformat(data["service_to"]) if data.get("service_to") else None,
        int(data.get("late_payments") or 0),
        int(data.get("disconnects") or 0),
        int(data.get("returned_payments") or 0),
    )


def letter_data(form: forms.DepositForm) -> dict[str, Any]:
    """What the session keeps of a letter of credit (plain values, so the cookie can carry them)."""
    return {
        "utility": filled(form.utility.data).strip()[:120],
        "service_from": filled(form.service_from.data).isoformat(),
        "service_to": form.service_to.data.isoformat() if form.service_to.data else None,
        "late_payments": form.late_payments.data or 0,
        "disconnects": form.disconnects.data or 0,
        "returned_payments": form.returned_payments.data or 0,
    }


def deposit_form_data(flow: dict[str, Any]) -> dict[str, Any]:
    letter = flow.get("letter") or {}
    return {
        "option": "letter" if letter else "pay",
        **{k: (dt.date.fromisoformat(v) if k.startswith("service_") and v else v) for k, v in letter.items()},
    }


async def quote(
    session: AsyncSession,
    policy: Policy,
    flow: dict[str, Any],
    today: dt.date,
    moving_from: Account | None,
    letter: deposits.LetterOfCredit | None = None,
) -> deposits.DepositDecision:
    """The deposit the new address would need: a move keeps the account's class, a start is residential."""
    return await deposits.quote(
        session,
        policy,
        premise_id=flow["premise_id"],
        account_class=moving_from.account_class if moving_from is not None else AccountClass.RESIDENTIAL,
        today=today,
        letter=letter,
        moving_from=moving_from.id if moving_from is not None else None,
    )


async def submit(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    user_id: int,
    flow: dict[str, Any],
    *,
    today: dt.date,
    moving_from: Account | None,
) -> tenancy.StartResult:
    """Take the flow's request: contact details first, then the start or move; a refusal
    (tenancy.RequestRefused) leaves nothing half-written."""
    customer = await services.customer_of(session, user_id)
    letter = letter_of(flow)
    async with session.begin_nested():
        await services.update_contact(session, actor, customer, email=flow.get("email"), phone=flow.get("phone"))
        if moving_from is not None:
            return await tenancy.move_service(
                session,
                actor,
                policy,
                moving_from,
                stop_on=dt.date.fromisoformat(flow["stop_on"]),
                premise_id=flow["premise_id"],
                start_on=dt.date.fromisoformat(flow["start_on"]),
                today=today,
                letter=letter,
                link_user_id=user_id,
            )
        return await tenancy.start_service(
            session,
            actor,
            policy,
            premise_id=flow["premise_id"],
            start_on=dt.date.fromisoformat(flow["start_on"]),
            today=today,
            customer=customer,
            letter=letter,
            link_user_id=user_id,
        )


def step_to_change(refusal: tenancy.RequestRefused) -> str:
    """The flow page (route name) where the refused answer is asked."""
    step = {"start_on": "date", "stop_on": "date", "premise_id": "", "forwarding_address": "date"}.get(
        refusal.field or "", ""
    )
    return f"customer.flow.{step}" if step else "customer.flow"


def received_message(result: tenancy.StartResult) -> str:
    if result.decision.required_cents:
        return _(
            "Request received. A deposit of %(amount)s is due before service starts on %(date)s.",
            amount=format_money(result.decision.required_cents),
            date=format_date(result.order.due_on),
        )
    return _(
        "Request received. No deposit is due. Service starts on %(date)s.",
        date=format_date(result.order.due_on),
    )
