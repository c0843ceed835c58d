"""Who may see which account: a resident sees only the accounts linked to their login; staff see all."""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _

from . import numbers, throttle
from .errors import DomainError, NotFound, RateLimited
from .models import STAFF_ROLES, Account, Customer, Premise, Role, UserAccount


async def linked_accounts(session: AsyncSession, user_id: int) -> list[Account]:
    query = (
        select(Account)
        .join(UserAccount, UserAccount.account_id == Account.id)
        .where(UserAccount.user_id == user_id)
        .order_by(UserAccount.linked_at)
    )
    return list(await session.scalars(query))


async def linked_with_premises(session: AsyncSession, user_id: int) -> list[tuple[Account, Premise]]:
    """The login's accounts with their premises, in one statement (the resident home's switcher and heading)."""
    return [(account, premise) for account, premise in await session.execute(_linked_query(), {"user_id": user_id})]


@functools.cache
def _linked_query() -> Select[Account, Premise]:
    """Built once: every resident page runs it (statement construction costs more CPU than the query)."""
    return (
        select(Account, Premise)
        .join(UserAccount, UserAccount.account_id == Account.id)
        .join(Premise, Premise.id == Account.premise_id)
        .where(UserAccount.user_id == bindparam("user_id"))
        .order_by(UserAccount.linked_at)
    )


async def account_for(session: AsyncSession, user_id: int, role: Role, number: str) -> Account:
    """The account with this number if this user may see it. Someone else's account answers exactly like a
    missing one, so a resident cannot learn which numbers exist."""
    try:
        number = numbers.normalize(number)
    except numbers.InvalidAccountNumber:
        raise NotFound(_("We could not find that account.")) from None
    account = await session.scalar(select(Account).where(Account.number == number))
    if account is None:
        raise NotFound(_("We could not find that account."))
    if role in STAFF_ROLES:
        return account
    if role == Role.CUSTOMER:
        link = await session.get(UserAccount, (user_id, account.id))
        if link is not None:
            return account
    raise NotFound(_("We could not find that account."))


def _clean_name(name: str) -> str:
    """García-Pérez, garcia perez and GARCIA PEREZ are the same name to a person typing on a phone."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


async def match_account(
    session: AsyncSession, number: str, zip_code: str, last_name: str | None = None
) -> Account | None:
    """The account whose number, service ZIP and (when given) customer last name all match, else None.

    The caller counts failures (rate limit) and never says which part did not match."""
    try:
        number = numbers.normalize(number)
    except numbers.InvalidAccountNumber:
        return None
    row = (
        await session.execute(
            select(Account, Premise.zip, Customer.last_name, Customer.business_name)
            .join(Premise, Premise.id == Account.premise_id)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Account.number == number)
        )
    ).first()
    if row is None:
        return None
    account, premise_zip, customer_last, business = row
    if premise_zip[:5] != zip_code.strip()[:5]:
        return None
    if last_name is not None:
        typed = _clean_name(last_name)
        if not typed or typed not in {_clean_name(customer_last or ""), _clean_name(business or "")}:
            return None
    return account


async def link(session: AsyncSession, user_id: int, account_id: int) -> bool:
    """Link an account to a login; False when it was already linked."""
    exists = await session.scalar(
        select(func.count()).where(UserAccount.user_id == user_id, UserAccount.account_id == account_id)
    )
    if exists:
        return False
    session.add(UserAccount(user_id=user_id, account_id=account_id))
    await session.flush()
    return True


async def match_by_details(
    session: AsyncSession,
    maker: Any,
    ip: str,
    *,
    account_number: str,
    zip_code: str,
    last_name: str,
    user_id: int | None = None,
) -> Account:
    """The account these details name (number, service ZIP, last name as on the bill), for signing up or, signed in,
    linking one more; a miss counts against the asker's address, the account and (signed in) the login.

    Sign-up and linking share the buckets, so a person gets no more guesses by asking from inside a login. The counts
    go through their own sessions (`maker`), so they stay when the request's work is rolled back."""
    number = "".join(ch for ch in account_number if "0" <= ch <= "9")
    buckets = [("link_fail_ip", ip, 10, _HOUR), ("link_fail_acct", number, 6, _DAY)]
    if user_id is not None:
        buckets.append(("link_fail_user", str(user_id), 10, _DAY))
    for bucket, key, limit, window in buckets:
        if await throttle.is_limited(maker, bucket, key, limit=limit, window=window):
            raise RateLimited(_("Too many tries. For your security, wait and try again tomorrow, or call us."))
    account = await match_account(session, number, zip_code, last_name)
    if account is None:
        for bucket, key, _limit, _window in buckets:
            await throttle.hit(maker, bucket, key)
        raise DomainError(
            _(
                "We could not match those details. Check the account number, the service ZIP code and the last name as they appear on your bill."
            )
        )
    return account


_HOUR = dt.timedelta(hours=1)
_DAY = dt.timedelta(days=1)
