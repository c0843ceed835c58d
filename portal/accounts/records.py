"""Correcting an account's records: the customer (name, phones, email, mailing address, language), the account's rate
class and services, the premise and the meter. Each change is one transaction with one audit row holding what changed,
before and after (the account page's history reads them back). Billing uses the new records from the next bill on;
a billed period is redone by a cancel and rebill (portal/billing/corrections.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _

from . import audit
from .actor import Actor
from .errors import DomainError, NotFound
from .models import Account, AccountClass, Customer, Meter, Premise, Service, ServiceKind

CUSTOMER_FIELDS = (
    "first_name",
    "last_name",
    "business_name",
    "phone",
    "alt_phone",
    "email",
    "mailing_address",
    "language",
)
PREMISE_FIELDS = ("address", "unit", "city", "state", "zip", "hazards", "solid_waste_carts", "stormwater_erus")
METER_FIELDS = ("size", "multiplier", "location_note")
METER_SIZES = ("5/8", "3/4", "1", "1.5", "2", "3", "4", "6", "8")
LANGUAGES = ("en", "es")
# Services staff add by hand (water and sewer come with a start of service); quantity is carts, ERUs or lines.
ADDABLE = (ServiceKind.SOLID_WASTE, ServiceKind.STORMWATER, ServiceKind.FIRE_LINE)


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields whose value differs, as (before, after) with only those fields; empty text counts as none."""

    def norm(value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    changed = [key for key in after if norm(after[key]) != norm(before.get(key))]
    return {key: before.get(key) for key in changed}, {key: norm(after[key]) for key in changed}


def service_refusal(kind: str, quantity: int, started_on: dt.date, opened_on: dt.date | None) -> str | None:
    """Why a service cannot be added as given, or None."""
    if kind not in {k.value for k in ADDABLE}:
        return _("Choose a service staff can add: solid waste, stormwater or a fire line.")
    if not 1 <= quantity <= 20:
        return _("Enter a quantity from 1 to 20.")
    if opened_on is not None and started_on < opened_on:
        return _("A service cannot start before the account was opened.")
    return None


async def _apply(
    session: AsyncSession,
    actor: Actor,
    target: Any,
    values: Mapping[str, Any],
    *,
    action: str,
    entity_type: str,
    account_id: int,
) -> dict[str, Any]:
    before_all = {key: getattr(target, key) for key in values}
    before, after = changes(before_all, values)
    if not after:
        return {}
    for key, value in after.items():
        setattr(target, key, value)
    await session.flush()
    await audit.record(
        session, actor, action, entity_type, target.id, account_id=account_id, before=before, after=after
    )
    return after


async def correct_customer(
    session: AsyncSession, actor: Actor, account: Account, values: Mapping[str, Any]
) -> dict[str, Any]:
    customer = await session.get(Customer, account.customer_id)
    if customer is None:  # pragma: no cover - an account always has its customer
        raise NotFound(_("No such customer."))
    if values.get("language") not in LANGUAGES:
        raise DomainError(_("Choose English or Spanish."), field="language")
    if not (values.get("last_name") or "").strip() and not (values.get("business_name") or "").strip():
        raise DomainError(_("Enter a last name or a business name."), field="last_name")
    fields = {key: values[key] for key in CUSTOMER_FIELDS if key in values}
    return await _apply(
        session, actor, customer, fields, action="customer.correct", entity_type="customer", account_id=account.id
    )


async def correct_account(session: AsyncSession, actor: Actor, account: Account, account_class: str) -> dict[str, Any]:
    if account_class not in {c.value for c in AccountClass}:
        raise DomainError(_("Choose residential or commercial."), field="account_class")
    return await _apply(
        session,
        actor,
        account,
        {"account_class": AccountClass(account_class)},
        action="account.correct",
        entity_type="account",
        account_id=account.id,
    )


async def correct_premise(
    session: AsyncSession, actor: Actor, account: Account, values: Mapping[str, Any]
) -> dict[str, Any]:
    premise = await session.get(Premise, account.premise_id)
    if premise is None:  # pragma: no cover
        raise NotFound(_("No such premise."))
    for key in ("address", "city", "state", "zip"):
        if key in values and not str(values[key] or "").strip():
            raise DomainError(_("This field is required."), field=key)
    fields = {key: values[key] for key in PREMISE_FIELDS if key in values}
    return await _apply(
        session, actor, premise, fields, action="premise.correct", entity_type="premise", account_id=account.id
    )


async def meter_of(session: AsyncSession, account: Account, meter_id: int) -> Meter:
    meter = await session.get(Meter, meter_id)
    if meter is None or meter.premise_id != account.premise_id:
        raise NotFound(_("No such meter at this account's premise."))
    return meter


async def correct_meter(
    session: AsyncSession, actor: Actor, account: Account, meter_id: int, values: Mapping[str, Any]
) -> dict[str, Any]:
    meter = await meter_of(session, account, meter_id)
    if "size" in values and values["size"] not in METER_SIZES:
        raise DomainError(_("Choose a meter size."), field="size")
    if "multiplier" in values and not (isinstance(values["multiplier"], int) and 1 <= values["multiplier"] <= 1000):
        raise DomainError(_("Enter a multiplier from 1 to 1,000."), field="multiplier")
    fields = {key: values[key] for key in METER_FIELDS if key in values}
    return await _apply(
        session, actor, meter, fields, action="meter.correct", entity_type="meter", account_id=account.id
    )


async def services_of(session: AsyncSession, account: Account) -> list[Service]:
    return list(await session.scalars(select(Service).where(Service.account_id == account.id).order_by(Service.id)))


def _check_rate(known_rate_codes: Mapping[str, str], rate_code: str, kind: str) -> None:
    """The rate is one of this service's own: a garbage service saved on the water rate would be billed as water."""
    if rate_code not in known_rate_codes:
        raise DomainError(_("Choose a rate."), field="rate_code")
    if known_rate_codes[rate_code] != str(kind):
        raise DomainError(_("Choose a rate for this service: %(code)s is not one.", code=rate_code), field="rate_code")


async def add_service(
    session: AsyncSession,
    actor: Actor,
    account: Account,
    *,
    kind: str,
    rate_code: str,
    quantity: int,
    started_on: dt.date,
    known_rate_codes: Mapping[str, str],
) -> Service:
    """A service on the account from `started_on` (a second cart is quantity 2 on solid waste; a fire line its own
    service), billed from the next bill on, prorated in the period it starts."""
    refusal = service_refusal(kind, quantity, started_on, account.opened_on)
    if refusal:
        raise DomainError(refusal, field="quantity" if "quantity" in refusal else "kind")
    _check_rate(known_rate_codes, rate_code, kind)
    service = Service(
        account_id=account.id, kind=ServiceKind(kind), rate_code=rate_code, quantity=quantity, started_on=started_on
    )
    session.add(service)
    await session.flush()
    await audit.record(
        session,
        actor,
        "service.add",
        "service",
        service.id,
        account_id=account.id,
        after={"kind": kind, "rate_code": rate_code, "quantity": quantity, "started_on": started_on},
    )
    return service


async def change_service(
    session: AsyncSession,
    actor: Actor,
    account: Account,
    service_id: int,
    *,
    rate_code: str,
    quantity: int,
    ended_on: dt.date | None,
    known_rate_codes: Mapping[str, str],
) -> dict[str, Any]:
    """A service's rate, quantity (carts, ERUs, lines) or end date."""
    service = await session.get(Service, service_id)
    if service is None or service.account_id != account.id:
        raise NotFound(_("No such service on this account."))
    if not 1 <= quantity <= 20:
        raise DomainError(_("Enter a quantity from 1 to 20."), field="quantity")
    _check_rate(known_rate_codes, rate_code, service.kind)
    if ended_on is not None and ended_on < service.started_on:
        raise DomainError(_("A service cannot end before it started."), field="ended_on")
    return await _apply(
        session,
        actor,
        service,
        {"rate_code": rate_code, "quantity": quantity, "ended_on": ended_on},
        action="service.correct",
        entity_type="service",
        account_id=account.id,
    )
