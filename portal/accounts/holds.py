"""What holds an account off disconnection right now (a medical alert on file, an active payment extension or
arrangement): the rule, and the facts for many accounts in one statement. The cut-off list decides who gets a
disconnect order; this answers whether a disconnect may still be done when the technician is at the meter.

The account-level part of the cut-off rule lives here too (`exclusions`, with `exclusion_facts` gathering its facts),
so the domain refuses a disconnect order for an excluded account (`refuse_disconnect`, called by
`workorders.create`) and every place an exclusion starts cancels the account's open disconnect orders through one
function (`workorders.exclusion_started`). The staff side's cut-off list adds the day's and the notices' conditions on top."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Exists, ScalarSelect, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import format_date, format_money
from portal.i18n import gettext as _

from . import arrears, case_rules
from .errors import DomainError
from .models import (
    Account,
    AccountStatus,
    ArrangementStatus,
    Case,
    Customer,
    ExtensionStatus,
    OnlinePayment,
    PaymentArrangement,
    PaymentExtension,
)
from .policy import Policy


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


def extension_until_column() -> ScalarSelect[dt.date]:
    """The latest promised date of the account's active extensions. These column builders are correlated with the
    outer statement's `Account`: one row per account carries its facts (here and on the cut-off list)."""
    return (
        select(func.max(PaymentExtension.promised_on))
        .where(PaymentExtension.account_id == Account.id, PaymentExtension.status == ExtensionStatus.ACTIVE)
        .scalar_subquery()
    )


def arrangement_column() -> Exists:
    """An active payment arrangement."""
    return (
        select(PaymentArrangement.id)
        .where(PaymentArrangement.account_id == Account.id, PaymentArrangement.status == ArrangementStatus.ACTIVE)
        .exists()
    )


def payment_pending_column() -> Exists:
    """A card or bank payment still processing."""
    return (
        select(OnlinePayment.id)
        .where(OnlinePayment.account_id == Account.id, OnlinePayment.status == "processing")
        .exists()
    )


def disputed_column() -> ScalarSelect[int]:
    """The open disputes' amounts (0 without one)."""
    return (
        select(func.coalesce(func.sum(Case.disputed_cents), 0))
        .where(Case.account_id == Account.id, Case.status == "open", Case.kind == "dispute")
        .scalar_subquery()
    )


@functools.cache
def _hold_query() -> Select[int, dt.date | None, dt.date | None, bool]:
    """Built once; the account ids are bound at each run. One row per account: one statement where it was three."""
    return (
        select(Account.id, Customer.medical_alert_until, extension_until_column(), arrangement_column())
        .join(Customer, Customer.id == Account.customer_id)
        .where(Account.id.in_(bindparam("ids", expanding=True)))
    )


async def hold_facts(session: AsyncSession, account_ids: list[int]) -> dict[int, HoldFacts]:
    if not account_ids:
        return {}
    ids = sorted(set(account_ids))
    found = {
        account_id: HoldFacts(medical, extension, bool(arranged))
        for account_id, medical, extension, arranged in await session.execute(_hold_query(), {"ids": ids})
    }
    return {i: found.get(i, HoldFacts()) for i in ids}


# ---- open cases ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    """What the open cases of an account mean for the money rules (docs/policies.md, Cases)."""

    disputed_cents: int = 0  # the sum of the open disputes' amounts
    bankruptcy: bool = False  # an open bankruptcy case (its held balance is arrears' to apply)
    open_kinds: tuple[str, ...] = ()


async def case_facts(session: AsyncSession, account_ids: Iterable[int]) -> dict[int, CaseFacts]:
    """The open cases' facts for many accounts, in one query."""
    ids = sorted(set(account_ids))
    found: dict[int, dict[str, int]] = {i: {} for i in ids}
    if ids:
        for account_id, kind, disputed in await session.execute(
            select(Case.account_id, Case.kind, func.sum(func.coalesce(Case.disputed_cents, 0)))
            .where(Case.account_id.in_(ids), Case.status == "open")
            .group_by(Case.account_id, Case.kind)
        ):
            found[account_id][kind] = int(disputed or 0)
    return {
        i: CaseFacts(
            disputed_cents=kinds.get("dispute", 0),
            bankruptcy="bankruptcy" in kinds,
            open_kinds=tuple(k for k in case_rules.KINDS if k in kinds),
        )
        for i, kinds in found.items()
    }


# ---- the account-level cut-off rule ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountFacts:
    """What the account-level part of the cut-off rule needs to know about one account on a day."""

    active: bool
    past_due_cents: int
    medical_alert_until: dt.date | None = None
    extension_until: dt.date | None = None
    arrangement: bool = False
    payment_pending: bool = False
    disputed_cents: int = 0  # the amount in open disputes: not cut off for
    held_cents: int = 0  # an open bankruptcy's balance at the petition (already left out of past_due_cents)


@dataclass(frozen=True)
class Exclusion:
    code: str  # the same codes as the cut-off list's (inactive, too_small, medical, extension...)
    reason: str  # in words, for the order's cancel reason, dispatch's flag and the recheck


