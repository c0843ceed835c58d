"""The demo seed gives the resident side something to show: requests, problem reports and extensions."""

import datetime as dt

from sqlalchemy import func, select

from portal.accounts.models import ExtensionStatus, PaymentExtension, RequestKind, ServiceRequest, WorkOrder
from portal.demo import city


async def test_the_seed_has_requests_and_extensions_in_every_state(session) -> None:
    rows = city.build(dt.date.today(), premises=300, seed=5)
    await city.load(session, rows)
    await session.commit()
    kinds = set(await session.scalars(select(ServiceRequest.kind)))
    assert {RequestKind.PROBLEM, RequestKind.STOP, RequestKind.MOVE, RequestKind.START} <= kinds
    statuses = set(await session.scalars(select(PaymentExtension.status)))
    assert {ExtensionStatus.KEPT, ExtensionStatus.BROKEN} <= statuses
    assert statuses & {ExtensionStatus.ACTIVE, ExtensionStatus.PENDING_REVIEW}
    orders = await session.scalar(
        select(func.count()).select_from(ServiceRequest).join(WorkOrder, WorkOrder.id == ServiceRequest.stop_order_id)
    )
    assert orders >= 2
