"""What holds an account off disconnection right now (a medical alert on file, an active payment extension or
arrangement): the rule, and the facts for many accounts in one query each. The cut-off list decides who gets a
disconnect order; this answers whether a disconnect may still be done when the technician is at the meter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import format_date
from portal.i18n import gettext as _

from .models import Account, ArrangementStatus, Customer, ExtensionStatus, PaymentArrangement, PaymentExtension


@dataclass(frozen=True)
class HoldFacts:
    medical_alert_until: dt.date | None = None
    extension_until: dt.date | None = None  # the promised date of an active payment extension
    arrangement: bool = False  # an active payment arrangement


def disconnect_hold(facts: HoldFacts, today: dt.date) -> str | None:
    """Why this account must not be disconnected today (a code), or None. A medical alert comes first: it is the one
    a technician must never work around."""
    if facts.medical_alert_until is not None and facts.medical_alert_until >= today:
        return "medical_alert"
    if facts.extension_until is not None:
        return "extension"
    if facts.arrangement:
        return "arrangement"
    return None


def hold_message(code: str, order_id: int, facts: HoldFacts) -> str:
    """What the technician reads when a disconnect is refused (in their language)."""
    if code == "medical_alert":
        return _(
            "Order %(id)s: a medical alert is on file for this account, so it must not be disconnected. Nothing was "
            "recorded. Call dispatch.",
            id=order_id,
        )
    if code == "extension":
        return _(
            "Order %(id)s: this account has a payment extension until %(date)s, so it must not be disconnected. "
            "Nothing was recorded. Call dispatch.",
            id=order_id,
            date=format_date(facts.extension_until) if facts.extension_until else "",
        )
    return _(
        "Order %(id)s: this account has a payment arrangement, so it must not be disconnected. Nothing was "
        "recorded. Call dispatch.",
        id=order_id,
    )


async def hold_facts(session: AsyncSession, account_ids: list[int]) -> dict[int, HoldFacts]:
    if not account_ids:
        return {}
    ids = sorted(set(account_ids))
    medical = dict(
        (
            await session.execute(
                select(Account.id, Customer.medical_alert_until)
                .join(Customer, Customer.id == Account.customer_id)
                .where(Account.id.in_(ids))
            )
        ).all()
    )
    extensions: dict[int, dt.date] = {}
    for account_id, promised_on in await session.execute(
        select(PaymentExtension.account_id, PaymentExtension.promised_on).where(
            PaymentExtension.account_id.in_(ids), PaymentExtension.status == ExtensionStatus.ACTIVE
        )
    ):
        extensions[account_id] = max(promised_on, extensions.get(account_id, promised_on))
    arranged = set(
        await session.scalars(
            select(PaymentArrangement.account_id).where(
                PaymentArrangement.account_id.in_(ids), PaymentArrangement.status == ArrangementStatus.ACTIVE
            )
        )
    )
    return {i: HoldFacts(medical.get(i), extensions.get(i), i in arranged) for i in ids}
