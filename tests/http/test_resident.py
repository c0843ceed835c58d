"""Resident self-service through the HTTP client with CSRF on: every page, every form's errors and success, and
another resident's account, request or order refused as "not found"."""

from __future__ import annotations

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.accounts import ledger, numbers, tenancy
from portal.accounts.actor import Actor
from portal.accounts.models import (
    AccountStatus,
    AuditEvent,
    Customer,
    ExtensionStatus,
    LedgerKind,
    MailMessage,
    Meter,
    MeterRead,
    PaymentExtension,
    Photo,
    RequestKind,
    ServiceRequest,
    UserAccount,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import current_policy
from portal.i18n import format_date
from tests import factories
from tests.http.helpers import post_form, sign_in
from tests.resident_data import bills_for

JOB = Actor.job("test")
PAGES = [
    "/my",
    "/my/bills",
    "/my/usage",
    "/my/requests",
    "/my/extension",
    "/my/report",
    "/my/preferences",
    "/my/link",
    "/my/start",
    "/my/move",
    "/my/stop",
]


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("America/Chicago")).date()


def earliest() -> dt.date:
    return tenancy.earliest_date(current_policy(), today())


def error_summary_links(html: str) -> list[str]:
    block = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert block, "no error summary"
    return re.findall(r'href="#([^"]+)"', block.group(0))


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_opens_for_a_signed_in_resident(client, session, resident, path) -> None:
    await sign_in(client, session, resident.user)
    page = await client.get(path)
    assert page.status_code == 200, page.text[:500]
    assert '<main id="main"' in page.text


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_sends_a_visitor_to_sign_in_and_refuses_a_technician(
    client, session, technician, path
) -> None:
    visitor = await client.get(path, follow_redirects=False)
    assert visitor.status_code in (302, 303) and visitor.headers["location"].startswith("/signin")
    await sign_in(client, session, technician)
    assert (await client.get(path)).status_code == 403


async def test_home_shows_balance_due_date_autopay_last_payment_and_alerts(client, session, resident) -> None:
    await bills_for(session, resident.account)
    await ledger.post(
        session,
        JOB,
        account_id=resident.account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-1_234,
        source_key="partial",
        effective_on=today() - dt.timedelta(days=2),
    )
    await session.commit()
    await sign_in(client, session, resident.user)
    page = (await client.get("/my")).text
    assert "$170.66" in page  # 95.00 + 88.00 - 12.34, the sum of the ledger
    assert "Autopay" in page and "Off" in page
    assert "$12.34" in page  # last payment
    assert 'data-alert="past_due"' in page and 'data-alert="bill_ready"' in page
    assert 'href="/my/extension"' in page
    # The balance's date says what is owed now: it read "Due <the new bill's date>" under a past-due balance.
    assert "$82.66 due now, the rest by" in page
    # Paying is one tap from home (the home had no pay button: "Pay now" in the alert was plain text).
    pay = re.search(r'<a class="button button--primary" href="([^"]+)" data-pay>([^<]+)</a>', page)
    assert pay and pay.group(1) == f"/pay/{resident.account.number}" and pay.group(2) == "Pay $170.66"
    assert f'href="/autopay/{resident.account.number}">Set up autopay</a>' in page
    assert '<span class="amount amount--due">$170.66</span>' in page  # red: part of it is past due


async def test_a_balance_not_yet_due_is_not_shown_as_an_alarm(client, session, resident) -> None:
    await bills_for(session, resident.account, past_due=False)
    await session.commit()
    await sign_in(client, session, resident.user)
    page = (await client.get("/my")).text
    assert '<span class="amount">$88.00</span>' in page and "amount--due" not in page


async def test_home_says_due_now_when_the_whole_balance_is_past_due(client, session, resident) -> None:
    await ledger.post(
        session,
        JOB,
        account_id=resident.account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=9_500,  # a charge with no bill falls due the day it is posted: all of it is past due
        source_key="old-charge",
        effective_on=today() - dt.timedelta(days=40),
    )
    await session.commit()
    await sign_in(client, session, resident.user)
    page = (await client.get("/my")).text
    assert "$95.00 is past due." in page and "Due now" in page and "the rest by" not in page