def cutoff_minimum_cents(policy: Policy) -> int:
    """Never cut off for less than it costs to reconnect."""
    return max(policy.cutoff_minimum_past_due_cents, policy.reconnect_fee_cents)


def medical_reason(until: dt.date) -> str:
    return _("Medical certificate until %(date)s", date=format_date(until))


def extension_reason(promised_on: dt.date) -> str:
    return _("Extension to %(date)s", date=format_date(promised_on))


def bankruptcy_reason(held_cents: int) -> str:
    return _("Bankruptcy: %(amount)s owed at the petition is held", amount=format_money(held_cents))


def dispute_reason(disputed_cents: int) -> str:
    return _("Dispute of %(amount)s pending", amount=format_money(disputed_cents))


def exclusions(policy: Policy, facts: AccountFacts, day: dt.date) -> tuple[Exclusion, ...]:
    """Every reason of the account's own that keeps it off disconnection on `day`, the strongest first (a medical
    certificate is the one nobody may work around). Empty: the account itself does not stop a disconnect (the day,
    the notice and the courtesy call are the cut-off list's to check)."""
    found: list[Exclusion] = []
    if facts.medical_alert_until is not None and facts.medical_alert_until >= day:
        found.append(Exclusion("medical", medical_reason(facts.medical_alert_until)))
    if facts.extension_until is not None and facts.extension_until >= day:  # as the cut-off list counts it
        found.append(Exclusion("extension", extension_reason(facts.extension_until)))
    if facts.arrangement:
        found.append(Exclusion("arrangement", _("Payment arrangement")))
    minimum = cutoff_minimum_cents(policy)
    cuttable = case_rules.cut_off_past_due(facts.past_due_cents, facts.disputed_cents)
    if facts.held_cents > 0 and cuttable < minimum:
        found.append(Exclusion("bankruptcy", bankruptcy_reason(facts.held_cents)))
    if facts.disputed_cents > 0 and cuttable < minimum:
        found.append(Exclusion("dispute", dispute_reason(facts.disputed_cents)))
    if facts.payment_pending:
        found.append(Exclusion("payment_pending", _("Payment pending")))
    if not facts.active:
        found.append(Exclusion("inactive", _("Account not active")))
    if cuttable <= 0:
        found.append(Exclusion("too_small", _("Nothing past due")))
    elif cuttable < minimum:
        found.append(
            Exclusion(
                "too_small",
                _(
                    "Past due %(amount)s, under the %(minimum)s cut-off minimum",
                    amount=format_money(cuttable),
                    minimum=format_money(minimum),
                ),
            )
        )
    return tuple(found)


@functools.cache
def _exclusion_query() -> Select[Account, dt.date | None, dt.date | None, bool, bool, int]:
    """Built once; the account ids are bound at each run. Each account with its hold facts, a card payment still
    processing and the open disputes' amount: one statement where it was six (the arrears are their own)."""
    return (
        select(
            Account,
            Customer.medical_alert_until,
            extension_until_column(),
            arrangement_column(),
            payment_pending_column(),
            disputed_column(),
        )
        .join(Customer, Customer.id == Account.customer_id)
        .where(Account.id.in_(bindparam("ids", expanding=True)))
    )


async def exclusion_facts(session: AsyncSession, account_ids: Iterable[int], day: dt.date) -> dict[int, AccountFacts]:
    """The rule's facts for many accounts, two statements for all of them."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    owed = await arrears.arrears_many(session, ids, day)
    found = {}
    for account, medical, extension, arranged, pending, disputed in await session.execute(
        _exclusion_query(), {"ids": ids}
    ):
        found[account.id] = AccountFacts(
            active=account.status == AccountStatus.ACTIVE,
            past_due_cents=owed[account.id].past_due_cents,
            medical_alert_until=medical,
            extension_until=extension,
            arrangement=bool(arranged),
            payment_pending=bool(pending),
            disputed_cents=int(disputed or 0),
            held_cents=owed[account.id].held_cents,
        )
    return found


async def excluded(
    session: AsyncSession, policy: Policy, account_ids: Iterable[int], day: dt.date
) -> dict[int, tuple[Exclusion, ...]]:
    """The accounts among these that the rule keeps off disconnection on `day`, with their reasons."""
    facts = await exclusion_facts(session, account_ids, day)
    return {i: found for i, f in facts.items() if (found := exclusions(policy, f, day))}


class DisconnectExcluded(DomainError):
    status_code = 409


async def refuse_disconnect(session: AsyncSession, policy: Policy, account_id: int, day: dt.date) -> None:
    """Raise DisconnectExcluded, with the reasons in words, when the rule keeps this account off disconnection."""
    found = (await excluded(session, policy, [account_id], day)).get(account_id)
    if found:
        raise DisconnectExcluded(
            _(
                "No disconnect order for this account: %(reasons)s.",
                reasons="; ".join(e.reason for e in found),
            ),
            code="disconnect_excluded",
        )
