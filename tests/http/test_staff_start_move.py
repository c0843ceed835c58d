"""Start and transfer of service from the console, through the resident side's own tenancy services."""

from __future__ import annotations

import datetime as dt
import html

from sqlalchemy import func, select

from portal.accounts import ledger, tenancy
from portal.accounts.models import (
    Account,
    AccountStatus,
    Customer,
    Deposit,
    DepositStatus,
    Meter,
    Premise,
    RequestKind,
    ServiceRequest,
    UserAccount,
    WorkOrder,
    WorkOrderKind,
)
from portal.accounts.policy import current_policy
from tests import factories
from tests.http.helpers import local_today, post_form, sign_in


async def _vacant(session, address: str = "742 Evergreen Ter") -> Premise:
    premise = Premise(address=address, city="Riverton", state="TX", zip="76501", route="R02", cycle=1)
    session.add(premise)
    await session.flush()
    session.add(Meter(serial="WT77700001", size="5/8", premise_id=premise.id, installed_on=dt.date(2020, 1, 1)))
    await session.commit()
    return premise


def _day() -> dt.date:
    return tenancy.earliest_date(current_policy(), local_today())


NEW_CUSTOMER = {
    "account_class": "residential",
    "first_name": "Rosa",
    "last_name": "Delgado",
    "phone": "254-555-0199",
    "email": "rosa@example.com",
    "language": "es",
    "deposit_option": "pay",
}


async def _count(session, model) -> int:
    await session.commit()
    return await session.scalar(select(func.count()).select_from(model))


async def test_a_csr_finds_the_address_and_starts_service_for_a_new_customer(client, session, csr) -> None:
    premise = await _vacant(session)
    await sign_in(client, session, csr)
    found = await client.get("/staff/start?q=742+evergreen")
    assert found.status_code == 200 and f'href="/staff/start/{premise.id}"' in found.text
    page = await client.get(f"/staff/start/{premise.id}")
    assert page.status_code == 200 and "$150.00" in page.text and 'name="deposit_option"' in page.text
    response = await post_form(client, f"/staff/start/{premise.id}", {**NEW_CUSTOMER, "start_on": _day().isoformat()})
    assert response.status_code == 303, response.text
    await session.commit()
    account = await session.scalar(select(Account).where(Account.premise_id == premise.id))
    assert response.headers["location"] == f"/staff/accounts/{account.number}#orders"
    assert account.status == AccountStatus.PENDING
    customer = await session.get(Customer, account.customer_id)
    assert (customer.display_name, customer.language, customer.email) == ("Rosa Delgado", "es", "rosa@example.com")
    deposit = await session.scalar(select(Deposit).where(Deposit.account_id == account.id))
    assert deposit.required_cents == 15_000 and await ledger.balance(session, account.id) == 15_000
    order = await session.scalar(select(WorkOrder).where(WorkOrder.account_id == account.id))
    assert (order.kind, order.due_on) == (WorkOrderKind.START, _day())
    request = await session.scalar(select(ServiceRequest))
    assert (request.kind, request.requested_by_id, request.to_account_id) == (RequestKind.START, csr.id, account.id)


async def test_a_start_at_an_occupied_address_tells_the_csr_what_to_do_not_to_call_us(client, session, csr) -> None:
    """The refusal was the resident's "Call us and we will arrange it", read by the person taking the call."""
    occupant = await factories.make_account(session, address="9 Occupied Ln")
    await session.commit()
    await sign_in(client, session, csr)
    response = await post_form(
        client, f"/staff/start/{occupant.premise_id}", {**NEW_CUSTOMER, "start_on": _day().isoformat()}
    )
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert "Set that customer's stop first" in text and "Call us" not in text
    assert await _count(session, ServiceRequest) == 0
    # A disconnected customer still holds the address: paying brings their service back on that meter.
    cut_off = await factories.make_account(session, address="11 Occupied Ln", status=AccountStatus.DISCONNECTED)
    await session.commit()
    refused = await post_form(
        client, f"/staff/start/{cut_off.premise_id}", {**NEW_CUSTOMER, "start_on": _day().isoformat()}
    )
    assert refused.status_code == 400 and "another customer" in html.unescape(refused.text)
    assert await _count(session, ServiceRequest) == 0


async def test_a_start_without_a_name_or_contact_shows_the_errors_and_creates_nothing(client, session, csr) -> None:
    premise = await _vacant(session)
    await sign_in(client, session, csr)
    before = await _count(session, Account)
    response = await post_form(
        client,
        f"/staff/start/{premise.id}",
        {"start_on": _day().isoformat(), "account_class": "residential", "language": "en", "deposit_option": "pay"},
    )
    assert response.status_code == 400 and "There is a problem" in response.text
    for field in ("first_name", "last_name", "phone"):
        assert f'href="#{field}"' in response.text
    assert await _count(session, Account) == before and await _count(session, Customer) == before


async def test_a_start_on_a_weekend_is_refused_with_the_rule(client, session, csr) -> None:
    premise = await _vacant(session)
    await sign_in(client, session, csr)
    saturday = _day() + dt.timedelta(days=(5 - _day().weekday()) % 7)
    response = await post_form(client, f"/staff/start/{premise.id}", {**NEW_CUSTOMER, "start_on": saturday.isoformat()})
    assert response.status_code == 400 and 'href="#start_on"' in response.text and "Choose a weekday" in response.text
    assert await _count(session, ServiceRequest) == 0 and await _count(session, Deposit) == 0


