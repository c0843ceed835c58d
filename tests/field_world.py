"""A technician's day for the field tests: orders with a meter and a year of reads (about 200 gallons a day), so the
expected read range is known, and a mutation builder that looks like what the phone sends."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import (
    Account,
    Meter,
    MeterRead,
    ReadSource,
    User,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from tests import factories

UTC = dt.UTC
LAST_READ = 100_000  # the register 30 days ago; 200 gallons a day since: about 106,000 today


def local_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("America/Chicago")).date()


async def make_field_order(
    session: AsyncSession,
    tech: User | None,
    kind: WorkOrderKind = WorkOrderKind.READ,
    *,
    account: Account | None = None,
    medical: bool = False,
) -> WorkOrder:
    account = account or await factories.make_account(session)
    meter = await session.scalar(select(Meter).where(Meter.premise_id == account.premise_id))
    now = dt.datetime.now(UTC)
    for months_back, value in [
        (3, LAST_READ - 18_000),
        (2, LAST_READ - 12_000),
        (1, LAST_READ - 6_000),
        (0, LAST_READ),
    ]:
        at = now - dt.timedelta(days=30 + 30 * months_back)
        session.add(MeterRead(meter_id=meter.id, value=value, read_at=at, source=ReadSource.FIELD, flags=[]))
    if medical:
        from portal.accounts.models import Customer

        customer = await session.get(Customer, account.customer_id)
        customer.medical_alert_until = local_today() + dt.timedelta(days=20)
    order = WorkOrder(
        kind=kind,
        status=WorkOrderStatus.ASSIGNED if tech else WorkOrderStatus.OPEN,
        account_id=account.id,
        premise_id=account.premise_id,
        meter_id=meter.id,
        assigned_to_id=tech.id if tech else None,
        due_on=local_today(),
        priority=1 if kind == WorkOrderKind.DISCONNECT else 3,
        result={},
    )
    session.add(order)
    await session.flush()
    return order


@dataclass
class Phone:
    """One device's outbox: mutation ids and per-device sequence numbers, as js/field/queue.js makes them."""

    device_id: str = field(default_factory=lambda: f"dev-{uuid.uuid4().hex[:12]}")
    seq: int = 0

    def action(
        self,
        kind: str,
        order_id: int | None,
        payload: dict[str, Any] | None = None,
        *,
        photo_ids: list[str] | None = None,
        base_version: int = 1,
    ) -> dict[str, Any]:
        self.seq += 1
        return {
            "mutation_id": str(uuid.uuid4()),
            "seq": self.seq,
            "kind": kind,
            "order_id": order_id,
            "base_version": base_version,
            "payload": payload or {},
            "photo_ids": photo_ids or [],
        }

    def batch(self, *mutations: dict[str, Any]) -> dict[str, Any]:
        return {"schema": 1, "device_id": self.device_id, "mutations": list(mutations)}
