"""Account actions: holds, collections referral, arrangements, balance transfer, deposit waiver and application."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.accounts import ledger, numbers
from portal.accounts.actor import Actor
from portal.accounts.models import (
    Account,
    AccountStatus,
    ArrangementStatus,
    AuditEvent,
    Bill,
    Case,
    Deposit,
    DepositStatus,
    LedgerKind,
    PaymentArrangement,
)
from tests import factories
from tests.http.helpers import local_today, post_form, sign_in

JOB = Actor.job("test")
TODAY = dt.date.today()


async def _owe(session, account, cents: int, days_late: int = 40) -> None:
    due = TODAY - dt.timedelta(days=days_late)
    bill = Bill(
        account_id=account.id,
        period_start=due - dt.timedelta(days=50),
        period_end=due - dt.timedelta(days=21),
        bill_date=due - dt.timedelta(days=21),
        due_date=due,
        usage=5000,
        total_cents=cents,
        document={},
    )
    session.add(bill)
    await session.flush()
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=cents,
        source_key=f"bill:{bill.id}",
        effective_on=bill.bill_date,
        bill_id=bill.id,
    )


async def test_an_arrangement_takes_half_down_and_only_one_a_year(client, session, csr, resident) -> None:
    await _owe(session, resident.account, 40_000)
    await session.commit()
    await sign_in(client, session, csr)
    url = f"/staff/accounts/{resident.account.number}/arrangements"
    assert (
        await post_form(client, url, {"instalments": "4", "reason": "Lost job, back at work in January"})
    ).status_code == 303
    plan = await session.scalar(select(PaymentArrangement))
    assert plan.status == ArrangementStatus.ACTIVE and plan.down_payment_cents == 20_000
    assert [i["amount_cents"] for i in plan.instalments] == [5_000] * 4
    again = await post_form(client, url, {"instalments": "2"})
    assert again.status_code == 422 and "last 12 months" in again.text


async def test_a_final_balance_moves_to_the_customers_new_account_once(client, session, csr, resident) -> None:
    await _owe(session, resident.account, 7_500)
    resident.account.status = AccountStatus.FINAL
    new = Account(
        number=numbers.with_check_digit(59_999_999),
        customer_id=resident.account.customer_id,
        premise_id=resident.account.premise_id,
        status=AccountStatus.ACTIVE,
    )
    session.add(new)
    await session.commit()
    await sign_in(client, session, csr)
    url = f"/staff/accounts/{resident.account.number}/transfer"
    assert (await post_form(client, url, {"target": new.number, "reason": "Moved across town"})).status_code == 303
    assert await ledger.balance(session, resident.account.id) == 0
    assert await ledger.balance(session, new.id) == 7_500
    assert (await post_form(client, url, {"target": new.number})).status_code == 409  # nothing left to move


async def test_a_balance_does_not_move_to_another_customer(client, session, csr, resident, other_resident) -> None:
    await _owe(session, resident.account, 7_500)
    resident.account.status = AccountStatus.FINAL
    await session.commit()
    await sign_in(client, session, csr)
    response = await post_form(
        client, f"/staff/accounts/{resident.account.number}/transfer", {"target": other_resident.account.number}
    )
    assert response.status_code == 409 and "same customer" in response.text
    assert await ledger.balance(session, other_resident.account.id) == 0


async def test_a_final_account_that_owes_is_referred_to_collections(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    url = f"/staff/accounts/{resident.account.number}/collections"
    active = await post_form(client, url, {"reason": "Skipped town"})
    assert active.status_code == 409
    await _owe(session, resident.account, 3_000)
    resident.account.status = AccountStatus.FINAL
    await session.commit()
    assert (await post_form(client, url, {"reason": "No payment 90 days after the final bill"})).status_code == 303
    await session.refresh(resident.account)
    assert resident.account.status == AccountStatus.COLLECTIONS
    assert await session.scalar(select(AuditEvent).where(AuditEvent.action == "account.status"))


async def test_an_account_offers_only_the_actions_that_can_succeed_on_it(client, session, csr, resident) -> None:
    """A closed account at $0.00 offered a payment arrangement, a referral to collections, a balance to move and a
    medical certification: each could only be refused."""
    await sign_in(client, session, csr)
    url = f"/staff/accounts/{resident.account.number}"
    forms = ("/arrangements", "/collections", "/transfer", "/medical")
    active = (await client.get(url)).text
    assert f'action="{url}/medical' in active and f'action="{url}/arrangements"' not in active  # nothing past due
    resident.account.status = AccountStatus.CLOSED
    await session.commit()
    closed = (await client.get(url)).text
    assert not [form for form in forms if f'action="{url}{form}' in closed], "a closed account at $0.00"
    await _owe(session, resident.account, 3_000)
    await session.commit()
    owing = (await client.get(url)).text
    assert f'action="{url}/collections"' in owing and f'action="{url}/transfer"' in owing
    assert f'action="{url}/arrangements"' in owing  # past due: an arrangement can be granted


async def test_a_deposit_is_waived_with_a_letter_or_applied_when_held(
    client, session, csr, resident, other_resident
) -> None:
    required = Deposit(
        account_id=resident.account.id,
        required_cents=15_000,
        rule="new_premise",
        reason="New premise",
        status=DepositStatus.REQUIRED,
    )
    session.add(required)
    await session.flush()
    await ledger.post(
        session,
        JOB,
        account_id=resident.account.id,
        kind=LedgerKind.DEPOSIT_BILLED,
        amount_cents=15_000,
        source_key=f"deposit:{required.id}:billed",
        effective_on=TODAY,
    )
    held = Deposit(
        account_id=other_resident.account.id,
        required_cents=15_000,
        rule="new_premise",
        reason="New premise",
        status=DepositStatus.HELD,
        paid_cents=15_000,
    )
    session.add(held)
    await session.commit()
    await sign_in(client, session, csr)
    waive = await post_form(
        client,
        f"/staff/accounts/{resident.account.number}/deposit/waive",
        {"letter": "Oncor: 14 months, no late payments"},
    )
    assert waive.status_code == 303
    assert await ledger.balance(session, resident.account.id) == 0
    await session.refresh(required)
    assert required.status == DepositStatus.WAIVED
    applied = await post_form(client, f"/staff/accounts/{other_resident.account.number}/deposit/apply")
    assert applied.status_code == 303
    assert await ledger.balance(session, other_resident.account.id) == -15_000
    assert (
        await post_form(client, f"/staff/accounts/{other_resident.account.number}/deposit/apply")
    ).status_code == 409


async def test_a_technician_cannot_act_on_an_account(client, session, technician, resident) -> None:
    await sign_in(client, session, technician)
    response = await post_form(
        client, f"/staff/accounts/{resident.account.number}/cases", {"kind": "complaint", "reason": "x"}
    )
    assert response.status_code == 403
    assert await session.scalar(select(Case.id)) is None


async def test_a_csr_stops_service_through_the_residents_own_request(client, session, csr, resident) -> None:
    from portal.accounts.models import Customer, MailMessage, WorkOrder, WorkOrderKind

    customer = await session.get(Customer, resident.account.customer_id)
    customer.language = "es"
    await session.commit()
    await sign_in(client, session, csr)
    url = f"/staff/accounts/{resident.account.number}/stop"
    day = TODAY + dt.timedelta(days=7)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    short = await post_form(client, url, {"stop_on": day.isoformat(), "forwarding_address": "x"})
    assert short.status_code in (400, 422)
    done = await post_form(
        client, url, {"stop_on": day.isoformat(), "forwarding_address": "88 New Home Rd, Austin TX 78701"}
    )
    assert done.status_code == 303, done.text
    await session.commit()
    order = await session.scalar(select(WorkOrder).where(WorkOrder.kind == WorkOrderKind.STOP))
    assert order.account_id == resident.account.id and order.due_on == day
    # The caller gets it in writing, in their own language; the CSR is told it went.
    (sent,) = (await session.scalars(select(MailMessage).where(MailMessage.to_addr == customer.email))).all()
    assert sent.subject == "Recibimos su solicitud para suspender el servicio"
    assert "88 New Home Rd, Austin TX 78701" in sent.text_body
    assert "A confirmation was emailed to the customer." in (await client.get(done.headers["location"])).text


async def test_a_stop_for_a_customer_with_no_email_tells_the_csr_to_read_it_out(client, session, csr) -> None:
    from portal.accounts.models import Customer, MailMessage

    account = await factories.make_account(session)
    customer = await session.get(Customer, account.customer_id)
    customer.email = None
    await session.commit()
    await sign_in(client, session, csr)
    day = TODAY + dt.timedelta(days=7)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    done = await post_form(
        client,
        f"/staff/accounts/{account.number}/stop",
        {"stop_on": day.isoformat(), "forwarding_address": "88 New Home Rd, Austin TX 78701"},
    )
    assert done.status_code == 303, done.text
    assert "No email address on file" in (await client.get(done.headers["location"])).text
    assert not (await session.scalars(select(MailMessage).where(MailMessage.subject.contains("stop")))).all()


async def test_the_account_page_shows_the_plan_and_why_it_broke(client, session, csr, resident) -> None:
    from portal.staff import arrangements

    await _owe(session, resident.account, 40_000)
    await session.commit()
    await sign_in(client, session, csr)
    today = local_today()
    granted = await post_form(
        client, f"/staff/accounts/{resident.account.number}/arrangements", {"instalments": "2", "reason": "Hardship"}
    )
    assert granted.status_code == 303
    page = (await client.get(f"/staff/accounts/{resident.account.number}")).text
    assert "Down payment" in page and page.count("Instalment ·") == 2 and "$200.00" in page
    await arrangements.check(session, JOB, on=today + dt.timedelta(days=3))
    await session.commit()
    page = (await client.get(f"/staff/accounts/{resident.account.number}")).text
    assert (
        "Broken" in page
        and "The down payment of $200.00 due" in page
        and "The cut-off rules apply to the account again." in page
    )


async def test_a_paid_up_customer_is_reconnected_tonight_at_the_after_hours_fee(
    client, session, csr, resident, monkeypatch
) -> None:
    from zoneinfo import ZoneInfo

    from portal.accounts.models import LedgerEntry, WorkOrder, WorkOrderKind
    from portal.accounts.payments import post_payment
    from portal.web import clock

    tuesday = dt.date(2026, 11, 24)
    evening = dt.datetime(2026, 11, 24, 18, 15, tzinfo=ZoneInfo("America/Chicago"))
    resident.account.status = AccountStatus.DISCONNECTED
    await ledger.post(
        session,
        JOB,
        account_id=resident.account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=9_000,
        source_key="old-bill",
        effective_on=tuesday - dt.timedelta(days=60),
    )
    paid = await post_payment(
        session,
        JOB,
        account_id=resident.account.id,
        amount_cents=9_000,
        source_key="receipt:9",
        method="cash",
        paid_at=evening - dt.timedelta(hours=2, minutes=30),
        timezone="America/Chicago",
    )
    await session.commit()
    await sign_in(client, session, csr)
    page = await client.get(f"/staff/accounts/{resident.account.number}")
    assert "Reconnect tonight, at the after-hours fee" in page.text
    assert await ledger.balance(session, resident.account.id) == 5_000
    monkeypatch.setattr(clock, "now", lambda: evening)
    response = await post_form(client, f"/staff/accounts/{resident.account.number}/restore-after-hours")
    assert response.status_code == 303
    await session.commit()
    order = await session.get(WorkOrder, paid.restore_order_id)
    await session.refresh(order)
    assert order.kind == WorkOrderKind.RESTORE and order.due_on == tuesday
    assert await ledger.balance(session, resident.account.id) == 10_000
    assert await session.scalar(
        select(LedgerEntry).where(LedgerEntry.source_key == f"reconnect:{order.id}:after_hours")
    )
    monkeypatch.setattr(clock, "now", lambda: evening.replace(hour=10))
    again = await post_form(client, f"/staff/accounts/{resident.account.number}/restore-after-hours")
    assert again.status_code == 409
    assert await ledger.balance(session, resident.account.id) == 10_000