async def test_an_existing_customer_starts_at_a_second_address_and_their_login_sees_it(
    client, session, csr, resident
) -> None:
    premise = await _vacant(session)
    await sign_in(client, session, csr)
    found = await client.get(f"/staff/start?q=evergreen&customer={resident.account.number}")
    assert f'href="/staff/start/{premise.id}?customer={resident.account.number}"' in found.text
    unknown = await post_form(
        client,
        f"/staff/start/{premise.id}",
        {
            "customer_account": "100000000",
            "start_on": _day().isoformat(),
            "account_class": "residential",
            "language": "en",
            "deposit_option": "pay",
        },
    )
    assert unknown.status_code == 400 and 'href="#customer_account"' in unknown.text
    response = await post_form(
        client,
        f"/staff/start/{premise.id}",
        {
            "customer_account": resident.account.number,
            "start_on": _day().isoformat(),
            "account_class": "residential",
            "language": "en",
            "deposit_option": "pay",
        },
    )
    assert response.status_code == 303, response.text
    await session.commit()
    new = await session.scalar(select(Account).where(Account.premise_id == premise.id))
    assert new.customer_id == resident.account.customer_id
    assert await session.get(UserAccount, (resident.user.id, new.id)) is not None


async def test_a_good_letter_of_credit_waives_the_deposit(client, session, csr) -> None:
    premise = await _vacant(session)
    await sign_in(client, session, csr)
    letter = {
        "deposit_option": "letter",
        "utility": "Temple Water",
        "service_from": "2023-01-01",
        "late_payments": "0",
        "disconnects": "0",
        "returned_payments": "0",
    }
    missing = await post_form(
        client,
        f"/staff/start/{premise.id}",
        {**NEW_CUSTOMER, "deposit_option": "letter", "start_on": _day().isoformat()},
    )
    assert missing.status_code == 400 and 'href="#utility"' in missing.text and 'href="#service_from"' in missing.text
    response = await post_form(
        client, f"/staff/start/{premise.id}", {**NEW_CUSTOMER, **letter, "start_on": _day().isoformat()}
    )
    assert response.status_code == 303
    await session.commit()
    deposit = await session.scalar(select(Deposit))
    assert (
        deposit.status == DepositStatus.WAIVED and deposit.required_cents == 0 and "Temple Water" in deposit.waiver_note
    )


async def test_a_csr_transfers_service_to_the_new_address(client, session, csr, resident) -> None:
    premise = await _vacant(session, "9 Harbor Ln")
    await sign_in(client, session, csr)
    account_page = await client.get(f"/staff/accounts/{resident.account.number}")
    assert f'href="/staff/accounts/{resident.account.number}/move"' in account_page.text
    found = await client.get(f"/staff/accounts/{resident.account.number}/move?q=harbor")
    assert f'href="/staff/accounts/{resident.account.number}/move/{premise.id}"' in found.text
    stop_on = _day()
    start_on = tenancy.earliest_date(current_policy(), stop_on)
    response = await post_form(
        client,
        f"/staff/accounts/{resident.account.number}/move/{premise.id}",
        {"stop_on": stop_on.isoformat(), "start_on": start_on.isoformat(), "deposit_option": "pay"},
    )
    assert response.status_code == 303, response.text
    await session.commit()
    request = await session.scalar(select(ServiceRequest))
    assert (request.kind, request.from_account_id) == (RequestKind.MOVE, resident.account.id)
    orders = {o.kind: o for o in await session.scalars(select(WorkOrder))}
    assert orders[WorkOrderKind.STOP].account_id == resident.account.id and orders[WorkOrderKind.STOP].due_on == stop_on
    new = await session.get(Account, request.to_account_id)
    assert new.premise_id == premise.id and orders[WorkOrderKind.START].account_id == new.id
    assert await session.get(UserAccount, (resident.user.id, new.id)) is not None
    customer = await session.get(Customer, resident.account.customer_id)
    await session.refresh(customer)
    assert "9 Harbor Ln" in customer.mailing_address  # the final bill goes to the new address
    again = await post_form(
        client,
        f"/staff/accounts/{resident.account.number}/move/{premise.id}",
        {"stop_on": stop_on.isoformat(), "start_on": start_on.isoformat(), "deposit_option": "pay"},
    )
    assert again.status_code == 400 and "already requested" in again.text
    assert await _count(session, ServiceRequest) == 1


async def test_the_current_address_is_not_offered_as_the_new_one(client, session, csr, resident) -> None:
    premise = await session.get(Premise, resident.account.premise_id)
    await sign_in(client, session, csr)
    found = await client.get(f"/staff/accounts/{resident.account.number}/move?q={premise.address.split()[0]}+oak")
    assert f"/move/{premise.id}" not in found.text


async def test_technicians_cannot_start_or_transfer_service(client, session, technician, resident) -> None:
    premise = await _vacant(session)
    await sign_in(client, session, technician)
    assert (await client.get("/staff/start")).status_code == 403
    assert (
        await post_form(client, f"/staff/start/{premise.id}", {**NEW_CUSTOMER, "start_on": _day().isoformat()})
    ).status_code == 403
    assert (await client.get(f"/staff/accounts/{resident.account.number}/move")).status_code == 403
    assert await _count(session, ServiceRequest) == 0
