"""Demo data for the technicians' screens, made through the same services the field side uses (so the audit trail is
real): an owning technician for every route, a dog warning on Luis's route and a disconnect of his cancelled by a
medical certificate recorded after it went out, a restore after
the last disconnect day's disconnect, and one sync exception for dispatch (a disconnect reported after the customer paid and the order was cancelled),
with the technician's photo of the sealed meter when the seed is given the photo store."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import holds, ledger, payments, photos, routes, workorders
from portal.accounts.actor import Actor
from portal.accounts.models import (
    Account,
    AccountClass,
    AccountStatus,
    Customer,
    MeterRead,
    Origin,
    Premise,
    Role,
    User,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import current_policy
from portal.field import sync
from portal.settings import DEFAULT_TIMEZONE
from portal.staff.rules import previous_disconnect_day

TECHS = ("tech1@riverton.example", "tech2@riverton.example")


async def _orders(session: AsyncSession, user: User, kind: WorkOrderKind) -> list[WorkOrder]:
    query = (
        select(WorkOrder)
        .where(
            WorkOrder.assigned_to_id == user.id, WorkOrder.kind == kind, WorkOrder.status == WorkOrderStatus.ASSIGNED
        )
        .order_by(WorkOrder.id)
    )
    return list(await session.scalars(query))


def meter_picture(seal: str, reading: int) -> bytes:
    """A drawn stand-in for a technician's photo of a sealed meter (JPEG): a box, a dial, the reading and the seal."""
    image = Image.new("RGB", (800, 600), (92, 98, 94))
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 80, 680, 520), fill=(40, 44, 42), outline=(20, 20, 20), width=6)
    draw.ellipse((250, 130, 550, 430), fill=(225, 228, 220), outline=(10, 10, 10), width=8)
    draw.rectangle((300, 250, 500, 300), fill=(255, 255, 255), outline=(0, 0, 0), width=3)
    draw.text((320, 265), f"{reading:08d}", fill=(0, 0, 0))
    draw.rectangle((560, 440, 660, 490), fill=(200, 30, 30))
    draw.text((570, 458), seal, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


async def seed(session: AsyncSession, today: dt.date | None = None, store: photos.PhotoStore | None = None) -> None:
    # The day the bulk seed planned the orders for (the demo's today; a fixed day in tests).
    today = today or await session.scalar(select(func.max(WorkOrder.due_on))) or dt.date.today()
    users = {u.email: u for u in await session.scalars(select(User).where(User.email.in_(TECHS)))}
    luis, dana = users.get(TECHS[0]), users.get(TECHS[1])
    if luis is None or dana is None:
        return
    office = Actor.cli("seed")
    # Every route has an owner, so the orders residents, staff and jobs make in the demo reach a technician's list.
    for n, code in enumerate(await routes.codes(session)):
        await routes.set_owner(session, office, code, (luis, dana)[n % 2].id)
    # The bulk load planned today's orders before routes had owners: each goes to its route's owner, as new ones do,
    # so dispatch's route table and the technicians' lists agree.
    owner_of = await routes.owners(session)
    planned = await session.execute(
        select(WorkOrder, Premise.route)
        .join(Premise, Premise.id == WorkOrder.premise_id)
        .where(WorkOrder.status == WorkOrderStatus.ASSIGNED, WorkOrder.due_on == today)
    )
    for order, route in planned:
        order.assigned_to_id = owner_of.get(route) or order.assigned_to_id

    reads = await _orders(session, luis, WorkOrderKind.READ)
    if reads:
        premise = await session.get_one(Premise, reads[0].premise_id)
        premise.hazards = "Dog in yard: call first"
    disconnects = await _orders(session, luis, WorkOrderKind.DISCONNECT)
    homes = [
        o
        for o in disconnects
        if (await session.get_one(Account, o.account_id)).account_class == AccountClass.RESIDENTIAL
    ]
    disconnects = homes[:1] + [o for o in disconnects if o not in homes[:1]]
    if disconnects:
        account = await session.get_one(Account, disconnects[0].account_id)
        customer = await session.get_one(Customer, account.customer_id)
        # Certified after the order went out: the order is cancelled with the certificate as its reason, and Luis's
        # phone is told at its next sync (a disconnect order never stands against a held account).
        customer.medical_alert_until = today + dt.timedelta(days=25)
        await workorders.exclusion_started(
            session, office, [account.id], holds.medical_reason(customer.medical_alert_until)
        )

    # The last disconnect day's disconnect (yesterday, or Thursday before a weekend: the policy allows none on a Friday,
    # a weekend or the day before a holiday), any technician's, paid this morning: Luis restores it today.
    cut_day = previous_disconnect_day(current_policy(), today)
    dana_disconnects = await _orders(session, dana, WorkOrderKind.DISCONNECT)
    taken = {o.id for o in disconnects[:1] + dana_disconnects[:1]}
    candidates = [
        o
        for o in await session.scalars(
            select(WorkOrder)
            .where(WorkOrder.kind == WorkOrderKind.DISCONNECT, WorkOrder.status == WorkOrderStatus.ASSIGNED)
            .order_by(WorkOrder.id)
        )
        if o.id not in taken
    ]
    if candidates:
        done = candidates[0]
        zone = ZoneInfo(DEFAULT_TIMEZONE)
        await workorders.complete(
            session,
            office,
            done,
            {"action": "disconnect_done", "seal": "S-40877"},
            completed_at=dt.datetime.combine(cut_day, dt.time(16, 20), zone).astimezone(dt.UTC),
        )
        done.due_on = cut_day
        # made that morning, as the cut-off list makes them: made at seeding, it was done before it existed
        done.created_at = dt.datetime.combine(cut_day, dt.time(7, 30), zone).astimezone(dt.UTC)
        account = await session.get_one(Account, done.account_id)
        account.status = AccountStatus.DISCONNECTED
        # The payment is really taken (by card at the counter, 8:10 this morning), so the account's balance, its
        # ledger and the restore order the payment makes (with its reconnection fee) agree.
        owed = await ledger.balance(session, account.id)
        paid_at = dt.datetime.combine(today, dt.time(8, 10), ZoneInfo(DEFAULT_TIMEZONE)).astimezone(dt.UTC)
        posted = None
        if owed > 0:
            posted = await payments.post_payment(
                session,
                office,
                account_id=account.id,
                amount_cents=owed,
                source_key=f"demo-counter-restore:{done.id}",
                method="card",
                paid_at=paid_at,
                timezone=DEFAULT_TIMEZONE,
                reference="counter",
            )
        if posted is not None and posted.restore_order_id is not None:
            restore = await session.get_one(WorkOrder, posted.restore_order_id)
            restore.assigned_to_id, restore.due_on = luis.id, today
        else:
            await workorders.create(
                session,
                office,
                kind=WorkOrderKind.RESTORE,
                premise_id=done.premise_id,
                account_id=done.account_id,
                meter_id=done.meter_id,
                assignee_id=luis.id,
                due_on=today,
                priority=1,
                instructions="Restore service: customer paid at the counter this morning.",
            )

    # Dana disconnected a meter the office had cancelled twenty minutes earlier: a sync exception for dispatch.
    if dana_disconnects:
        order = dana_disconnects[0]
        now = dt.datetime.now(dt.UTC)
        # The customer paid by card twenty minutes ago: the payment cancels the order, with its own reason.
        owed = await ledger.balance(session, order.account_id) if order.account_id is not None else 0
        if owed > 0 and order.account_id is not None:
            await payments.post_payment(
                session,
                office,
                account_id=order.account_id,
                amount_cents=owed,
                source_key=f"demo-card-before-disconnect:{order.id}",
                method="card",
                paid_at=now - dt.timedelta(minutes=20),
                timezone=DEFAULT_TIMEZONE,
            )
        await session.refresh(order)
        if order.status != WorkOrderStatus.CANCELLED:
            await workorders.cancel(
                session, office, order, "Cancelled: customer paid by card; past-due balance cleared."
            )
        order.cancelled_at = now - dt.timedelta(minutes=20)
        await session.flush()
        last = await session.scalar(select(func.max(MeterRead.value)).where(MeterRead.meter_id == order.meter_id)) or 0
        photo_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"seed-photo-{order.id}"))
        if store is not None:  # the photo the phone sent with it, so staff see it on the account and in dispatch
            picture = meter_picture("S-40912", last + 4_180)
            await photos.save_photo(
                session,
                store,
                current_policy(),
                Actor(dana.id, dana.email, Origin.SYNC, Role.FIELD),
                client_id=photo_id,
                data=picture,
                sha256=hashlib.sha256(picture).hexdigest(),
                content_type="image/jpeg",
                work_order_id=order.id,
                taken_at=now - dt.timedelta(minutes=2),
            )
        ctx = sync.Context(
            policy=current_policy(),
            actor=Actor(dana.id, dana.email, Origin.SYNC, Role.FIELD),
            timezone="America/Chicago",
        )
        await sync.apply_in(
            session,
            ctx,
            sync.Mutation(
                mutation_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"seed-disconnect-{order.id}")),
                device_id="seed-phone-dana",
                seq=1,
                kind="disconnect_done",
                order_id=order.id,
                base_version=1,
                payload={"value": last + 4_180, "seal": "S-40912", "at": now.isoformat()},
                photo_ids=(photo_id,),
            ),
        )
    await session.flush()
