"""A problem at a service address (a leak, no water, a damaged meter or lid), reported by the resident online or by a
CSR for a caller or a walk-in: a crew order (no water first), the words and an optional photo on it, and the
request the resident follows on their requests page."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _

from . import audit, photos, workorders
from .actor import Actor
from .errors import DomainError
from .models import Account, Meter, MeterKind, RequestKind, RequestStatus, ServiceRequest, WorkOrderKind
from .policy import Policy

PROBLEM_ORDERS = {
    "leak": (WorkOrderKind.LEAK_CHECK, 2),
    "no_water": (WorkOrderKind.INVESTIGATE, 1),
    "meter_damage": (WorkOrderKind.INVESTIGATE, 3),
    "lid_damage": (WorkOrderKind.INVESTIGATE, 3),
}
PROBLEM_WORDS = {
    "leak": "Leak reported by the customer",
    "no_water": "No water reported by the customer",
    "meter_damage": "Meter damage reported by the customer",
    "lid_damage": "Meter box lid damage reported by the customer",
}


def checked_photo(policy: Policy, data: bytes, content_type: str | None) -> tuple[bytes, str | None] | None:
    """The photo a resident attached, if any; a DomainError says why it cannot be taken."""
    if not data:
        return None
    if len(data) > policy.photo_max_bytes:
        raise DomainError(_("The photo is too large (at most %(mb)s MB).", mb=policy.photo_max_bytes // 1_000_000))
    photos.clean_image(policy, data, content_type)
    return data, content_type


async def report_problem(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    account: Account,
    *,
    kind: str,
    description: str,
    phone: str | None,
    today: dt.date,
    photo: tuple[bytes, str | None] | None = None,
    photo_store: photos.PhotoStore | None = None,
    keep_photo_location: bool = False,
) -> ServiceRequest:
    """A work order for the field (no water first), the resident's words and optional photo on it (its location
    kept only when the resident ticked the box)."""
    order_kind, priority = PROBLEM_ORDERS[kind]
    meter = await session.scalar(
        select(Meter)
        .where(Meter.premise_id == account.premise_id, Meter.kind == MeterKind.WATER, Meter.removed_on.is_(None))
        .order_by(Meter.id.desc())
        .limit(1)
    )
    due = today if kind == "no_water" else policy.next_business_day(today + dt.timedelta(days=1))
    text = f"{PROBLEM_WORDS[kind]}: {description.strip()}" + (f" Call back: {phone}" if phone else "")
    order = await workorders.create(
        session,
        actor,
        kind=order_kind,
        premise_id=account.premise_id,
        account_id=account.id,
        meter_id=meter.id if meter else None,
        due_on=due,
        priority=priority,
        instructions=text[:2000],
    )
    details: dict[str, object] = {"problem": kind, "description": description.strip()[:1000], "phone": phone}
    if photo is not None and photo_store is not None:
        data, content_type = photo
        saved, _created = await photos.save_photo(
            session,
            photo_store,
            policy,
            actor,
            client_id=str(uuid.uuid4()),
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
            content_type=content_type,
            work_order_id=order.id,
            keep_location=keep_photo_location,
        )
        details["photo_id"] = saved.id
        details["photo_location_kept"] = keep_photo_location
    request = ServiceRequest(
        kind=RequestKind.PROBLEM,
        status=RequestStatus.PENDING,
        customer_id=account.customer_id,
        requested_by_id=actor.user_id,
        from_account_id=account.id,
        problem_order_id=order.id,
        details=details,
    )
    session.add(request)
    await session.flush()
    await audit.record(
        session,
        actor,
        "request.problem",
        "service_request",
        request.id,
        account_id=account.id,
        after={"problem": kind, "order_id": order.id},
    )
    return request
