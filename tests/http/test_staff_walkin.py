"""The walk-in demo on a counter tablet: a practice account that never touches the database, and the QR code."""

from sqlalchemy import func, select

from portal.accounts.models import Account, AuditEvent, LedgerEntry
from tests.http.helpers import post_form, sign_in


async def _counts(session) -> tuple[int, int, int]:
    await session.commit()
    return tuple(
        [await session.scalar(select(func.count()).select_from(m)) for m in (Account, LedgerEntry, AuditEvent)]
    )


async def test_a_practice_payment_changes_no_real_account(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    before = await _counts(session)
    page = await client.get("/staff/walkin")
    assert page.status_code == 200 and "Practice account." in page.text and "DEMO-0000-1" in page.text
    assert 'class="chart__svg"' in page.text
    paid = await post_form(client, "/staff/walkin/pay", {"amount": "10.00"})
    assert paid.status_code == 303
    after = await client.get("/staff/walkin")
    assert "Practice payment made" in after.text
    too_much = await post_form(client, "/staff/walkin/pay", {"amount": "99999.00"})
    assert too_much.status_code == 400
    assert (await post_form(client, "/staff/walkin/paperless")).status_code == 303
    assert "Paperless is on" in (await client.get("/staff/walkin")).text
    assert (await post_form(client, "/staff/walkin/reset")).status_code == 303
    assert "Paperless is off" in (await client.get("/staff/walkin")).text
    assert await _counts(session) == before


async def test_the_qr_code_opens_the_real_sign_up(client, session, csr) -> None:
    await sign_in(client, session, csr)
    page = await client.get("/staff/walkin/qr")
    assert page.status_code == 200 and "<svg" in page.text and "http://portal.test/signup" in page.text


async def test_a_technician_cannot_open_the_walk_in_demo(client, session, technician) -> None:
    await sign_in(client, session, technician)
    assert (await client.get("/staff/walkin")).status_code == 403
