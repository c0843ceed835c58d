"""Cases through the console: open from the account page, the work queue, a case's page, assign, note, resolve, a
bankruptcy's discharge and dismissal; bad input answered in words with nothing written; roles checked."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.accounts import ledger
from portal.accounts.actor import Actor
from portal.accounts.models import AuditEvent, Case, CaseNote, LedgerEntry, LedgerKind
from tests.http.helpers import local_today, post_form, sign_in

JOB = Actor.job("test")


async def _owe(session, account, cents: int = 30_000) -> None:
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.FEE,
        amount_cents=cents,
        source_key=f"test-fee:{account.id}:{cents}",
        effective_on=local_today() - dt.timedelta(days=60),
    )
    await session.commit()


async def _cases(session) -> list[Case]:
    await session.commit()  # see what the app committed
    return list(await session.scalars(select(Case).order_by(Case.id).execution_options(populate_existing=True)))


async def _open(client, resident, **data) -> object:
    return await post_form(client, f"/staff/accounts/{resident.account.number}/cases", data)


async def test_a_csr_opens_works_and_resolves_a_complaint(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    opened = await _open(client, resident, kind="complaint", reason="Meter reader left the gate open")
    assert opened.status_code == 303
    (case,) = await _cases(session)
    assert opened.headers["location"] == f"/staff/cases/{case.id}"
    page = await client.get(f"/staff/cases/{case.id}")
    assert page.status_code == 200 and "Meter reader left the gate open" in page.text and "Unassigned" in page.text
    assert "Complaint open" in (await client.get(f"/staff/accounts/{resident.account.number}")).text
    unassigned = await client.get("/staff/cases?view=unassigned")
    assert f"/staff/cases/{case.id}" in unassigned.text
    assert f"/staff/cases/{case.id}" not in (await client.get("/staff/cases")).text  # mine: nothing yet
    assert (await post_form(client, f"/staff/cases/{case.id}/assign", {"owner": "me"})).status_code == 303
    assert f"/staff/cases/{case.id}" in (await client.get("/staff/cases?view=mine&kind=complaint")).text
    assert f"/staff/cases/{case.id}" not in (await client.get("/staff/cases?view=mine&kind=dispute")).text
    assert (await post_form(client, f"/staff/cases/{case.id}/notes", {"body": "Called back"})).status_code == 303
    assert "Called back" in (await client.get(f"/staff/cases/{case.id}")).text
    resolved = await post_form(client, f"/staff/cases/{case.id}/resolve", {"resolution": "Apologized"})
    assert resolved.status_code == 303
    (case,) = await _cases(session)
    assert (case.status, case.owner_id, case.resolution) == ("resolved", csr.id, "Apologized")
    again = await post_form(client, f"/staff/cases/{case.id}/resolve", {"resolution": "Again"})
    assert again.status_code == 409
    audited = list(
        await session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "case").order_by(AuditEvent.id))
    )
    assert audited == ["case.open", "case.assign", "case.note", "case.resolve"]


async def test_bad_input_is_refused_in_words_and_nothing_is_written(client, session, csr, resident) -> None:
    await _owe(session, resident.account)
    await sign_in(client, session, csr)
    later = (local_today() + dt.timedelta(days=400)).isoformat()
    for data, words in [
        ({"kind": "complaint", "reason": ""}, "Say why."),
        ({"kind": "lawsuit", "reason": "x"}, "Choose a dispute, a complaint or a bankruptcy."),
        ({"kind": "complaint", "reason": "x", "due_on": "soon"}, "Give the date as YYYY-MM-DD."),
        ({"kind": "complaint", "reason": "x", "due_on": later}, "The due date must be from today"),
        ({"kind": "dispute", "reason": "x", "disputed": "lots"}, "Give the amount in dollars and cents"),
        ({"kind": "dispute", "reason": "x", "disputed": ""}, "Give the disputed amount."),
        ({"kind": "dispute", "reason": "x", "disputed": "300.01"}, "cannot be more than the balance"),
        (
            {"kind": "bankruptcy", "reason": "x", "chapter": "12", "case_number": "1", "filed_on": "2026-01-02"},
            "chapter 7, 11 or 13",
        ),
        (
            {"kind": "bankruptcy", "reason": "x", "chapter": "7", "case_number": "", "filed_on": "2026-01-02"},
            "case number",
        ),
        (
            {"kind": "bankruptcy", "reason": "x", "chapter": "7", "case_number": "26-1", "filed_on": ""},
            "Give the filing date.",
        ),
        (
            {"kind": "bankruptcy", "reason": "x", "chapter": "7", "case_number": "26-1", "filed_on": later},
            "in the future",
        ),
    ]:
        response = await _open(client, resident, **data)
        assert response.status_code == 400, (data, response.status_code)
        assert words in response.text, (data, words)
    assert await _cases(session) == []
    assert (await client.get("/staff/cases?view=everything")).status_code == 400
    assert (await client.get("/staff/cases?kind=lawsuit")).status_code == 400
    assert (await client.get("/staff/cases/999999")).status_code == 404
    assert (await post_form(client, "/staff/cases/999999/notes", {"body": "x"})).status_code == 404


async def test_a_dispute_shows_in_the_strip_with_its_amount(client, session, csr, resident) -> None:
    await _owe(session, resident.account)
    await sign_in(client, session, csr)
    assert (await _open(client, resident, kind="dispute", reason="Fee", disputed="$100.00")).status_code == 303
    (case,) = await _cases(session)
    assert case.disputed_cents == 10_000 and case.due_on == local_today() + dt.timedelta(days=30)
    page = (await client.get(f"/staff/accounts/{resident.account.number}")).text
    assert "$100.00 disputed" in page and f"/staff/cases/{case.id}" in page
    note = await post_form(client, f"/staff/cases/{case.id}/notes", {"body": "   "})
    assert note.status_code == 400 and "Say why." in note.text
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(CaseNote)) == 0


async def test_assigning_to_someone_else_is_a_supervisors(client, session, csr, supervisor, resident) -> None:
    await sign_in(client, session, csr)
    await _open(client, resident, kind="complaint", reason="x")
    (case,) = await _cases(session)
    to_boss = await post_form(client, f"/staff/cases/{case.id}/assign", {"owner": str(supervisor.id)})
    assert to_boss.status_code == 403
    assert (await post_form(client, f"/staff/cases/{case.id}/assign", {"owner": "abc"})).status_code == 400
    assert 'name="owner" value="me"' in (await client.get(f"/staff/cases/{case.id}")).text
    assert 'id="owner"' not in (await client.get(f"/staff/cases/{case.id}")).text  # no list of people for a CSR
    await sign_in(client, session, supervisor)
    page = await client.get(f"/staff/cases/{case.id}")
    assert 'id="owner"' in page.text
    assert (await post_form(client, f"/staff/cases/{case.id}/assign", {"owner": str(csr.id)})).status_code == 303
    (case,) = await _cases(session)
    assert case.owner_id == csr.id
    assert (await post_form(client, f"/staff/cases/{case.id}/assign", {"owner": "none"})).status_code == 303
    (case,) = await _cases(session)
    assert case.owner_id is None


async def test_a_bankruptcy_discharge_is_a_supervisors_and_writes_the_held_balance_off(
    client, session, csr, supervisor, resident
) -> None:
    await _owe(session, resident.account)
    await sign_in(client, session, csr)
    filed = (local_today() - dt.timedelta(days=10)).isoformat()
    opened = await _open(
        client, resident, kind="bankruptcy", reason="Chapter 7", chapter="7", case_number="26-10077", filed_on=filed
    )
    assert opened.status_code == 303
    (case,) = await _cases(session)
    assert (case.chapter, case.case_number, case.held_cents) == (7, "26-10077", 30_000)
    strip = (await client.get(f"/staff/accounts/{resident.account.number}")).text
    assert "Bankruptcy case 26-10077" in strip and "$300.00 held" in strip
    today = local_today().isoformat()
    data = {"discharged_on": today, "resolution": "Discharged"}
    assert (await post_form(client, f"/staff/cases/{case.id}/discharge", data)).status_code == 403
    assert (await post_form(client, f"/staff/cases/{case.id}/resolve", {"resolution": "x"})).status_code == 409
    await sign_in(client, session, supervisor)
    await ledger.post(  # a payment since the petition: the discharge writes off the rest only
        session,
        JOB,
        account_id=resident.account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-10_000,
        source_key="test-trustee",
        effective_on=local_today(),
    )
    await session.commit()
    assert "write off $200.00" in (await client.get(f"/staff/cases/{case.id}")).text
    bad = await post_form(client, f"/staff/cases/{case.id}/discharge", {"discharged_on": "x", "resolution": "y"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    assert (await post_form(client, f"/staff/cases/{case.id}/discharge", data)).status_code == 303
    (case,) = await _cases(session)
    assert (case.status, case.outcome) == ("resolved", "discharged")
    entry = await session.get(LedgerEntry, case.write_off_entry_id)
    assert (entry.kind, entry.amount_cents) == (LedgerKind.WRITE_OFF, -20_000)
    assert await ledger.balance(session, resident.account.id) == 0
    assert (await post_form(client, f"/staff/cases/{case.id}/discharge", data)).status_code == 409


async def test_a_bankruptcy_dismissal_is_a_supervisors(client, session, csr, supervisor, resident) -> None:
    await sign_in(client, session, csr)
    await _open(
        client,
        resident,
        kind="bankruptcy",
        reason="x",
        chapter="13",
        case_number="26-2",
        filed_on=local_today().isoformat(),
    )
    (case,) = await _cases(session)
    assert "Record the dismissal" not in (await client.get(f"/staff/cases/{case.id}")).text
    assert (await post_form(client, f"/staff/cases/{case.id}/dismiss", {"resolution": "Dismissed"})).status_code == 403
    (case,) = await _cases(session)
    assert case.status == "open"
    await sign_in(client, session, supervisor)
    assert "Record the dismissal" in (await client.get(f"/staff/cases/{case.id}")).text
    assert (await post_form(client, f"/staff/cases/{case.id}/dismiss", {"resolution": ""})).status_code == 400
    assert (await post_form(client, f"/staff/cases/{case.id}/dismiss", {"resolution": "Dismissed"})).status_code == 303
    (case,) = await _cases(session)
    assert (case.outcome, case.write_off_entry_id) == ("dismissed", None)
    complaint = await _open(client, resident, kind="complaint", reason="y")
    (_b, other) = await _cases(session)
    assert complaint.status_code == 303
    assert (await post_form(client, f"/staff/cases/{other.id}/dismiss", {"resolution": "x"})).status_code == 409


async def test_cases_are_staff_only(client, session, technician, resident) -> None:
    await sign_in(client, session, technician)
    assert (await client.get("/staff/cases")).status_code == 403
    await sign_in(client, session, resident.user)
    assert (await client.get("/staff/cases")).status_code == 403
    assert (await post_form(client, "/staff/cases/1/resolve", {"resolution": "x"})).status_code == 403
