"""Console look-ups: find an account by number, name, address, phone or meter serial."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import numbers
from portal.accounts.models import Account, AuditEvent, Customer, Meter, Premise


async def search(session: AsyncSession, query: str, limit: int = 25) -> list[tuple[Account, Customer, Premise]]:
    text = (query or "").strip()
    if not text:
        return []
    base = (
        select(Account, Customer, Premise)
        .join(Customer, Customer.id == Account.customer_id)
        .join(Premise, Premise.id == Account.premise_id)
    )
    digits = "".join(ch for ch in text if ch.isdigit())
    if numbers.is_valid(text):
        condition = Account.number == numbers.normalize(text)
    else:
        like = f"%{text.lower()}%"
        condition = or_(
            func.lower(Customer.last_name).like(like),
            func.lower(Customer.first_name + " " + Customer.last_name).like(like),
            func.lower(Customer.business_name).like(like),
            func.lower(Premise.address).like(like),
            Account.number.like(f"{digits}%") if len(digits) >= 4 else False,
            Customer.phone.like(f"%{digits[-7:]}%") if len(digits) >= 7 else False,
            Premise.id.in_(select(Meter.premise_id).where(Meter.serial == text.upper())),
        )
    rows = await session.execute(base.where(condition).order_by(Premise.address).limit(limit))
    return [tuple(row) for row in rows]  # type: ignore[misc]


async def audit_history(session: AsyncSession, account_id: int, limit: int = 50) -> list[AuditEvent]:
    return list(
        await session.scalars(
            select(AuditEvent).where(AuditEvent.account_id == account_id).order_by(AuditEvent.at.desc()).limit(limit)
        )
    )
