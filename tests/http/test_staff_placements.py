"""/staff/placements: the accounts due for the collection agency, the supervisor's placement file (made once a day,
its CSV private, audited and safe from formulas), a recovery with the agency's fee, a recall, bad input, roles, and
"Placed with agency" on the account strip."""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import func, select

from portal.accounts import ledger
from portal.accounts.models import (
    AccountStatus,
    AuditEvent,
    CollectionPlacement,
    Customer,
    LedgerEntry,
    PlacementBatch,
    PlacementStatus,
)
from portal.accounts.policy import current_policy
from tests import factories
from tests.http.helpers import local_today, post_form, sign_in


def _old() -> dt.date:
    return local_today() - dt.timedelta(days=current_policy().collection_placement_days + 1)


async def _due(session, owed: int = 15_000, **kwargs):
    account = await factories.make_final_account(session, owed_cents=owed, due_on=_old(), **kwargs)
    await session.commit()
    return account


async def test_a_supervisor_makes_the_file_once_and_downloads_it_safe_and_audited(client, session, supervisor) -> None:
    account = await _due(session)
    (await session.get(Customer, account.customer_id)).business_name = '=HYPERLINK("http://evil","x")'
    held = await _due(session, 9_000, bankruptcy_hold=True)
    await session.commit()
    await sign_in(client, session, supervisor)
    page = await client.get("/staff/placements")
    assert page.status_code == 200
    assert account.number in page.text and 'data-eligible-count="1"' in page.text
    assert held.number in page.text and "Bankruptcy hold" in page.text  # listed as held back, not placed
    assert "$150.00" in page.text

    made = await post_form(client, "/staff/placements/file")
    assert made.status_code == 303
    again = await post_form(client, "/staff/placements/file")
    assert again.status_code == 303
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(PlacementBatch)) == 1
    assert await ledger.balance(session, account.id) == 0 and await ledger.balance(session, held.id) == 9_000

    batch = await session.scalar(select(PlacementBatch))
    answer = await client.get(f"/staff/placements/files/{batch.id}/csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["cache-control"] == "private, no-store"
    assert f'filename="placement-{batch.made_on.isoformat()}.csv"' in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:2] == ["account_number", "name"] and rows[1][0] == account.number
    assert rows[1][1].startswith("'=")  # a spreadsheet reads it as text
    assert rows[1][5] == "150.00"
    await session.commit()
    assert await session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "placement_batch.download")
    )
    assert (await client.get(f"/staff/placements/files/{batch.id + 1}/csv")).status_code == 404

    # The account strip and history say it.
    account_page = await client.get(f"/staff/accounts/{account.number}")
    assert 'data-alert="placed"' in account_page.text and "Placed with agency" in account_page.text


async def test_a_recovery_with_fee_and_a_recall_through_the_pages(client, session, supervisor) -> None:
    account = await _due(session, 20_000)
    await sign_in(client, session, supervisor)
    assert (await post_form(client, "/staff/placements/file")).status_code == 303
    await session.commit()
    placement = await session.scalar(select(CollectionPlacement).where(CollectionPlacement.account_id == account.id))
    url = f"/staff/placements/{placement.id}"
    assert (await client.get(url)).status_code == 200
    today = local_today().isoformat()

    bad = [
        {"gross": "", "fee": "0", "reference": "R1", "received_on": today},
        {"gross": "abc", "fee": "0", "reference": "R1", "received_on": today},
        {"gross": "-5", "fee": "0", "reference": "R1", "received_on": today},
        {"gross": "300.00", "fee": "0", "reference": "R1", "received_on": today},  # more than placed
        {"gross": "50.00", "fee": "50.00", "reference": "R1", "received_on": today},  # fee not below gross
        {"gross": "50.00", "fee": "5", "reference": "", "received_on": today},
        {"gross": "50.00", "fee": "5", "reference": "x" * 65, "received_on": today},
        {"gross": "50.00", "fee": "5", "reference": "R1", "received_on": "2999-01-01"},
        {"gross": "50.00", "fee": "5", "reference": "R1", "received_on": "not a date"},
        {"gross": "1e308", "fee": "5", "reference": "R1", "received_on": today},
    ]
    entries = await session.scalar(select(func.count()).select_from(LedgerEntry))
    for data in bad:
        answer = await post_form(client, f"{url}/recovery", data)
        assert 400 <= answer.status_code < 500, (data, answer.status_code)
        assert "There is a problem" in answer.text
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(LedgerEntry)) == entries  # nothing half-written

    ok = {"gross": "120.00", "fee": "30.00", "reference": "R1", "received_on": today}
    assert (await post_form(client, f"{url}/recovery", ok)).status_code == 303
    assert (await post_form(client, f"{url}/recovery", ok)).status_code == 303  # the same reference: nothing more
    await session.commit()
    assert await ledger.balance(session, account.id) == 0
    assert await session.scalar(select(func.count()).select_from(LedgerEntry)) == entries + 3
    page = await client.get(url)
    assert "R1" in page.text and "$90.00" in page.text

    assert (await post_form(client, f"{url}/recall", {"reason": ""})).status_code == 400
    assert (await post_form(client, f"{url}/recall", {"reason": "Paying at the counter"})).status_code == 303
    await session.commit()
    await session.refresh(placement)
    await session.refresh(account)
    assert placement.status == PlacementStatus.RECALLED and account.status == AccountStatus.FINAL
    assert await ledger.balance(session, account.id) == 8_000
    assert (await post_form(client, f"{url}/recall", {"reason": "again"})).status_code == 409
    assert (await client.get("/staff/placements/999999")).status_code == 404
    assert (await post_form(client, "/staff/placements/999999/recall", {"reason": "x"})).status_code == 404


