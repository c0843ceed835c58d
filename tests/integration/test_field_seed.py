"""The demo's technicians have something to show on every field screen."""

import datetime as dt

from sqlalchemy import select

from portal.accounts import ledger, sync_exceptions
from portal.accounts.models import (
    Account,
    AccountStatus,
    Customer,
    LedgerEntry,
    LedgerKind,
    Photo,
    Premise,
    User,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.photos import LocalPhotoStore
from portal.accounts.policy import current_policy
from portal.demo import city

TODAY = dt.date(2026, 11, 24)


async def test_the_seed_gives_luis_a_dog_a_medically_held_cancellation_and_a_restore_and_dispatch_a_sync_exception(
    session, tmp_path
) -> None:
    store = LocalPhotoStore(str(tmp_path))
    await city.load(session, city.build(TODAY, premises=150, seed=3), photo_store=store)
    await session.commit()
    luis = await session.scalar(select(User).where(User.email == "tech1@riverton.example"))
    mine = list(
        await session.scalars(
            select(WorkOrder).where(WorkOrder.assigned_to_id == luis.id, WorkOrder.status == WorkOrderStatus.ASSIGNED)
        )
    )
    hazards = [(await session.get(Premise, o.premise_id)).hazards or "" for o in mine]
    assert any("Dog" in h for h in hazards)
    # A certificate recorded after Luis's disconnect went out cancelled it, with the reason his phone is told.
    held = list(
        await session.scalars(
            select(WorkOrder).where(
                WorkOrder.assigned_to_id == luis.id,
                WorkOrder.kind == WorkOrderKind.DISCONNECT,
                WorkOrder.status == WorkOrderStatus.CANCELLED,
            )
        )
    )
    assert any((o.cancel_reason or "").startswith("Medical certificate until") for o in held)
    for o in mine:
        if o.kind == WorkOrderKind.DISCONNECT:  # none left standing against a medical alert
            customer = await session.get(Customer, (await session.get(Account, o.account_id)).customer_id)
            assert customer.medical_alert_until is None or customer.medical_alert_until < TODAY
    restore = [o for o in mine if o.kind == WorkOrderKind.RESTORE]
    assert restore and restore[0].due_on == TODAY
    assert (await session.get(Account, restore[0].account_id)).status == AccountStatus.DISCONNECTED
    # Paid at the counter for real: the payment is on the ledger and nothing is owed but the reconnection fee.

    paid = await session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.account_id == restore[0].account_id,
            LedgerEntry.kind == LedgerKind.PAYMENT,
            LedgerEntry.source_key.startswith("demo-counter-restore:"),
        )
    )
    assert paid is not None and paid.amount_cents < 0
    assert 0 <= await ledger.balance(session, restore[0].account_id) <= current_policy().reconnect_fee_cents
    exceptions = await sync_exceptions.open_exceptions(session)
    assert [e.exception_code for e in exceptions] == ["order_cancelled"]
    assert "was cancelled" in exceptions[0].result["message"] and exceptions[0].result["server_state"]["restore_offer"]
    cancelled = await session.get(WorkOrder, exceptions[0].work_order_id)
    card = await session.scalar(
        select(LedgerEntry).where(LedgerEntry.source_key == f"demo-card-before-disconnect:{cancelled.id}")
    )
    assert card is not None and card.account_id == cancelled.account_id  # the payment that cancelled it is real
    assert cancelled.cancel_reason.startswith("Cancelled: customer paid") and "by card" in cancelled.cancel_reason
    # The phone's photo of the sealed meter came with it: stored, linked to the order, so staff can look at it.
    photo = await session.scalar(select(Photo).where(Photo.work_order_id == exceptions[0].work_order_id))
    assert photo is not None and store.get(photo.storage_key)[:2] == b"\xff\xd8"  # a JPEG
    # Every route has an owning technician, so orders made in the demo reach someone's list.
    from portal.accounts import routes

    owners = await routes.owners(session)
    assert set(owners) == set(await routes.codes(session)) and None not in owners.values()
    assert set(owners.values()) == {
        luis.id,
        (await session.scalar(select(User).where(User.email == "tech2@riverton.example"))).id,
    }


async def test_on_a_saturday_the_demo_disconnects_nothing_today_and_its_last_disconnect_was_on_an_allowed_day(
    session,
) -> None:
    """The policy allows no disconnection on a Friday, a weekend or the day before a holiday. Seeded on a Saturday, the
    demo listed disconnects due that day and a completed one from the Friday, which the cut-off list itself forbids."""
    from portal.staff.rules import disconnect_day_refusal

    saturday = dt.date(2026, 12, 5)
    await city.load(session, city.build(saturday, premises=150, seed=3))
    await session.commit()
    policy = current_policy()
    disconnects = list(await session.scalars(select(WorkOrder).where(WorkOrder.kind == WorkOrderKind.DISCONNECT)))
    planned = [o for o in disconnects if o.status != WorkOrderStatus.COMPLETED and o.due_on >= saturday]
    assert planned, "the demo has today's disconnects to show (standing, or cancelled by its scenarios)"
    assert {o.due_on for o in planned} == {dt.date(2026, 12, 7)}  # the Monday after, under "Coming up"
    done_lately = [
        o for o in disconnects if o.status == WorkOrderStatus.COMPLETED and o.due_on >= saturday - dt.timedelta(days=7)
    ]
    assert done_lately and all(disconnect_day_refusal(policy, o.due_on) is None for o in done_lately)
    assert {o.completed_at.date() for o in done_lately} == {dt.date(2026, 12, 3)}  # Thursday, not Friday