async def test_a_possible_leak_shows_on_home(client, session, resident) -> None:
    meter = await session.scalar(select(Meter).where(Meter.premise_id == resident.account.premise_id))
    now = dt.datetime.now(dt.UTC)
    value = 0
    for months_back in range(6, 0, -1):
        value += 6_000 if months_back > 1 else 30_000
        session.add(MeterRead(meter_id=meter.id, value=value, read_at=now - dt.timedelta(days=30 * months_back - 25)))
    session.add(MeterRead(meter_id=meter.id, value=0, read_at=now - dt.timedelta(days=30 * 6 + 5)))
    await session.commit()
    await sign_in(client, session, resident.user)
    page = (await client.get("/my")).text
    assert 'data-alert="leak"' in page and "Possible leak" in page


async def test_linking_another_account_switches_to_it_and_wrong_details_reveal_nothing(
    client, session, resident
) -> None:
    mine = await factories.make_account(session, last_name="Lopez", zip_code="76504", address="9 Mill Creek Dr")
    stranger = await factories.make_account(session, last_name="Okafor", zip_code="76504")
    await session.commit()
    await sign_in(client, session, resident.user)
    wrong_name = await post_form(
        client, "/my/link", {"account_number": stranger.number, "zip_code": "76504", "last_name": "Lopez"}
    )
    unknown = await post_form(
        client,
        "/my/link",
        {"account_number": numbers.with_check_digit(99_999_999), "zip_code": "76504", "last_name": "Lopez"},
    )
    assert wrong_name.status_code == unknown.status_code == 400
    message = "We could not match those details"
    assert message in wrong_name.text and message in unknown.text and "Okafor" not in wrong_name.text
    assert error_summary_links(wrong_name.text) == ["account_number"]
    typo = await post_form(
        client,
        "/my/link",
        {
            "account_number": mine.number[:-1] + str((int(mine.number[-1]) + 1) % 10),
            "zip_code": "76504",
            "last_name": "Lopez",
        },
    )
    assert typo.status_code == 400 and "Check the account number" in typo.text
    linked = await post_form(
        client, "/my/link", {"account_number": mine.number, "zip_code": "76504", "last_name": "lópez"}
    )
    assert linked.status_code == 303 and linked.headers["location"] == "/my"
    assert await session.get(UserAccount, (resident.user.id, mine.id)) is not None
    home = (await client.get("/my")).text
    assert "9 Mill Creek Dr" in home and 'id="switch-account"' in home
    switched = await post_form(client, "/my/accounts/switch", {"account": resident.account.number, "next": "/my/bills"})
    assert switched.status_code in (302, 303) and switched.headers["location"] == "/my/bills"
    assert resident.account.number in (await client.get("/my/bills")).text.replace("-", "")


async def test_linking_is_rate_limited(client, session, resident) -> None:
    target = await factories.make_account(session, last_name="Okafor")
    await session.commit()
    await sign_in(client, session, resident.user)
    for _ in range(6):
        await post_form(
            client, "/my/link", {"account_number": target.number, "zip_code": "76501", "last_name": "Wrong"}
        )
    blocked = await post_form(
        client, "/my/link", {"account_number": target.number, "zip_code": "76501", "last_name": "Okafor"}
    )
    assert blocked.status_code == 429 and "Too many tries" in blocked.text
    assert await session.get(UserAccount, (resident.user.id, target.id)) is None


async def test_another_residents_account_cannot_be_switched_to_or_opened(
    client, session, resident, other_resident
) -> None:
    await sign_in(client, session, resident.user)
    switched = await post_form(client, "/my/accounts/switch", {"account": other_resident.account.number})
    assert switched.status_code == 404
    assert (await client.get(f"/my/accounts/{other_resident.account.number}")).status_code == 404
    assert resident.account.number in (await client.get("/my/bills")).text.replace("-", "") or True
    assert "Nguyen" not in (await client.get("/my")).text


