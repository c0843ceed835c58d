"""The start/move flow's deposit step: the letter of credit's six fields belong to that choice only. Paying the
deposit goes on whatever the (hidden) letter fields still hold; choosing the letter still requires them."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.accounts.models import AccountStatus, Deposit, ServiceRequest
from tests import factories
from tests.http.helpers import post_form, sign_in
from tests.http.test_resident import earliest, error_summary_links


async def at_the_deposit_step(client, session, resident) -> None:
    target = await factories.make_account(session, status=AccountStatus.CLOSED, address="12 Travis St", meter_size="1")
    await session.commit()
    await sign_in(client, session, resident.user)
    await post_form(client, "/my/start/address", {"premise_id": str(target.premise_id)})
    await post_form(client, "/my/start/date", {"start_on": earliest().isoformat()})
    answer = await post_form(client, "/my/start/contact", {"phone": "254-555-0199", "email": "maria@example.com"})
    assert answer.headers["location"] == "/my/start/deposit"


async def test_the_letter_fields_are_inside_the_letter_choice_which_starts_unchosen(client, session, resident) -> None:
    await at_the_deposit_step(client, session, resident)
    page = (await client.get("/my/start/deposit")).text
    choice = re.search(r'<div class="radio radio--reveals">(.*?)</fieldset>\s*</div>', page, re.S)
    assert choice, page
    assert 'value="letter"' in choice.group(1) and 'id="option-letter"' in choice.group(1)
    for name in ("utility", "service_from", "service_to", "late_payments", "disconnects", "returned_payments"):
        assert f'name="{name}"' in choice.group(1)
    assert re.search(r'<input[^>]*checked[^>]*value="pay"|<input[^>]*value="pay"[^>]*checked', page)


async def test_paying_the_deposit_goes_on_whatever_the_hidden_letter_fields_hold(client, session, resident) -> None:
    await at_the_deposit_step(client, session, resident)
    answer = await post_form(
        client,
        "/my/start/deposit",
        {
            "option": "pay",
            "utility": "x" * 500,
            "service_from": "not a date",
            "service_to": "2020-13-45",
            "late_payments": "abc",
            "disconnects": "99999999999999999999999",
            "returned_payments": "-4",
        },
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/my/start/check"
    check = (await client.get("/my/start/check")).text
    assert "$200.00" in check and "xxxxx" not in check  # the deposit stands; no letter was kept
    assert (await post_form(client, "/my/start/check")).status_code == 303
    request = await session.scalar(select(ServiceRequest))
    assert request.details["deposit_cents"] == 20_000


async def test_choosing_the_letter_still_requires_its_fields_and_checks_them(client, session, resident) -> None:
    await at_the_deposit_step(client, session, resident)
    empty = await post_form(client, "/my/start/deposit", {"option": "letter"})
    assert empty.status_code == 400 and set(error_summary_links(empty.text)) == {"utility", "service_from"}
    assert re.search(r'<input[^>]*checked[^>]*value="letter"|<input[^>]*value="letter"[^>]*checked', empty.text)
    too_many = await post_form(
        client,
        "/my/start/deposit",
        {"option": "letter", "utility": "Temple Water", "service_from": "2023-01-01", "late_payments": "100"},
    )
    assert too_many.status_code == 400 and error_summary_links(too_many.text) == ["late_payments"]
    nothing = await post_form(client, "/my/start/deposit", {"utility": "Temple Water"})
    assert nothing.status_code == 400 and error_summary_links(nothing.text) == ["option"]
    assert await session.scalar(select(ServiceRequest)) is None


async def test_the_console_start_form_also_ignores_the_letter_unless_it_is_chosen(client, session, csr) -> None:
    from tests.http.test_staff_start_move import NEW_CUSTOMER, _day, _vacant

    premise = await _vacant(session)
    await sign_in(client, session, csr)
    page = (await client.get(f"/staff/start/{premise.id}")).text
    assert 'id="deposit_option-letter"' in page  # the letter's fields inside the letter's choice
    answer = await post_form(
        client,
        f"/staff/start/{premise.id}",
        {**NEW_CUSTOMER, "start_on": _day().isoformat(), "late_payments": "abc", "service_from": "soon"},
    )
    assert answer.status_code == 303, answer.text
    deposit = await session.scalar(select(Deposit))
    assert deposit is not None and deposit.required_cents == 15_000
    refused = await post_form(
        client,
        f"/staff/start/{premise.id}",
        {**NEW_CUSTOMER, "deposit_option": "letter", "start_on": _day().isoformat(), "late_payments": "abc"},
    )
    assert refused.status_code == 400 and {"utility", "service_from", "late_payments"} <= set(
        error_summary_links(refused.text)
    )
