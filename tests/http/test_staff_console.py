"""The CSR console: who may open it, account search, the account page, notes and the medical alert."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.accounts import ledger, numbers
from portal.accounts.actor import Actor
from portal.accounts.models import AccountNote, AuditEvent, Customer, LedgerKind
from tests import factories
from tests.http.helpers import local_today, post_form, sign_in


async def test_a_technician_cannot_open_the_console(client, session, technician) -> None:
    await sign_in(client, session, technician)
    for path in ("/staff", "/staff/accounts?q=lopez"):
        assert (await client.get(path)).status_code == 403


async def test_a_resident_cannot_open_the_console_or_an_account_there(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    assert (await client.get("/staff")).status_code == 403
    assert (await client.get(f"/staff/accounts/{resident.account.number}")).status_code == 403


async def test_a_visitor_is_sent_to_sign_in(client) -> None:
    response = await client.get("/staff/accounts", follow_redirects=False)
    assert response.status_code in (302, 303) and response.headers["location"].startswith("/signin")


@pytest.mark.parametrize(
    "query",
    ["number", "display number", "Lopez", "maría lop", "oak st", "phone", "phone digits", "serial"],
)
async def test_a_csr_finds_an_account_by_any_detail(client, session, csr, resident, other_resident, query) -> None:
    account = resident.account
    customer = await session.get(Customer, account.customer_id)
    from portal.accounts.models import Meter, Premise

    premise = await session.get(Premise, account.premise_id)
    meter = await session.scalar(select(Meter).where(Meter.premise_id == premise.id))
    typed = {
        "number": account.number,
        "display number": numbers.display(account.number),
        "phone": customer.phone,
        "phone digits": customer.phone.replace("-", "")[-7:],
        "serial": meter.serial.lower(),
        "oak st": premise.address.split(" ", 1)[1].lower(),
    }.get(query, query)
    await sign_in(client, session, csr)
    page = await client.get("/staff/accounts", params={"q": typed}, follow_redirects=False)
    if page.status_code == 303:  # one account matches: the console opens it rather than listing one row
        assert page.headers["location"] == f"/staff/accounts/{account.number}", typed
    else:
        assert page.status_code == 200
        assert f'href="/staff/accounts/{account.number}"' in page.text, typed
    if query in ("number", "serial", "phone"):
        assert page.status_code == 303, typed


async def test_a_search_too_short_to_mean_anything_says_so(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    page = await client.get("/staff/accounts", params={"q": "Lo"})
    assert "Type at least 3 letters" in page.text and "/staff/accounts/" + resident.account.number not in page.text


async def test_the_home_page_and_the_results_share_one_search_form(client, session, csr) -> None:
    await sign_in(client, session, csr)
    for path in ("/staff", "/staff/accounts?q=zzz"):
        page = await client.get(path)
        assert page.text.count('role="search"') == 1 and 'id="q-hint"' in page.text


async def test_the_account_page_shows_the_ledger_with_a_running_balance(client, session, csr, resident) -> None:
    actor = Actor.job("test")
    account = resident.account
    await ledger.post(
        session,
        actor,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=12_345,
        source_key="t:1",
        effective_on=dt.date(2026, 1, 5),
        memo="January bill",
    )
    await ledger.post(
        session,
        actor,
        account_id=account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-2_345,
        source_key="t:2",
        effective_on=dt.date(2026, 1, 20),
        memo="Payment thanks",
    )
    await session.commit()
    await sign_in(client, session, csr)
    page = await client.get(f"/staff/accounts/{account.number}")
    assert page.status_code == 200
    text = page.text
    assert "January bill" in text and "$123.45" in text and "$100.00" in text
    for section in (
        'id="bills"',
        'id="reads"',
        'id="orders"',
        'id="plans"',
        'id="deposit"',
        'id="autopay"',
        'id="notes"',
        'id="history"',
        'id="medical"',
    ):
        assert section in text
    assert "System: Posted to the ledger: January bill" in text  # the audit history, in words


async def test_an_unknown_account_number_is_a_404(client, session, csr) -> None:
    await sign_in(client, session, csr)
    assert (await client.get("/staff/accounts/123456789")).status_code == 404


async def test_a_note_is_kept_with_its_author_and_audited(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    url = f"/staff/accounts/{resident.account.number}"
    response = await post_form(client, f"{url}/notes", {"body": "Called about a high bill; leak fixed 11/20."})
    assert response.status_code == 303
    page = await client.get(url)
    assert "Angela Ruiz: Called about a high bill" in page.text
    await session.commit()
    assert (
        await session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "account.note"))
        == 1
    )


async def test_an_empty_note_is_refused_and_nothing_is_written(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    response = await post_form(client, f"/staff/accounts/{resident.account.number}/notes", {"body": "  "})
    assert response.status_code == 400 and "There is a problem" in response.text and 'href="#body"' in response.text
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(AccountNote)) == 0


async def test_a_medical_certificate_holds_off_disconnection_for_the_policy_days(
    client, session, csr, resident
) -> None:
    await sign_in(client, session, csr)
    url = f"/staff/accounts/{resident.account.number}/medical-alert"
    today = local_today()
    future = await post_form(client, url, {"certified_on": (today + dt.timedelta(days=3)).isoformat()})
    assert future.status_code == 400 and "cannot be in the future" in future.text
    response = await post_form(client, url, {"certified_on": today.isoformat()})
    assert response.status_code == 303
    await session.commit()
    customer = await session.get(Customer, resident.account.customer_id)
    await session.refresh(customer)
    assert customer.medical_alert_until == today + dt.timedelta(days=30)
    page = await client.get(f"/staff/accounts/{resident.account.number}")
    assert "no disconnection for non-payment until then" in page.text


async def test_a_certification_is_renewed_at_most_twice_for_the_same_arrears(client, session, csr, resident) -> None:
    from portal.accounts.models import MedicalCertification

    today = local_today()
    due = today - dt.timedelta(days=45)
    await factories.make_past_due_bill(session, resident.account, cents=9_000, due_on=due)
    await session.commit()
    await sign_in(client, session, csr)
    url = f"/staff/accounts/{resident.account.number}/medical-alert"
    for days_ago in (20, 10, 0):
        assert (
            await post_form(client, url, {"certified_on": (today - dt.timedelta(days=days_ago)).isoformat()})
        ).status_code == 303
    page = (await client.get(f"/staff/accounts/{resident.account.number}")).text
    assert "3 of 3 certifications used" in page
    refused = await post_form(client, url, {"certified_on": today.isoformat()})
    assert (
        refused.status_code == 400
        and "There is a problem" in refused.text
        and "renewed 2 times for these arrears" in refused.text
    )
    await session.commit()
    rows = list(await session.scalars(select(MedicalCertification).order_by(MedicalCertification.id)))
    assert len(rows) == 3 and {r.arrears_since for r in rows} == {due}
    customer = await session.get(Customer, resident.account.customer_id)
    await session.refresh(customer)
    assert customer.medical_alert_until == today + dt.timedelta(
        days=30
    )  # the third certificate's, unchanged by the refusal
    # Once those arrears are paid, new arrears start a new count.
    await ledger.post(
        session,
        Actor.job("test"),
        account_id=resident.account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-9_000,
        source_key="paid-up",
        effective_on=today,
    )
    await session.commit()
    assert (await post_form(client, url, {"certified_on": today.isoformat()})).status_code == 303
    await session.commit()
    assert (
        await session.scalars(select(MedicalCertification).order_by(MedicalCertification.id.desc()))
    ).first().arrears_since is None


async def test_the_csrf_token_is_required_to_add_a_note(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    response = await client.post(f"/staff/accounts/{resident.account.number}/notes", data={"body": "x"})
    assert response.status_code == 403
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(AccountNote)) == 0


async def test_a_mistyped_account_number_is_answered_with_the_account_it_is_one_slip_from(
    client, session, csr, resident
) -> None:
    number = resident.account.number
    typo = number[:4] + str((int(number[4]) + 1) % 10) + number[5:]
    await sign_in(client, session, csr)
    page = await client.get("/staff/accounts", params={"q": numbers.display(typo)}, follow_redirects=False)
    assert page.status_code == 200 and "That account number has a slip in it" in page.text
    assert f'href="/staff/accounts/{number}"' in page.text


async def test_a_search_that_finds_several_accounts_lists_them_and_opens_none(
    client, session, csr, resident, other_resident
) -> None:
    await sign_in(client, session, csr)
    page = await client.get("/staff/accounts", params={"q": "Oak St"}, follow_redirects=False)
    assert page.status_code == 200
    for account in (resident.account, other_resident.account):
        assert f'href="/staff/accounts/{account.number}"' in page.text


async def test_a_search_with_more_matches_than_shown_does_not_claim_a_count(client, session, csr) -> None:
    """It said "25 results" when 26 accounts matched: the heading now says these are the first ones."""
    from tests import factories

    for n in range(26):
        await factories.make_account(session, address=f"{100 + n} Birch Ln")
    await session.commit()
    await sign_in(client, session, csr)
    page = await client.get("/staff/accounts", params={"q": "Birch Ln"})
    assert "The first 25 results</h2>" in page.text and ">25 results</h2>" not in page.text
    assert "More accounts match" in page.text


async def test_the_oldest_read_shown_has_its_use_too(client, session, csr, resident) -> None:
    """The 13th read on the account page said "Use since the last read —": its previous read was just past the list."""
    import datetime as dt

    from portal.accounts.models import MeterRead, ReadSource
    from tests.integration.billing_helpers import at, meter_of, monthly_reads

    meter = await meter_of(session, resident.account)
    for day, value in monthly_reads(dt.date(2026, 11, 20), 15, per_month=5_000):
        session.add(MeterRead(meter_id=meter.id, value=value, read_at=at(day), source=ReadSource.FIELD, flags=[]))
    await session.commit()
    await sign_in(client, session, csr)
    page = (await client.get(f"/staff/accounts/{resident.account.number}")).text
    rows = page.split('id="reads"', 1)[1].split("</tbody>", 1)[0].split("<tr>")[2:]
    assert len(rows) == 13 and all("5,000" in row for row in rows), rows[-1]
