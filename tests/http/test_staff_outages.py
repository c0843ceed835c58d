"""The console's outage screen: staff only, a phoned-in report logged, bad input refused with nothing written,
service back tells the affected residents once."""

from sqlalchemy import func, select

from portal.accounts.models import MailMessage, Outage, OutageReport
from tests import factories
from tests.http.helpers import post_form, sign_in


async def _count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def test_residents_and_technicians_may_not_reach_it(client, session, resident, technician) -> None:
    await sign_in(client, session, resident.user)
    assert (await client.get("/staff/outages")).status_code == 403
    response = await post_form(client, "/staff/outages/report", {"utility": "water", "address": "1 Oak St"})
    assert response.status_code == 403 and await _count(session, OutageReport) == 0


async def test_a_technician_may_not_log_a_report(client, session, technician) -> None:
    await sign_in(client, session, technician)
    response = await post_form(client, "/staff/outages/report", {"utility": "water", "address": "1 Oak St"})
    assert response.status_code == 403 and await _count(session, OutageReport) == 0


async def test_a_csr_logs_a_phoned_report_and_marks_service_back(client, session, csr) -> None:
    account = await factories.make_account(session, address="10 Oak St")
    account_id = account.id
    await session.commit()
    await sign_in(client, session, csr)
    response = await post_form(
        client, "/staff/outages/report", {"utility": "water", "address": "44 Oak Street", "phone": "555-0101"}
    )
    assert response.status_code in (302, 303)
    outage = await session.scalar(select(Outage))
    assert outage is not None and outage.streets == ["oak st"]
    outage_id = outage.id
    page = await client.get("/staff/outages")
    assert page.status_code == 200 and f"#{outage_id}" in page.text
    response = await post_form(client, f"/staff/outages/{outage_id}/restore")
    assert response.status_code in (302, 303)
    session.expire_all()
    keys = (await session.scalars(select(MailMessage.idempotency_key).where(MailMessage.kind == "outage"))).all()
    assert keys == [f"outage:{outage_id}:restored:{account_id}:email"]
    again = await post_form(client, f"/staff/outages/{outage_id}/restore")
    assert again.status_code == 409
    assert await session.scalar(select(func.count()).where(MailMessage.kind == "outage")) == 1
    assert (await post_form(client, "/staff/outages/999999/restore")).status_code == 404


async def test_bad_input_is_refused_with_nothing_written(client, session, csr) -> None:
    await sign_in(client, session, csr)
    for data in (
        {"utility": "gas", "address": "1 Oak St"},
        {"utility": "water", "address": ""},
        {"utility": "water", "address": "x" * 161},
        {"utility": "water", "address": "12"},
    ):
        response = await post_form(client, "/staff/outages/report", data)
        assert response.status_code in (400, 409), (data, response.status_code)
    assert await _count(session, OutageReport) == 0 and await _count(session, Outage) == 0