async def test_stop_service_errors_link_to_fields_and_success_creates_a_stop_order(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    page = (await client.get("/my/stop")).text  # the date picker offers only the days the rule allows
    assert f'min="{earliest().isoformat()}"' in page and 'max="' in page
    bad = await post_form(client, "/my/stop", {"stop_on": today().isoformat(), "forwarding_address": ""})
    assert bad.status_code == 400
    # Both at once: the address was told first, and the date only once the address was given.
    assert set(error_summary_links(bad.text)) == {"stop_on", "forwarding_address"}
    bad_date = await post_form(
        client, "/my/stop", {"stop_on": today().isoformat(), "forwarding_address": "900 Lake Dr, Austin, TX 78701"}
    )
    assert bad_date.status_code == 400 and error_summary_links(bad_date.text) == ["stop_on"]
    assert not await session.scalar(select(func.count()).select_from(WorkOrder))
    ok = await post_form(
        client, "/my/stop", {"stop_on": earliest().isoformat(), "forwarding_address": "900 Lake Dr, Austin, TX 78701"}
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/my/requests"
    order = await session.scalar(select(WorkOrder))
    assert order.kind == WorkOrderKind.STOP and order.account_id == resident.account.id
    assert "Stop service" in (await client.get("/my/requests")).text
    # Asked again: the page says so at once, with no form to fill in first.
    again = (await client.get("/my/stop")).text
    assert "data-stop-refusal" in again and "already requested" in again and 'name="stop_on"' not in again
    # The resident's written record of what was asked: only for the request taken (the refusals sent nothing).
    customer = await session.get(Customer, resident.account.customer_id)
    (sent,) = (await session.scalars(select(MailMessage).where(MailMessage.subject.startswith("We received")))).all()
    assert sent.to_addr == customer.email and sent.subject == "We received your request to stop service"
    assert "900 Lake Dr, Austin, TX 78701" in sent.text_body and format_date(earliest()) in sent.text_body
    assert numbers.display(resident.account.number) in sent.text_body


async def test_a_move_walks_every_step_shows_the_deposit_and_can_be_cancelled(client, session, resident) -> None:
    target = await factories.make_account(
        session, status=AccountStatus.CLOSED, address="4410 Bluebonnet Dr", meter_size="1"
    )
    await session.commit()
    await sign_in(client, session, resident.user)
    search = await client.get("/my/move", params={"q": "4410 bluebonnet"})
    assert search.status_code == 200 and "4410 Bluebonnet Dr" in search.text
    assert "Okafor" not in search.text and "Lopez" not in search.text.split("Moving from")[0][-200:]
    none = await post_form(client, "/my/move/address", {})
    assert none.status_code == 400 and error_summary_links(none.text) == ["premise_id"]
    assert (await post_form(client, "/my/move/address", {"premise_id": str(target.premise_id)})).headers[
        "location"
    ] == "/my/move/date"
    bad = await post_form(client, "/my/move/date", {"stop_on": "", "start_on": today().isoformat()})
    assert bad.status_code == 400 and set(error_summary_links(bad.text)) == {"stop_on", "start_on"}
    day = earliest().isoformat()
    assert (await post_form(client, "/my/move/date", {"stop_on": day, "start_on": day})).headers[
        "location"
    ] == "/my/move/contact"
    assert (
        await post_form(client, "/my/move/contact", {"phone": "254-555-0199", "email": "maria@example.com"})
    ).headers["location"] == "/my/move/deposit"
    deposit_page = await client.get("/my/move/deposit")
    assert "$200.00" in deposit_page.text and "larger than 3/4 inch" in deposit_page.text
    letter_missing = await post_form(client, "/my/move/deposit", {"option": "letter"})
    assert letter_missing.status_code == 400 and set(error_summary_links(letter_missing.text)) == {
        "utility",
        "service_from",
    }
    assert (await post_form(client, "/my/move/deposit", {"option": "pay"})).headers["location"] == "/my/move/check"
    check = await client.get("/my/move/check")
    assert "$200.00" in check.text and "4410 Bluebonnet Dr" in check.text
    # Each "Change" sits on the row it changes: the stop date on the last day's row, the contact on phone and email.
    rows = dict(re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", check.text))
    assert "the stop date" in rows["Last day there"] and "Change" not in rows["Stop at"]
    assert "/my/move/contact" in rows["Phone"] and "/my/move/contact" in rows["Email"]
    sent = await post_form(client, "/my/move/check")
    assert sent.status_code == 303 and sent.headers["location"].startswith("/my/requests#request-")
    request = await session.scalar(select(ServiceRequest))
    assert request.kind == RequestKind.MOVE and request.details["deposit_cents"] == 20_000
    (confirmation,) = (
        await session.scalars(select(MailMessage).where(MailMessage.subject.startswith("We received")))
    ).all()
    assert confirmation.to_addr == "maria@example.com"  # the address just given in the flow
    assert confirmation.subject == "We received your request to move service"
    assert "4410 Bluebonnet Dr" in confirmation.text_body and "A deposit of $200.00 is due" in confirmation.text_body
    page = (await client.get("/my/requests")).text
    assert "$200.00" in page and "A deposit of $200.00 is due" in page and 'data-state="pending"' in page
    cancelled = await post_form(client, f"/my/requests/{request.id}/cancel", {"reason": "Lease fell through"})
    assert cancelled.status_code == 303
    await session.refresh(request)
    assert request.status == "cancelled"
    orders = list(await session.scalars(select(WorkOrder)))
    assert {o.status for o in orders} == {WorkOrderStatus.CANCELLED}
    # The sign-up was confirmed in writing; so is the cancel (it said nothing before).
    told = await session.scalar(select(MailMessage).where(MailMessage.subject == "Your request is cancelled"))
    assert told is not None and "request to move service at 4410 Bluebonnet Dr" in told.text_body
    assert "If you did not cancel it, call us" in told.text_body


@pytest.mark.parametrize("past_due", [False, True])
async def test_a_move_by_a_customer_who_pays_on_time_asks_no_new_deposit(client, session, resident, past_due) -> None:
    """The record on the account being left is the letter of credit: 12 bills in a row paid on time waive the new
    deposit (the count that earns a held deposit back); an unpaid past-due bill keeps it."""
    await bills_for(session, resident.account, past_due=past_due)
    target = await factories.make_account(
        session, status=AccountStatus.CLOSED, address="4410 Bluebonnet Dr", meter_size="1"
    )
    await session.commit()
    await sign_in(client, session, resident.user)
    await post_form(client, "/my/move/address", {"premise_id": str(target.premise_id)})
    day = earliest().isoformat()
    await post_form(client, "/my/move/date", {"stop_on": day, "start_on": day})
    await post_form(client, "/my/move/contact", {"phone": "254-555-0199", "email": "maria@example.com"})
    page = (await client.get("/my/move/deposit")).text
    shown = re.search(r"data-deposit>([^<]+)<", page).group(1)
    if past_due:
        assert shown == "$200.00" and "Your letter of credit" in page
    else:
        assert shown == "$0.00" and "Waived: the last 15 bills on the account being left were paid on time" in page
        assert "$200.00" in page and "Your letter of credit" not in page  # nothing to choose
        assert "refunded with interest" not in page  # no deposit: nothing to refund
    assert (await post_form(client, "/my/move/deposit", {"option": "pay"})).headers["location"] == "/my/move/check"
    assert (await post_form(client, "/my/move/check")).status_code == 303
    request = await session.scalar(select(ServiceRequest))
    assert request.details["deposit_cents"] == (20_000 if past_due else 0)
    assert request.details["deposit_rule"] == ("new_premise_large_meter" if past_due else "good_record")


async def test_an_address_someone_else_is_served_at_is_said_at_its_step(
    client, session, resident, other_resident
) -> None:
    """One customer's service at an address at a time, said where it is chosen: no stop set there, at the address;
    a stop set for a later day, at the date (before, it was refused only at the end, after the deposit)."""
    there = other_resident.account.premise_id
    await sign_in(client, session, resident.user)
    taken = await post_form(client, "/my/start/address", {"premise_id": str(there)})
    assert taken.status_code == 400 and "with no stop of service set" in taken.text
    assert error_summary_links(taken.text) == ["premise_id"]

    leaves = earliest() + dt.timedelta(days=7)
    while leaves.weekday() >= 5:
        leaves += dt.timedelta(days=1)
    await tenancy.stop_service(
        session,
        JOB,
        current_policy(),
        other_resident.account,
        stop_on=leaves,
        forwarding_address="9 Far Rd",
        today=today(),
    )
    await session.commit()
    assert (await post_form(client, "/my/start/address", {"premise_id": str(there)})).headers[
        "location"
    ] == "/my/start/date"
    early = await post_form(client, "/my/start/date", {"start_on": earliest().isoformat()})
    assert early.status_code == 400 and error_summary_links(early.text) == ["start_on"]
    assert f"until {format_date(leaves)}: start on that day or later" in early.text
    assert (await post_form(client, "/my/start/date", {"start_on": leaves.isoformat()})).headers[
        "location"
    ] == "/my/start/contact"


async def test_a_start_with_a_letter_of_credit_waives_the_deposit(client, session, resident) -> None:
    target = await factories.make_account(session, status=AccountStatus.CLOSED, address="12 Travis St")
    await session.commit()
    await sign_in(client, session, resident.user)
    await post_form(client, "/my/start/address", {"premise_id": str(target.premise_id)})
    await post_form(client, "/my/start/date", {"start_on": earliest().isoformat()})
    await post_form(client, "/my/start/contact", {"phone": "254-555-0199", "email": "maria@example.com"})
    response = await post_form(
        client,
        "/my/start/deposit",
        {
            "option": "letter",
            "utility": "Temple Water",
            "service_from": "2023-01-01",
            "service_to": "",
            "late_payments": "1",
            "disconnects": "0",
            "returned_payments": "0",
        },
    )
    assert response.headers["location"] == "/my/start/check"
    check = await client.get("/my/start/check")
    assert "$0.00" in check.text and "Temple Water" in check.text
    assert (await post_form(client, "/my/start/check")).status_code == 303
    request = await session.scalar(select(ServiceRequest))
    assert request.kind == RequestKind.START and request.details["deposit_cents"] == 0
    assert await session.get(UserAccount, (resident.user.id, request.to_account_id)) is not None


async def test_flow_pages_out_of_order_go_back_to_the_start(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    for step in ("date", "contact", "deposit", "check"):
        response = await client.get(f"/my/start/{step}", follow_redirects=False)
        assert response.status_code in (302, 303) and response.headers["location"] == "/my/start"
    assert (await client.get("/my/elsewhere/date")).status_code == 404


async def test_another_residents_request_cannot_be_cancelled(client, session, resident, other_resident) -> None:
    request = await tenancy.stop_service(
        session,
        JOB,
        current_policy(),
        other_resident.account,
        stop_on=earliest(),
        forwarding_address="1 Far Away Rd, Waco, TX 76701",
        today=today(),
    )
    await session.commit()
    await sign_in(client, session, resident.user)
    response = await post_form(client, f"/my/requests/{request.id}/cancel")
    assert response.status_code == 404
    await session.refresh(request)
    assert request.status == "pending"
    assert "Far Away" not in (await client.get("/my/requests")).text


async def test_an_eligible_extension_is_granted_at_once(client, session, resident) -> None:
    await bills_for(session, resident.account)
    await sign_in(client, session, resident.user)
    page = (await client.get("/my/extension")).text
    assert "You qualify" in page and "$95.00" in page
    promised = today() + dt.timedelta(days=7)
    response = await post_form(client, "/my/extension", {"promised_on": promised.isoformat()})
    assert response.status_code == 303
    extension = await session.scalar(select(PaymentExtension))
    assert extension.status == ExtensionStatus.ACTIVE and extension.amount_cents == 9_500
    page = (await client.get("/my/extension")).text
    assert 'data-extension="active"' in page and "Extension granted" in page
    (told,) = (await session.scalars(select(MailMessage).where(MailMessage.subject.contains("extension")))).all()
    assert told.subject == "Your payment extension is granted" and "$95.00" in told.text_body


async def test_an_extension_date_too_far_goes_to_review_and_no_past_due_is_refused(
    client, session, resident, other_resident
) -> None:
    await bills_for(session, resident.account)
    await sign_in(client, session, resident.user)
    # Only the date stands in the way: the resident is told and chooses (an earlier date, or a review of this one).
    late = (today() + dt.timedelta(days=14)).isoformat()
    too_far = await post_form(client, "/my/extension", {"promised_on": late})
    assert too_far.status_code == 400 and "before the next bill is due" in too_far.text
    assert "data-date-limit" in too_far.text and f'value="{late}"' in too_far.text
    assert not await session.scalar(select(func.count()).select_from(PaymentExtension))
    asked = await post_form(client, "/my/extension", {"promised_on": late, "review": "1"})
    assert asked.status_code == 303
    extension = await session.scalar(select(PaymentExtension))
    assert extension.status == ExtensionStatus.PENDING_REVIEW and "before the next bill is due" in extension.reason
    page = (await client.get("/my/extension")).text
    assert 'data-extension="pending_review"' in page and "Withdraw this request" in page

    # Taken back before anyone reviewed it: cancelled, audited, off the queue, and a new request can be made.
    withdrawn = await post_form(client, "/my/extension/withdraw", {})
    assert withdrawn.status_code == 303
    await session.refresh(extension)
    assert extension.status == ExtensionStatus.CANCELLED and extension.closed_on == today()
    audited = await session.scalar(select(AuditEvent).where(AuditEvent.action == "extension.cancel"))
    assert audited is not None and audited.entity_id == str(extension.id)
    page = (await client.get("/my/extension")).text
    assert "Your request for more time was withdrawn." in page and "Ask for the extension" in page
    again = await post_form(client, "/my/extension/withdraw", {})  # nothing left to withdraw: said, not an error
    assert again.status_code == 303
    assert "There is no request waiting for review" in (await client.get("/my/extension")).text

    # The other choice: the latest date granted at once, in place of the one typed.
    offered = re.search(r"Pay by ([A-Z][a-z]{2} \d{1,2}, \d{4}) instead", too_far.text)
    assert offered, too_far.text
    at_once = await post_form(client, "/my/extension", {"promised_on": late, "use_latest": "1"})
    assert at_once.status_code == 303
    granted = await session.scalar(select(PaymentExtension).where(PaymentExtension.status == ExtensionStatus.ACTIVE))
    assert granted is not None and format_date(granted.promised_on) == offered.group(1)


async def test_an_extension_without_a_past_due_balance_is_refused_with_the_reason(client, session, resident) -> None:
    await bills_for(session, resident.account, past_due=False)
    await sign_in(client, session, resident.user)
    response = await post_form(client, "/my/extension", {"promised_on": (today() + dt.timedelta(days=3)).isoformat()})
    assert response.status_code == 400 and "no past-due balance" in response.text
    empty = await post_form(client, "/my/extension", {"promised_on": ""})
    assert empty.status_code == 400 and error_summary_links(empty.text) == ["promised_on"]
    assert not await session.scalar(select(func.count()).select_from(PaymentExtension))


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 120, 200)).save(out, "PNG")
    return out.getvalue()


async def test_a_problem_report_with_a_photo_makes_a_work_order(client, session, resident, tmp_path, app) -> None:
    from portal.accounts import photos

    app.state.photo_store = photos.LocalPhotoStore(tmp_path)
    await sign_in(client, session, resident.user)
    token = client.cookies["csrftoken"]
    response = await client.post(
        "/my/report",
        data={
            "kind": "leak",
            "description": "Water bubbling by the meter box",
            "phone": "254-555-0142",
            "_csrf_token": token,
        },
        files={"photo": ("leak.png", png_bytes(), "image/png")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:800]
    order = await session.scalar(select(WorkOrder))
    assert order.kind == WorkOrderKind.LEAK_CHECK and "bubbling" in order.instructions
    photo = await session.scalar(select(Photo))
    assert photo.work_order_id == order.id
    assert "Leak" in (await client.get("/my/requests")).text
    (confirmation,) = (
        await session.scalars(select(MailMessage).where(MailMessage.subject.startswith("We received")))
    ).all()
    assert confirmation.subject == "We received your problem report"
    assert (
        "report of a leak at " in confirmation.text_body and f"Your reference is {order.id}." in confirmation.text_body
    )
    assert "call us now: 555-0199." in confirmation.text_body  # the emergency line (UTILITY_EMERGENCY_PHONE)
    assert re.search(rf"<dt>Reference</dt><dd>{order.id}</dd>", (await client.get("/my/requests")).text)  # as emailed
    # The home's open requests say which problem and when, so two reports are told apart.
    home = (await client.get("/my")).text
    assert re.search(r"Problem report</a>: Leak[^,<]*, sent [A-Z][a-z]{2} \d{1,2}, \d{4}", home), home


async def test_a_problem_report_refuses_a_file_that_is_not_a_photo(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    token = client.cookies["csrftoken"]
    response = await client.post(
        "/my/report",
        data={"kind": "no_water", "description": "Nothing from any tap", "_csrf_token": token},
        files={"photo": ("x.png", b"not an image at all" * 10, "image/png")},
        follow_redirects=False,
    )
    assert response.status_code == 400 and error_summary_links(response.text) == ["photo"]
    assert not await session.scalar(select(func.count()).select_from(WorkOrder))
    missing = await post_form(client, "/my/report", {"description": ""})
    assert set(error_summary_links(missing.text)) == {"kind", "description"}


async def test_preferences_are_saved_and_the_language_applies(client, session, resident) -> None:
    # Texts (Twilio configured or not): tests/http/test_text_preferences.py.
    await sign_in(client, session, resident.user)
    saved = await post_form(client, "/my/preferences", {"paperless": "y", "phone": "254-555-0177", "language": "es"})
    assert saved.status_code == 303
    customer = await session.get(Customer, resident.account.customer_id)
    await session.refresh(customer)
    assert customer.paperless and not customer.notify_email and customer.language == "es"
    assert customer.phone == "254-555-0177"
    page = await client.get("/my/preferences")
    assert '<html lang="es"' in page.text and "Preferencias" in page.text
    assert "Preferencias guardadas." in page.text  # the confirmation in the language chosen, not the one left


async def test_signing_out_keeps_the_saved_language_until_someone_signs_in(
    client, session, resident, other_resident
) -> None:
    """A Spanish reader who signs out is not dropped into English; the next person to sign in on the device gets
    their own language (the browser's here), and a device that chose a language keeps its choice."""
    resident.user.locale = "es"
    await session.commit()
    english = {"accept-language": "en-US,en;q=0.9"}
    await sign_in(client, session, resident.user)
    out = await post_form(client, "/signout")
    assert out.status_code == 302
    landing = await client.get("/", headers=english)
    assert '<html lang="es"' in landing.text and "Cerró la sesión." in landing.text
    assert '<html lang="es"' in (await client.get("/signin", headers=english)).text  # still, page after page

    await sign_in(client, session, other_resident.user)
    assert '<html lang="en"' in (await client.get("/my", headers=english)).text
    await post_form(client, "/signout")

    client.cookies.set("lang", "en")  # this device chose English
    await sign_in(client, session, resident.user)
    await post_form(client, "/signout")
    assert '<html lang="en"' in (await client.get("/", headers=english)).text


async def test_pages_are_in_spanish(client, session, resident) -> None:
    await bills_for(session, resident.account)
    await client.get("/lang/es")
    await sign_in(client, session, resident.user)
    page = (await client.get("/my/extension")).text
    assert "Más tiempo para pagar" in page and "prórroga" in page
    assert (
        "Solicitudes" in (await client.get("/my/requests")).text
        or "solicitudes" in (await client.get("/my/requests")).text
    )


async def test_a_cancelled_stop_puts_the_mailing_address_back(client, session, resident) -> None:
    """The stop set the customer's mailing address to its forwarding address; cancelling it left it there, so the next
    bills and any cut-off letter went to an address the customer never moved to."""
    customer = await session.get(Customer, resident.account.customer_id)
    customer.mailing_address = "PO Box 12, Riverton, TX 76501"
    await session.commit()
    await sign_in(client, session, resident.user)
    day = earliest().isoformat()
    asked = await post_form(client, "/my/stop", {"stop_on": day, "forwarding_address": "500 Elm St, Temple, TX 76501"})
    assert asked.status_code == 303
    await session.refresh(customer)
    assert customer.mailing_address == "500 Elm St, Temple, TX 76501"
    request = await session.scalar(select(ServiceRequest))
    assert (await post_form(client, f"/my/requests/{request.id}/cancel")).status_code == 303
    await session.refresh(customer)
    assert customer.mailing_address == "PO Box 12, Riverton, TX 76501"
    # Cancelled without a reason: the page says so in the reader's words, not the stored English.
    await client.get("/lang/es")
    page = (await client.get("/my/requests")).text
    assert "Por usted, en línea" in page and "Cancelled by the customer online" not in page
