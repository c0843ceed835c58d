"""Correcting records, reads and bills from the console: role checks, bad input changes nothing, the history shows
before and after, and the resident sees the cancelled bill and its replacement with the reason."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.accounts.models import (
    Account,
    AuditEvent,
    Bill,
    BillCorrection,
    Customer,
    Meter,
    MeterRead,
    Role,
    Service,
    ServiceKind,
)
from portal.accounts.policy import Policy, us_holidays
from portal.billing.run import bill_run
from portal.db import make_sessionmaker
from portal.mail import OUTBOX
from tests import factories
from tests.http.helpers import local_today, post_form, sign_in
from tests.integration.billing_helpers import billable_account, monthly_reads, with_rates

POLICY = Policy(holidays=us_holidays(range(2024, 2030)))


async def billed(session, engine) -> tuple[Account, Bill]:
    """An account billed for the period ending a week ago, with a resident who can sign in to it."""
    on = local_today() - dt.timedelta(days=7)
    await with_rates(session)
    account = await billable_account(session, monthly_reads(on, 13, per_month=6_000))
    await session.commit()
    await bill_run(make_sessionmaker(engine), 1, on, POLICY, mailer=OUTBOX, public_url="http://t")
    bill = await session.scalar(select(Bill).where(Bill.account_id == account.id))
    assert bill is not None
    return account, bill


async def audit_count(session, action: str) -> int:
    await session.commit()
    return int(await session.scalar(select(func.count()).where(AuditEvent.action == action)) or 0)


async def test_a_csr_corrects_the_customer_and_the_history_shows_before_and_after(client, session, csr) -> None:
    account = await factories.make_account(session)
    customer = await session.get(Customer, account.customer_id)
    old_phone = customer.phone
    await session.commit()
    await sign_in(client, session, csr)
    page = await client.get(f"/staff/accounts/{account.number}/records/")
    assert page.status_code == 200 and "Correct the records" in page.text
    form = {
        "first_name": "María",
        "last_name": "Lopez-Garza",
        "phone": "254-555-0199",
        "alt_phone": "254-555-0142",
        "email": customer.email,
        "language": "es",
        "mailing_address": "PO Box 12, Riverton TX 76501",
    }
    response = await post_form(client, f"/staff/accounts/{account.number}/records/customer", form)
    assert response.status_code == 303
    await session.refresh(customer)
    assert (customer.last_name, customer.phone, customer.language) == ("Lopez-Garza", "254-555-0199", "es")
    assert customer.alt_phone == "254-555-0142"
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "customer.correct"))
    assert event.before["phone"] == old_phone and event.after["phone"] == "254-555-0199"
    assert event.actor_id == csr.id and "email" not in event.after  # only what changed
    history = await client.get(f"/staff/accounts/{account.number}/")
    assert "Corrected the customer&#39;s details" in history.text
    assert f"{old_phone} → 254-555-0199" in history.text and "English → Spanish" in history.text


async def test_bad_record_input_changes_nothing(client, session, csr) -> None:
    account = await factories.make_account(session)
    meter = await session.scalar(select(Meter).where(Meter.premise_id == account.premise_id))
    await session.commit()
    await sign_in(client, session, csr)
    base = f"/staff/accounts/{account.number}/records"
    bad = [
        ("/customer", {"last_name": "X", "email": "not an email", "language": "en"}),
        ("/customer", {"last_name": "", "business_name": "", "language": "en"}),
        ("/customer", {"last_name": "X", "language": "fr"}),
        ("/class", {"account_class": "industrial"}),
        ("/premise", {"address": "", "city": "Riverton", "state": "TX", "zip": "76501"}),
        ("/meter", {"meter_id": str(meter.id), "size": "5/8", "multiplier": "0"}),
        ("/meter", {"meter_id": str(meter.id), "size": "12", "multiplier": "1"}),
        ("/services", {"kind": "water", "rate_code": "W-RES", "quantity": "1", "started_on": "2026-01-01"}),
        ("/services", {"kind": "fire_line", "rate_code": "NOPE", "quantity": "1", "started_on": "2026-01-01"}),
        ("/services", {"kind": "solid_waste", "rate_code": "SW-CART", "quantity": "99", "started_on": "2026-01-01"}),
        # another utility's rate: a garbage service on the water rate would be billed as water
        ("/services", {"kind": "solid_waste", "rate_code": "W-RES", "quantity": "1", "started_on": "2026-12-01"}),
    ]
    for path, data in bad:
        response = await post_form(client, base + path, data)
        assert response.status_code == 400, (path, data, response.status_code)
    assert (
        await session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.account_id == account.id))
        == 0
    )
    assert await session.scalar(select(func.count()).select_from(Service).where(Service.account_id == account.id)) == 0
    other_meter = await factories.make_account(session)
    their_meter = await session.scalar(select(Meter).where(Meter.premise_id == other_meter.premise_id))
    await session.commit()
    response = await post_form(
        client, base + "/meter", {"meter_id": str(their_meter.id), "size": "1", "multiplier": "1"}
    )
    assert response.status_code == 404


async def test_a_second_cart_and_a_fire_line_are_added_and_audited(client, session, engine, csr) -> None:
    account, _bill = await billed(session, engine)
    cart = await session.scalar(
        select(Service).where(Service.account_id == account.id, Service.kind == ServiceKind.SOLID_WASTE)
    )
    await sign_in(client, session, csr)
    base = f"/staff/accounts/{account.number}/records/services"
    # Another utility's rate is refused on the form, for a change or a new service: a garbage service saved on the
    # water rate would be billed as water.
    wrong = await post_form(client, base, {"service_id": str(cart.id), "rate_code": "W-RES", "quantity": "2"})
    assert wrong.status_code == 400 and "W-RES is not one" in wrong.text
    start = local_today().isoformat()
    wrong = await post_form(
        client, base, {"kind": "fire_line", "rate_code": "W-RES", "quantity": "1", "started_on": start}
    )
    assert wrong.status_code == 400 and "W-RES is not one" in wrong.text
    response = await post_form(client, base, {"service_id": str(cart.id), "rate_code": "SW-CART", "quantity": "2"})
    assert response.status_code == 303
    response = await post_form(
        client, base, {"kind": "fire_line", "rate_code": "FIRE-LINE", "quantity": "1", "started_on": start}
    )
    assert response.status_code == 303
    await session.refresh(cart)
    assert cart.quantity == 2
    line = await session.scalar(select(Service).where(Service.account_id == account.id, Service.kind == "fire_line"))
    assert line.rate_code == "FIRE-LINE" and line.started_on == local_today()
    assert await audit_count(session, "service.correct") == 1 and await audit_count(session, "service.add") == 1


async def test_residents_and_technicians_cannot_reach_the_records_or_rebill(
    client, session, resident, technician
) -> None:
    number = resident.account.number
    for user in (resident.user, technician):
        client.cookies.clear()
        await sign_in(client, session, user)
        assert (await client.get(f"/staff/accounts/{number}/records/")).status_code in (401, 403)
        assert (await client.get(f"/staff/accounts/{number}/reads/")).status_code in (401, 403)
        response = await post_form(client, f"/staff/accounts/{number}/records/class", {"account_class": "commercial"})
        assert response.status_code in (401, 403)
    await session.refresh(resident.account)
    assert resident.account.account_class.value == "residential"


async def test_a_read_correction_rebills_and_the_resident_sees_both_bills_with_the_reason(
    client, session, engine, csr
) -> None:
    account, bill = await billed(session, engine)
    read = await session.get(MeterRead, bill.curr_read_id)
    owner = await factories.make_user(session, Role.CUSTOMER, customer_id=account.customer_id)
    await factories.link(session, owner, account)
    await session.commit()
    await sign_in(client, session, csr)
    response = await post_form(
        client,
        f"/staff/accounts/{account.number}/reads/correct",
        {"read_id": str(read.id), "value": str(read.value - 3_000), "reason": "The reader keyed a wrong digit"},
    )
    assert response.status_code == 303, response.text
    await session.refresh(bill)
    new = await session.scalar(select(Bill).where(Bill.replaces_id == bill.id))
    assert bill.cancelled_on is not None and new.usage == 3_000
    client.cookies.clear()
    await sign_in(client, session, owner)
    bills = await client.get("/my/bills/")
    assert "Cancelled: replaced by a corrected bill." in bills.text and "Corrected bill." in bills.text
    assert "A meter read on this bill was wrong and has been corrected." in bills.text
    assert "The reader keyed a wrong digit" in bills.text
    spanish = await client.get("/my/bills/", headers={"accept-language": "es-MX,es;q=0.9"})
    assert "Anulada: la reemplaza una factura corregida." in spanish.text
    page = await client.get(f"/my/bills/{bill.id}")
    assert "was cancelled on" in page.text and f"/my/bills/{new.id}" in page.text and "Pay this bill" not in page.text
    page = await client.get(f"/my/bills/{new.id}")
    assert "This is a corrected bill." in page.text
    pdf = await client.get(f"/my/bills/{bill.id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    client.cookies.clear()
    await sign_in(client, session, csr)
    staff_page = await client.get(f"/staff/accounts/{account.number}/")
    assert "Corrected bill" in staff_page.text and "Cancelled a bill and rebilled its period" in staff_page.text


async def test_bad_read_input_changes_nothing(client, session, engine, csr) -> None:
    account, bill = await billed(session, engine)
    read = await session.get(MeterRead, bill.curr_read_id)
    meter_id, read_id, value = read.meter_id, read.id, read.value
    await sign_in(client, session, csr)
    base = f"/staff/accounts/{account.number}/reads"
    tomorrow = (local_today() + dt.timedelta(days=1)).isoformat()
    bad = [
        ("/correct", {"read_id": str(read_id), "value": "abc", "reason": "x"}),
        ("/correct", {"read_id": str(read_id), "value": "-5", "reason": "x"}),
        ("/correct", {"read_id": str(read_id), "value": "100", "reason": ""}),
        ("/correct", {"read_id": str(read_id), "value": str(10**9), "reason": "x"}),
        ("/enter", {"meter_id": str(meter_id), "value": "1", "read_on": tomorrow, "source": "office", "reason": "x"}),
        (
            "/enter",
            {"meter_id": str(meter_id), "value": "1", "read_on": "2026-02-30", "source": "office", "reason": "x"},
        ),
        ("/enter", {"meter_id": "999999", "value": "1", "read_on": "2026-01-01", "source": "office", "reason": "x"}),
        ("/rebill", {"bill_id": "999999", "reason": "x"}),
        ("/rebill", {"bill_id": str(bill.id), "reason": ""}),
    ]
    for path, data in bad:
        response = await post_form(client, base + path, data)
        assert 400 <= response.status_code < 500, (path, data, response.status_code)
    await session.commit()
    assert (await session.get(MeterRead, read_id)).value == value
    assert await session.scalar(select(func.count()).select_from(BillCorrection)) == 0
    assert await session.scalar(select(func.count()).select_from(Bill).where(Bill.cancelled_on.is_not(None))) == 0


async def test_a_large_rebill_waits_and_only_another_supervisor_approves_it(
    client, session, engine, csr, supervisor
) -> None:
    account, bill = await billed(session, engine)
    read = await session.get(MeterRead, bill.curr_read_id)
    await sign_in(client, session, csr)
    response = await post_form(
        client,
        f"/staff/accounts/{account.number}/reads/correct",
        {"read_id": str(read.id), "value": str(read.value + 80_000), "reason": "A digit was dropped"},
    )
    assert response.status_code == 303
    correction = await session.scalar(select(BillCorrection))
    assert correction.status.value == "pending_approval"
    await session.refresh(bill)
    assert bill.cancelled_on is None
    # A CSR is no supervisor: the approval route refuses them
    assert (await post_form(client, f"/staff/approvals/rebills/{correction.id}/approve")).status_code == 403
    client.cookies.clear()
    await sign_in(client, session, supervisor)
    queue = await client.get("/staff/approvals/")
    assert "Cancel and rebill waiting for approval" in queue.text and "A digit was dropped" in queue.text
    assert (await post_form(client, f"/staff/approvals/rebills/{correction.id}/maybe")).status_code == 404
    response = await post_form(client, f"/staff/approvals/rebills/{correction.id}/approve", {"note": "checked"})
    assert response.status_code == 303
    await session.refresh(correction)
    await session.refresh(bill)
    assert correction.status.value == "done" and bill.cancelled_on is not None
