"""Adjustments from the console: the calculator, posting, the supervisor queue and who may approve."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import func, select

from portal.accounts import ledger
from portal.accounts.actor import Actor
from portal.accounts.models import (
    Adjustment,
    AdjustmentStatus,
    AuditEvent,
    Bill,
    BillLine,
    Customer,
    LedgerEntry,
    LedgerKind,
    Role,
    ServiceKind,
)
from portal.i18n import format_money
from portal.staff import confirm
from tests import factories
from tests.http.helpers import post_form, sign_in

TODAY = dt.date.today()


async def approve(client, path: str, data: dict | None = None):
    """Approve through the preview: the first post shows it, the confirm posts its fingerprint; (response, fingerprint)."""
    first = await post_form(client, path, data)
    if first.status_code != 303:
        return first, None
    preview = await client.get(first.headers["location"])
    assert preview.status_code == 200, preview.text
    found = re.search(r'name="fingerprint" value="([0-9a-f]+)"', preview.text)
    if found is None:  # the preview refuses (the four-eyes rule): nothing to confirm
        return preview, None
    return await post_form(client, path, {**(data or {}), "fingerprint": found[1]}), found[1]


async def _bill(session, account, months_ago: int, usage: int, *, lines: bool = True) -> Bill:
    end = TODAY - dt.timedelta(days=30 * months_ago + 5)
    bill = Bill(
        account_id=account.id,
        period_start=end - dt.timedelta(days=29),
        period_end=end,
        bill_date=end + dt.timedelta(days=2),
        due_date=end + dt.timedelta(days=23),
        usage=usage,
        total_cents=0,
        document={},
    )
    session.add(bill)
    await session.flush()
    if lines:
        tiers = [(min(usage, 3000), 310), (max(0, min(usage, 10000) - 3000), 425), (max(0, usage - 10000), 590)]
        sort = 0
        session.add(
            BillLine(
                bill_id=bill.id, service_kind=ServiceKind.WATER, description="Water base", amount_cents=1250, sort=sort
            )
        )
        for gallons, rate in tiers:
            if gallons:
                sort += 1
                session.add(
                    BillLine(
                        bill_id=bill.id,
                        service_kind=ServiceKind.WATER,
                        description="Water tier",
                        quantity=Decimal(gallons),
                        unit="gal",
                        rate=Decimal(rate),
                        amount_cents=round(gallons * rate / 1000),
                        sort=sort,
                    )
                )
        session.add(
            BillLine(
                bill_id=bill.id,
                service_kind=ServiceKind.SEWER,
                description="Sewer volume",
                quantity=Decimal(min(usage, 12000)),
                unit="gal",
                rate=Decimal(480),
                amount_cents=round(min(usage, 12000) * 480 / 1000),
                sort=9,
            )
        )
        session.add(
            BillLine(
                bill_id=bill.id,
                service_kind=ServiceKind.SOLID_WASTE,
                description="Solid waste",
                amount_cents=2150,
                sort=10,
            )
        )
    await session.flush()
    return bill


async def _history(session, account) -> Bill:
    for months in range(12, 0, -1):
        await _bill(session, account, months, 6000)
    leak_bill = await _bill(session, account, 0, 20000)
    await session.commit()
    return leak_bill


async def _count(session, model, *where) -> int:
    await session.commit()
    return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_a_leak_is_calculated_then_posted_with_its_key_and_audit(client, session, csr, resident) -> None:
    bill = await _history(session, resident.account)
    await sign_in(client, session, csr)
    url = f"/staff/accounts/{resident.account.number}/adjustments"
    assert (await client.get(f"{url}/new?kind=leak")).status_code == 200
    form = {
        "kind": "leak",
        "bill_id": str(bill.id),
        "proof_of_repair": "y",
        "repair_note": "Invoice 4471",
        "reason": "Broken toilet flapper, fixed",
    }
    preview = await post_form(client, url, {**form, "action": "calculate"})
    assert preview.status_code == 200 and "-$70.10" in preview.text and "13,000" in preview.text
    assert await _count(session, Adjustment) == 0  # a preview records nothing
    done = await post_form(client, url, {**form, "action": "submit"})
    assert done.status_code == 303
    adjustment = await session.scalar(select(Adjustment))
    assert adjustment.status == AdjustmentStatus.POSTED and adjustment.amount_cents == -7010
    entry = await session.scalar(select(LedgerEntry).where(LedgerEntry.source_key == f"adjustment:{adjustment.id}"))
    assert entry is not None and entry.amount_cents == -7010 and entry.kind == LedgerKind.ADJUSTMENT
    assert await _count(session, AuditEvent, AuditEvent.action == "adjustment.request") == 1
    # A second leak within 12 months is refused with the rule's reason, and nothing is recorded.
    again = await post_form(client, url, {**form, "action": "submit"})
    assert again.status_code == 422 and "already had a leak adjustment" in again.text
    assert await _count(session, Adjustment) == 1


async def test_a_leak_without_proof_of_repair_is_refused(client, session, csr, resident) -> None:
    bill = await _history(session, resident.account)
    await sign_in(client, session, csr)
    response = await post_form(
        client,
        f"/staff/accounts/{resident.account.number}/adjustments",
        {"kind": "leak", "bill_id": str(bill.id), "reason": "leak", "action": "submit"},
    )
    assert response.status_code == 422 and "proof of repair" in response.text and 'href="#bill_id"' in response.text


async def test_a_reason_is_required(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    response = await post_form(
        client,
        f"/staff/accounts/{resident.account.number}/adjustments",
        {"kind": "billing_error", "error_from": "2026-01-01", "amount": "5", "action": "submit"},
    )
    assert response.status_code == 400 and 'href="#reason"' in response.text
    assert await _count(session, Adjustment) == 0


async def _big_billing_error(client, session, account) -> Adjustment:
    for months in range(6, -1, -1):
        await _bill(session, account, months, 6000, lines=False)
    await session.commit()
    response = await post_form(
        client,
        f"/staff/accounts/{account.number}/adjustments",
        {
            "kind": "billing_error",
            "error_from": (TODAY - dt.timedelta(days=200)).isoformat(),
            "amount": "100.00",
            "direction": "overcharged",
            "reason": "Meter multiplier was wrong",
            "action": "submit",
        },
    )
    assert response.status_code == 303
    await session.commit()
    return await session.scalar(select(Adjustment).order_by(Adjustment.id.desc()))


async def test_over_the_limit_waits_and_a_csr_cannot_approve_it(client, session, csr, supervisor, resident) -> None:
    await sign_in(client, session, csr)
    adjustment = await _big_billing_error(client, session, resident.account)
    assert adjustment.status == AdjustmentStatus.PENDING_APPROVAL and adjustment.amount_cents <= -25_001
    assert await _count(session, LedgerEntry, LedgerEntry.source_key == f"adjustment:{adjustment.id}") == 0
    assert (await client.get("/staff/approvals")).status_code == 403
    refused = await post_form(client, f"/staff/approvals/{adjustment.id}/approve")
    assert refused.status_code == 403
    assert await _count(session, LedgerEntry, LedgerEntry.source_key == f"adjustment:{adjustment.id}") == 0

    client.cookies.clear()
    await sign_in(client, session, supervisor)
    queue = await client.get("/staff/approvals")
    assert "Meter multiplier was wrong" in queue.text
    first = await post_form(client, f"/staff/approvals/{adjustment.id}/approve", {"note": "checked the meter record"})
    assert (
        first.status_code == 303 and await _count(session, LedgerEntry, LedgerEntry.kind == LedgerKind.ADJUSTMENT) == 0
    )
    preview = await client.get(first.headers["location"])
    assert f"This posts {format_money(adjustment.amount_cents)} to account" in preview.text
    assert 'value="checked the meter record"' in preview.text and "Balance after posting" in preview.text
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', preview.text)[1]
    approved = await post_form(
        client,
        f"/staff/approvals/{adjustment.id}/approve",
        {"note": "checked the meter record", "fingerprint": fingerprint},
    )
    assert approved.status_code == 303
    entry = await session.scalar(select(LedgerEntry).where(LedgerEntry.source_key == f"adjustment:{adjustment.id}"))
    assert entry is not None and entry.amount_cents == adjustment.amount_cents
    assert await _count(session, AuditEvent, AuditEvent.action == "adjustment.approve") == 1
    twice = await post_form(client, f"/staff/approvals/{adjustment.id}/approve", {"fingerprint": fingerprint})
    assert twice.status_code == 409
    assert await _count(session, LedgerEntry, LedgerEntry.kind == LedgerKind.ADJUSTMENT) == 1


async def test_a_supervisor_cannot_approve_their_own_request(client, session, supervisor, resident) -> None:
    await sign_in(client, session, supervisor)
    adjustment = await _big_billing_error(client, session, resident.account)
    preview, fingerprint = await approve(client, f"/staff/approvals/{adjustment.id}/approve")
    assert fingerprint is None and "Someone other than the person who asked" in preview.text  # said before confirm
    customer = await session.get(Customer, resident.account.customer_id)
    plan = confirm.approval_plan(
        "adjustment",
        adjustment.id,
        resident.account.number,
        customer.display_name,
        adjustment.amount_cents,
        str(adjustment.status),
    )
    forced = await post_form(client, f"/staff/approvals/{adjustment.id}/approve", {"fingerprint": plan.fingerprint})
    assert forced.status_code == 422  # and the decision itself still refuses, whatever is posted
    await session.refresh(adjustment)
    assert adjustment.status == AdjustmentStatus.PENDING_APPROVAL
    assert adjustment.status == AdjustmentStatus.PENDING_APPROVAL


async def test_an_adjustment_changed_after_the_preview_is_not_posted(
    client, session, csr, supervisor, resident
) -> None:
    await sign_in(client, session, csr)
    adjustment = await _big_billing_error(client, session, resident.account)
    client.cookies.clear()
    await sign_in(client, session, supervisor)
    preview = await client.get(f"/staff/approvals/{adjustment.id}/approve")
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', preview.text)[1]
    adjustment.amount_cents -= 100  # changed between the preview and the confirm
    await session.commit()
    stale = await post_form(client, f"/staff/approvals/{adjustment.id}/approve", {"fingerprint": fingerprint})
    assert stale.status_code == 303 and stale.headers["location"].endswith(f"/staff/approvals/{adjustment.id}/approve")
    assert await _count(session, LedgerEntry, LedgerEntry.kind == LedgerKind.ADJUSTMENT) == 0
    shown = await client.get(stale.headers["location"])
    assert "The request changed since the preview: nothing was done." in shown.text
    assert format_money(adjustment.amount_cents) in shown.text


async def test_a_rejected_adjustment_posts_nothing(client, session, csr, resident) -> None:
    other = await factories.make_user(session, Role.SUPERVISOR, email="boss2@riverton.example")
    await session.commit()
    await sign_in(client, session, csr)
    adjustment = await _big_billing_error(client, session, resident.account)
    client.cookies.clear()
    await sign_in(client, session, other)
    assert (
        await post_form(client, f"/staff/approvals/{adjustment.id}/reject", {"note": "no evidence"})
    ).status_code == 303
    await session.refresh(adjustment)
    assert adjustment.status == AdjustmentStatus.REJECTED
    assert await _count(session, LedgerEntry, LedgerEntry.kind == LedgerKind.ADJUSTMENT) == 0


async def test_a_late_fee_is_waived_once(client, session, csr, resident) -> None:
    posting = await ledger.post(
        session,
        Actor.job("t"),
        account_id=resident.account.id,
        kind=LedgerKind.LATE_FEE,
        amount_cents=500,
        source_key="latefee:t",
        effective_on=TODAY,
        memo="Late fee",
    )
    await session.commit()
    await sign_in(client, session, csr)
    url = f"/staff/accounts/{resident.account.number}/adjustments"
    form = {
        "kind": "fee_waiver",
        "entry_id": str(posting.entry.id),
        "reason": "First late fee in years",
        "action": "submit",
    }
    assert (await post_form(client, url, form)).status_code == 303
    assert await ledger.balance(session, resident.account.id) == 0
    page = await client.get(f"{url}/new?kind=fee_waiver")
    assert "No fee on this account can be waived." in page.text
    assert (await post_form(client, url, form)).status_code == 422


async def test_a_technician_cannot_reach_adjustments_or_approvals(client, session, technician, resident) -> None:
    await sign_in(client, session, technician)
    assert (await client.get(f"/staff/accounts/{resident.account.number}/adjustments/new")).status_code == 403
    assert (await client.get("/staff/approvals")).status_code == 403


async def test_the_bill_picker_shows_each_bills_use_against_the_average_and_its_flagged_reads(
    client, session, csr, resident
) -> None:
    from portal.accounts.models import Meter, MeterRead

    leak_bill = await _history(session, resident.account)
    meter = await session.scalar(select(Meter).where(Meter.premise_id == resident.account.premise_id))
    read_at = dt.datetime.combine(leak_bill.period_end, dt.time(15), dt.UTC)
    session.add(MeterRead(meter_id=meter.id, value=123456, read_at=read_at, flags=["high", "re_entered"]))
    await session.commit()
    await sign_in(client, session, csr)
    page = await client.get(f"/staff/accounts/{resident.account.number}/adjustments/new?kind=leak")
    assert page.status_code == 200
    # Each bill against the 12 bills before it (the leak rule's average): twelve of 6,000, then the leak of 20,000.
    assert "the average of the 12 bills before it, the average the rule rebills on" in page.text
    leak = next(o for o in page.text.split("<option")[1:] if f'value="{leak_bill.id}"' in o)
    assert "20,000 gal · 3.3× the average of the 12 bills before · ⚑ flagged read: High, Re-entered" in leak
    usual = [o for o in page.text.split("<option")[1:] if "6,000 gal" in o]
    assert len(usual) == 12 and "×" not in usual[-1]  # the oldest bill has none before it
    assert all("6,000 gal · 1× the average of the 12 bills before" in o and "flagged" not in o for o in usual[:-1])
