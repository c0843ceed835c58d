"""The order page's forms, the no-JavaScript path: one form per action, checked here, then applied through the
same `sync.apply_one` as the phone's outbox, so an action has one set of rules.

A flagged read is asked again with a photo. One page load gives each of its forms its own id: sending a form
twice is one action, not two."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from litestar.datastructures import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import meter_rules, photo_access, photos
from portal.accounts.models import WorkOrder, WorkOrderStatus
from portal.i18n import gettext as _

from . import download, rules, services, sync
from .batch import valid_uuid

# What a form may send as an action's facts (the phone's page.js reads the same names).
FORM_FIELDS = ("value", "seal", "code", "note", "leak_found", "serial", "new_serial", "new_size", "new_value")


async def order_page(
    session: AsyncSession,
    ctx: sync.Context,
    user_id: int,
    order_id: int,
    now: dt.datetime,
    today: dt.date,
    **extra: Any,
) -> dict[str, Any]:
    """One order as the technician sees it, with what the phone would download for it and any hold on it."""
    order, premise = await services.order_for(session, user_id, order_id)
    item = (await download.serialize(session, ctx.policy, [order], now, today))[0]
    hold = await sync.disconnect_refusal(session, ctx, order)
    if "answer" not in extra:
        # A conflict the phone sent earlier still offers its restore here, where the technician asks, too.
        extra["answer"] = await services.restore_offer(session, user_id, order)
    return {
        "order": order,
        "premise": premise,
        "item": item,
        "skip_codes": rules.SKIP_CODES,
        "meter_sizes": meter_rules.METER_SIZES,
        "mutation_id": str(uuid.uuid4()),
        "errors": [],
        "values": {},
        "hold": hold,
        "photos": (await photo_access.photos_of_orders(session, [order.id])).get(order.id, []),
        **extra,
    }


@dataclass
class Checked:
    """A form checked before anything is kept: a refusal (nothing to record) or field errors stop it."""

    page_id: str
    mutation_id: str
    payload: dict[str, Any]
    errors: list[tuple[str, str]] = field(default_factory=list)
    refusal: dict[str, Any] | None = None


async def check(
    session: AsyncSession,
    ctx: sync.Context,
    order: WorkOrder,
    action: str,
    values: dict[str, str],
    uploads: list[UploadFile],
) -> Checked:
    page_id = valid_uuid(values.get("mutation_id")) or str(uuid.uuid4())
    checked = Checked(
        page_id=page_id,
        mutation_id=str(uuid.uuid5(uuid.UUID(page_id), action)),
        payload={k: values[k] for k in FORM_FIELDS if values.get(k)},
    )
    still_open = order.status in (WorkOrderStatus.OPEN, WorkOrderStatus.ASSIGNED)
    if action == "disconnect_done" and still_open:
        # Refused before anything is kept, photos included: there is nothing to record.
        checked.refusal = await sync.disconnect_refusal(session, ctx, order)
        if checked.refusal:
            return checked
    if action in rules.READ_ACTIONS and values.get("value") and still_open:
        read = await services.preview_read(session, ctx.policy, order, values["value"])
        if read is not None and rules.needs_confirmation(action, read.flags):
            if values.get("confirm_value") != values["value"]:
                checked.errors.append(("confirm_value", read.reason or _("Enter the read again to confirm it.")))
            checked.payload["confirmed"] = True
    needs_photo = still_open and (action in rules.PHOTO_REQUIRED or "confirmed" in checked.payload)
    if needs_photo and not uploads:
        checked.errors.append(("photo", _("Take a photo of the meter before finishing.")))
    return checked


async def apply(
    session: AsyncSession,
    maker: Any,
    store: photos.PhotoStore,
    ctx: sync.Context,
    order: WorkOrder,
    action: str,
    checked: Checked,
    uploads: list[UploadFile],
) -> dict[str, Any]:
    """Keep the photos (they stay even if the action is refused: they are evidence), then apply the action."""
    photo_ids: list[str] = []
    for upload in uploads:
        data = await upload.read()
        client_id = str(uuid.uuid5(uuid.UUID(checked.mutation_id), upload.filename or "photo"))
        photo, _created = await photos.save_photo(
            session,
            store,
            ctx.policy,
            ctx.actor,
            client_id=client_id,
            data=data,
            sha256=photos.sha256_of(data),
            content_type=upload.content_type,
            work_order_id=order.id,
            keep_location=True,
        )
        photo_ids.append(photo.client_id)
    await session.commit()
    mutation = sync.Mutation(
        mutation_id=checked.mutation_id,
        device_id="web",
        seq=0,
        kind=action,
        order_id=order.id,
        base_version=order.version,
        payload=checked.payload,
        photo_ids=tuple(photo_ids),
    )
    return await sync.apply_one(maker, ctx, mutation)


def applied(answer: dict[str, Any]) -> bool:
    return answer["status"] in ("applied", "duplicate") and answer.get("original_status", "applied") == "applied"
