"""Bad input is refused, never a 500: one test per cause the generated-input run found (ids past 2**63, money as
1e308/NaN/Infinity, a lockbox amount too big for its column and a stray CR in a quoted field, a huge integer in the
letter-of-credit form, a NUL in the staff search, a report date of 9999-12-31), each checking that nothing was
written. The bounds themselves are in portal/web/params.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from portal.accounts import ledger
from portal.accounts.models import (
    AuditEvent,
    Case,
    CashDrawer,
    LedgerEntry,
    LockboxBatch,
    MeterRead,
    RateScheduleRecord,
    Receipt,
    RefundRequest,
)
from tests.field_world import Phone, make_field_order
from tests.http.helpers import csrf, local_today, post_form, post_json, sign_in
from tests.integration.billing_helpers import with_rates

TOO_BIG = str(2**63)
NOT_MONEY = ["1e308", "NaN", "Infinity", "-Infinity", "99999999999999999999.99", "1000000.01"]


async def _count(session, model) -> int:
    await session.commit()  # see what the app committed
    return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_an_id_past_the_columns_range_in_a_path_is_not_found(client, session, resident, technician, csr) -> None:
    await sign_in(client, session, resident.user)
    for path in (f"/my/bills/{TOO_BIG}", f"/my/bills/{TOO_BIG}/pdf", f"/my/bills/{10**40}"):
        response = await client.get(path)
        assert response.status_code == 404 and "We could not find that page" in response.text, path
    client.cookies.clear()
    await sign_in(client, session, technician)
    assert (await client.get(f"/field/orders/{TOO_BIG}")).status_code == 404
    client.cookies.clear()
    await sign_in(client, session, csr)
    for path in (
        f"/staff/drawer/{TOO_BIG}",
        f"/staff/lockbox/{TOO_BIG}",
        f"/staff/start/{TOO_BIG}",
        f"/staff/drawer/receipts/{TOO_BIG}",
        f"/staff/cutoff/letters/{TOO_BIG}/pdf",
    ):
        assert (await client.get(path)).status_code == 404, path
    before = await _count(session, AuditEvent)
    response = await post_form(client, f"/staff/dispatch/orders/{TOO_BIG}/assign", {"technician_id": ""})
    assert response.status_code == 404
    assert await _count(session, AuditEvent) == before


async def test_an_id_past_the_columns_range_in_a_query_or_form_is_a_clear_400(client, session, technician, csr) -> None:
    order = await make_field_order(session, technician)
    await session.commit()
    await sign_in(client, session, csr)
    response = await client.get("/staff/dispatch", params={"technician": TOO_BIG})
    assert response.status_code == 400 and "Choose a technician from the list." in response.text
    response = await post_form(client, f"/staff/dispatch/orders/{order.id}/assign", {"technician_id": TOO_BIG})
    assert response.status_code == 400 and "Choose a technician from the list." in response.text
    await session.refresh(order)
    assert order.assigned_to_id == technician.id  # not silently unassigned
    client.cookies.clear()
    await sign_in(client, session, technician)
    photo = await client.put(
        f"/field/photos/3b5d1a4e-1f7c-4a5e-9a63-0d3c9c1f8e21?order_id={TOO_BIG}&sha256=00",
        content=b"\xff\xd8",
        headers={"x-csrftoken": await csrf(client), "content-type": "image/jpeg", "accept": "application/json"},
    )
    assert photo.status_code == 400 and "order_id" in photo.text


async def test_a_sync_cursor_past_any_date_gets_a_full_download(client, session, technician) -> None:
    order = await make_field_order(session, technician)
    await session.commit()
    await sign_in(client, session, technician)
    for cursor in ("9" * 30, str(2**63), "١٢٣"):
        response = await client.get("/field/sync", params={"cursor": cursor})
        assert response.status_code == 200, cursor
        assert order.id in [o["id"] for o in response.json()["orders"]]


@pytest.mark.parametrize("amount", NOT_MONEY)
async def test_money_that_is_not_dollars_and_cents_is_refused_at_the_counter(
    client, session, csr, resident, amount
) -> None:
    await sign_in(client, session, csr)
    refused = await post_form(client, "/staff/drawer/open", {"opening_float": amount})
    assert refused.status_code == 400 and "Enter an amount in dollars and cents" in refused.text
    assert await _count(session, CashDrawer) == 0
    assert (await post_form(client, "/staff/drawer/open", {"opening_float": "100.00"})).status_code == 303
    paid = await post_form(
        client,
        "/staff/drawer/payments",
        {"account_number": resident.account.number, "tender": "cash", "amount": amount},
    )
    assert paid.status_code == 400 and 'href="#amount"' in paid.text
    closed = await post_form(client, "/staff/drawer/close", {"cash": amount, "check": "0", "card": "0", "reason": "x"})
    assert closed.status_code == 400 and 'href="#cash"' in closed.text
    walkin = await post_form(client, "/staff/walkin/pay", {"amount": amount})
    assert walkin.status_code == 400 and "Enter an amount in dollars and cents" in walkin.text
    assert await _count(session, Receipt) == 0 and await _count(session, LedgerEntry) == 0
    drawer = await session.scalar(select(CashDrawer))
    assert drawer.closed_at is None


@pytest.mark.parametrize("amount", NOT_MONEY)
async def test_money_that_is_not_dollars_and_cents_is_refused_for_a_refund(
    client, session, csr, resident, amount
) -> None:
    await sign_in(client, session, csr)
    url = f"/staff/accounts/{resident.account.number}/refund"
    response = await post_form(client, url, {"amount": amount, "method": "check", "reason": "left over", "claim": "k1"})
    assert response.status_code == 400 and 'href="#amount"' in response.text
    assert await _count(session, RefundRequest) == 0 and await ledger.balance(session, resident.account.id) == 0


@pytest.mark.parametrize("amount", ["1e308", "NaN", "Infinity", "100000.01"])
async def test_money_that_is_not_dollars_and_cents_is_refused_in_the_rate_form(
    client, session, supervisor, amount
) -> None:
    await with_rates(session)
    await session.commit()
    await sign_in(client, session, supervisor)
    before = await _count(session, RateScheduleRecord)
    tomorrow = (local_today() + dt.timedelta(days=2)).isoformat()
    response = await post_form(
        client, "/staff/rates/S-RES", {"effective_on": tomorrow, "base": amount, "per_kgal": "5.10"}
    )
    assert response.status_code == 400 and "from 0.00 to 100,000.00" in response.text
    far = await post_form(
        client, "/staff/rates/S-RES", {"effective_on": "9999-12-31", "base": "15.00", "per_kgal": "5.10"}
    )
    assert far.status_code == 400 and "Enter the date the rates start" in far.text
    assert await _count(session, RateScheduleRecord) == before


LOCKBOX_TOO_BIG = """account_number,amount,paid_on,check_number
{a},12.00,2026-11-20,1001
{a},99999999999999999999999.99,2026-11-20,1002
{a},1e308,2026-11-20,1003
{a},NaN,9999-12-31,1004
"""


async def _upload(client, content: bytes):
    token = await csrf(client)
    return await client.post(
        "/staff/lockbox",
        files={"file": ("lockbox.csv", content, "text/csv")},
        data={"_csrf_token": token},
        follow_redirects=False,
    )


async def test_a_lockbox_amount_too_big_for_the_column_is_refused_with_its_line(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    response = await _upload(client, LOCKBOX_TOO_BIG.format(a=resident.account.number).encode())
    assert response.status_code == 303, response.text
    report = (await client.get(response.headers["location"])).text
    assert "99999999999999999999999.99 is not a number of dollars and cents up to $1,000,000.00" in report
    batch = await session.scalar(select(LockboxBatch))
    assert (batch.posted, batch.rejected) == (1, 3)
    assert [(line["line"], line["outcome"]) for line in batch.report] == [
        (2, "posted"),
        (3, "rejected"),
        (4, "rejected"),
        (5, "rejected"),
    ]
    assert await ledger.balance(session, resident.account.id) == -1200


async def test_a_stray_cr_in_a_quoted_lockbox_field_is_read_as_csv(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    content = f'account_number,amount,paid_on,check_number\r\n{resident.account.number},12.00,2026-11-20,"10\r42"\r\n'.encode()
    response = await _upload(client, content)
    assert response.status_code == 303, response.text
    batch = await session.scalar(select(LockboxBatch))
    assert (batch.posted, batch.rejected) == (1, 0)
    entry = await session.scalar(select(LedgerEntry))
    assert entry.amount_cents == -1200 and "10 42" in entry.memo


async def test_a_lockbox_file_that_breaks_the_csv_is_refused_whole_with_its_line(
    client, session, csr, resident
) -> None:
    await sign_in(client, session, csr)
    content = f'account_number,amount,paid_on\n{resident.account.number},12.00,2026-11-20\n{resident.account.number},"12.00,2026-11-20\n'.encode()
    response = await _upload(client, content)
    assert (
        response.status_code == 400
        and "Line 3 cannot be read as CSV" in response.text
        and "nothing was posted" in response.text
    )
    assert await _count(session, LockboxBatch) == 0 and await _count(session, LedgerEntry) == 0
    nul = await _upload(
        client,
        f"account_number,amount,paid_on,check_number\n{resident.account.number},12.00,2026-11-20,1\x002\n".encode(),
    )
    assert nul.status_code == 303
    batch = await session.scalar(select(LockboxBatch))
    assert batch.report == [{"line": 2, "outcome": "rejected", "message": "The line holds a control character (NUL)."}]
    assert await _count(session, LedgerEntry) == 0


async def test_a_huge_number_in_the_letter_of_credit_form_is_a_field_error(client, session, resident, csr) -> None:
    await sign_in(client, session, csr)
    page = await client.get("/staff/start", params={"q": "Oak"})
    assert page.status_code == 200
    response = await post_form(
        client,
        f"/staff/start/{resident.account.premise_id}",
        {
            "start_on": (local_today() + dt.timedelta(days=7)).isoformat(),
            "account_class": "residential",
            "first_name": "Ana",
            "last_name": "Diaz",
            "phone": "254-555-0100",
            "language": "en",
            "deposit_option": "letter",
            "utility": "Temple Water",
            "service_from": "2023-01-01",
            "late_payments": "9" * 30,
            "disconnects": "0",
            "returned_payments": "0",
        },
    )
    assert response.status_code == 400 and 'href="#late_payments"' in response.text
    assert await _count(session, AuditEvent) == 0


async def test_a_nul_in_the_staff_search_is_refused(client, session, csr) -> None:
    await sign_in(client, session, csr)
    response = await client.get("/staff/accounts", params={"q": "Lo\x00pez"})
    assert response.status_code == 400 and "Remove the control character (NUL)" in response.text
    note = await post_form(client, "/staff/dispatch/exceptions/1/resolve", {"note": "fixed\x00"})
    assert note.status_code == 400


@pytest.mark.parametrize(
    "query", [{"end": "9999-12-31"}, {"start": "0001-01-01"}, {"start": "9999-12-01", "end": "9999-12-31"}]
)
async def test_a_report_date_outside_1900_to_2100_is_refused(client, session, csr, query) -> None:
    await sign_in(client, session, csr)
    response = await client.get("/staff/reports/aged", params=query)
    assert response.status_code == 400 and "Give the dates as YYYY-MM-DD." in response.text
    day = await client.get("/staff/collections", params={"day": "9999-12-31"})
    assert day.status_code == 400 and "Give the day as YYYY-MM-DD." in day.text


@pytest.mark.parametrize("credential", [{}, [{}], "x", {"id": {}}])
async def test_a_malformed_passkey_credential_is_a_failed_passkey(client, session, resident, credential) -> None:
    await sign_in(client, session, resident.user)
    headers = {"x-csrftoken": await csrf(client), "accept": "application/json"}
    assert (await client.post("/settings/passkeys/options", headers=headers)).status_code in (200, 201)
    response = await client.post(
        "/settings/passkeys", json={"credential": credential, "nickname": "phone"}, headers=headers
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "passkey_failed"


async def test_a_form_sent_to_a_json_endpoint_is_refused_not_left_waiting(client, session) -> None:
    token = await csrf(client)
    assert (await client.post("/signin/passkey/options", headers={"x-csrftoken": token})).status_code in (200, 201)
    # The CSRF check reads the multipart form from the stream; the handler then reads the raw body.
    response = await asyncio.wait_for(
        client.post("/signin/passkey", data={"_csrf_token": token}, files={"file": ("a.csv", b"x", "text/csv")}),
        timeout=20,
    )
    assert response.status_code == 400


# str.isdigit() is true for "²" and for other scripts' digits, and for a 5,000-digit string, all of which int() refuses:
# each place that took a number by isdigit() answered 500.
OTHER_DIGITS = ["²", "１２", "9" * 5000]


async def test_digits_int_refuses_are_no_bill_to_pay_and_no_500(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    for raw in OTHER_DIGITS:
        response = await client.get(f"/pay/{resident.account.number}", params={"bill": raw})
        assert response.status_code == 200 and "Paying your bill of" not in response.text, raw


async def test_a_read_in_digits_a_dial_cannot_show_is_refused_and_not_saved(client, session, technician) -> None:
    order = await make_field_order(session, technician)
    await session.commit()
    await sign_in(client, session, technician)
    before = await _count(session, MeterRead)
    for raw in OTHER_DIGITS:
        response = await post_form(
            client, f"/field/orders/{order.id}/actions/record_read", {"mutation_id": str(uuid.uuid4()), "value": raw}
        )
        assert 400 <= response.status_code < 500 and "whole numbers" in response.text, raw
        phone = Phone()
        answer = await post_json(
            client, "/field/sync", phone.batch(phone.action("record_read", order.id, {"value": raw}))
        )
        assert answer.status_code < 500 and answer.json()["answers"][0]["status"] == "rejected", answer.text
    assert await _count(session, MeterRead) == before


async def test_instalments_in_digits_int_refuses_are_a_field_error(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    for raw in OTHER_DIGITS:
        response = await post_form(
            client,
            f"/staff/accounts/{resident.account.number}/arrangements",
            {"instalments": raw, "reason": "Hardship"},
        )
        assert 400 <= response.status_code < 500 and "instalments" in response.text, raw


async def test_a_refused_form_links_back_to_its_own_page_and_never_elsewhere(client, session, csr, resident) -> None:
    """The refusal names the page whose form was refused (same origin only), so staff can correct what they typed."""
    await sign_in(client, session, csr)
    form = f"/staff/accounts/{resident.account.number}"
    data = {"kind": "dispute", "reason": "Too high", "disputed": "abc"}
    host = client.base_url.host
    mine = await post_form(client, f"{form}/cases", data, headers={"referer": f"http://{host}{form}?tab=1"})
    assert mine.status_code == 400 and "Give the amount in dollars and cents" in mine.text
    assert f'href="{form}?tab=1" data-back>Go back and correct it' in mine.text
    for foreign in ("https://evil.example/staff", f"http://{host}//evil.example/x", "not a url"):
        other = await post_form(client, f"{form}/cases", data, headers={"referer": foreign})
        assert other.status_code == 400 and "Go back and correct it" not in other.text
    assert await session.scalar(select(func.count()).select_from(Case)) == 0  # nothing was opened