async def test_nothing_due_says_so(client, session, supervisor) -> None:
    await sign_in(client, session, supervisor)
    answer = await post_form(client, "/staff/placements/file")
    assert answer.status_code == 303
    page = await client.get("/staff/placements")
    assert "No account is due for the collection agency today." in page.text
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(PlacementBatch)) == 0


async def test_a_csr_reads_but_cannot_place_download_recover_or_recall(client, session, csr, supervisor) -> None:
    account = await _due(session)
    await sign_in(client, session, supervisor)
    assert (await post_form(client, "/staff/placements/file")).status_code == 303
    client.cookies.clear()
    await session.commit()
    batch = await session.scalar(select(PlacementBatch))
    placement = await session.scalar(select(CollectionPlacement).where(CollectionPlacement.account_id == account.id))
    await sign_in(client, session, csr)
    page = await client.get("/staff/placements")
    assert page.status_code == 200 and "/staff/placements/file" not in page.text
    assert f"/staff/placements/files/{batch.id}/csv" not in page.text
    assert (await client.get(f"/staff/placements/{placement.id}")).status_code == 200
    assert (await post_form(client, "/staff/placements/file")).status_code == 403
    assert (await client.get(f"/staff/placements/files/{batch.id}/csv")).status_code == 403
    data = {"gross": "10.00", "fee": "0", "reference": "R9", "received_on": local_today().isoformat()}
    assert (await post_form(client, f"/staff/placements/{placement.id}/recovery", data)).status_code == 403
    assert (await post_form(client, f"/staff/placements/{placement.id}/recall", {"reason": "x"})).status_code == 403


async def test_residents_technicians_and_visitors_cannot_reach_it(client, session, resident, technician) -> None:
    assert (await client.get("/staff/placements", follow_redirects=False)).status_code in (302, 303, 401)
    for user in (resident.user, technician):
        await sign_in(client, session, user)
        assert (await client.get("/staff/placements", follow_redirects=False)).status_code == 403
        assert (await post_form(client, "/staff/placements/file")).status_code == 403
        client.cookies.clear()


async def test_a_counter_payment_on_a_placed_account_is_shown_as_paid_directly(
    client, session, supervisor, csr
) -> None:
    from portal.accounts import numbers

    account = await _due(session, 12_000)
    account_id, number = account.id, account.number
    await sign_in(client, session, supervisor)
    assert (await post_form(client, "/staff/placements/file")).status_code == 303
    page = await client.get("/staff/placements")
    assert "Paid directly: tell the agency" in page.text and "None since the last file." in page.text

    await sign_in(client, session, csr)
    assert (await post_form(client, "/staff/drawer/open", {"opening_float": "100.00"})).status_code == 303
    paid = await post_form(
        client,
        "/staff/drawer/payments",
        {
            "account_number": numbers.display(number),
            "account_id": str(account_id),
            "tender": "cash",
            "amount": "50.00",
            "check_number": "",
        },
    )
    assert paid.status_code == 303, paid.text
    await session.commit()
    session.expire_all()
    assert await ledger.balance(session, account_id) == 0  # owed again, then paid: no credit
    placement = await session.scalar(select(CollectionPlacement).where(CollectionPlacement.account_id == account_id))
    assert placement.status == PlacementStatus.PLACED

    page = await client.get("/staff/placements")
    assert page.status_code == 200 and "None since the last file." not in page.text
    assert f'href="/staff/placements/{placement.id}"' in page.text and "$50.00" in page.text
    one = await client.get(f"/staff/placements/{placement.id}")
    assert one.status_code == 200 and "Paid directly: tell the agency" in one.text
    assert "$50.00" in one.text and "$70.00" in one.text  # paid directly; still placed
    spanish = await client.get(f"/staff/placements/{placement.id}", headers={"accept-language": "es"})
    assert "Pagado directamente: avise a la agencia" in spanish.text
    audits = await session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "collections.direct_payment")
    )
    assert audits == 1


async def test_opening_a_bankruptcy_on_a_placed_account_recalls_it_and_says_so(client, session, supervisor) -> None:
    account = await _due(session, 20_000)
    await sign_in(client, session, supervisor)
    assert (await post_form(client, "/staff/placements/file")).status_code == 303
    opened = await post_form(
        client,
        f"/staff/accounts/{account.number}/cases",
        {
            "kind": "bankruptcy",
            "reason": "Chapter 7",
            "chapter": "7",
            "case_number": "26-555",
            "filed_on": local_today().isoformat(),
        },
    )
    assert opened.status_code == 303
    page = await client.get(opened.headers["location"])
    assert "recalled from the collection agency (automatic stay)" in page.text
    await session.commit()
    placement = await session.scalar(
        select(CollectionPlacement)
        .where(CollectionPlacement.account_id == account.id)
        .execution_options(populate_existing=True)
    )
    assert placement.status == PlacementStatus.RECALLED
    assert await ledger.balance(session, account.id) == 20_000
    today = local_today().isoformat()
    refused = await post_form(
        client,
        f"/staff/placements/{placement.id}/recovery",
        {"gross": "50.00", "fee": "5", "reference": "R9", "received_on": today},
    )
    assert refused.status_code == 409
