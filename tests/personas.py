"""The people tests act as: a resident with an account, a second resident, a technician, a CSR, a supervisor.

Each persona fixture commits its rows so the app under test sees them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import Account, Role, User
from tests import factories


@dataclass
class Resident:
    user: User
    account: Account


@pytest.fixture
async def resident(session: AsyncSession) -> Resident:
    account = await factories.make_account(session, last_name="Lopez", first_name="María")
    user = await factories.make_user(
        session, Role.CUSTOMER, email="maria@example.com", name="María Lopez", customer_id=account.customer_id
    )
    await factories.link(session, user, account)
    await session.commit()
    return Resident(user, account)


@pytest.fixture
async def other_resident(session: AsyncSession) -> Resident:
    account = await factories.make_account(session, last_name="Nguyen", first_name="Linh", zip_code="76502")
    user = await factories.make_user(
        session, Role.CUSTOMER, email="linh@example.com", name="Linh Nguyen", customer_id=account.customer_id
    )
    await factories.link(session, user, account)
    await session.commit()
    return Resident(user, account)


@pytest.fixture
async def technician(session: AsyncSession) -> User:
    user = await factories.make_user(session, Role.FIELD, email="tech@riverton.example", name="Luis Ortega")
    await session.commit()
    return user


@pytest.fixture
async def csr(session: AsyncSession) -> User:
    user = await factories.make_user(session, Role.CSR, email="csr@riverton.example", name="Angela Ruiz")
    await session.commit()
    return user


@pytest.fixture
async def supervisor(session: AsyncSession) -> User:
    user = await factories.make_user(session, Role.SUPERVISOR, email="boss@riverton.example", name="Helen Park")
    await session.commit()
    return user


__all__ = ["Resident", "csr", "other_resident", "resident", "supervisor", "technician"]
