"""A resident reports an outage at their own address; bad input writes nothing; other roles may not."""

from sqlalchemy import func, select

from portal.accounts.models import OutageReport
from tests.http.helpers import post_form, sign_in


async def test_a_resident_reports_an_outage_at_their_address(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    page = await client.get("/my/outage")
    assert page.status_code == 200 and "Oak St" in page.text
    assert (await post_form(client, "/my/outage", {"utility": "gas"})).status_code == 400
    assert await session.scalar(select(func.count()).select_from(OutageReport)) == 0
    response = await post_form(client, "/my/outage", {"utility": "power", "note": "Whole block dark"})
    assert response.status_code in (302, 303)
    row = await session.scalar(select(OutageReport))
    assert (row.account_id, row.source, row.utility, row.note) == (
        resident.account.id,
        "resident",
        "power",
        "Whole block dark",
    )
    spanish = await client.get("/my/outage", headers={"accept-language": "es"})
    assert spanish.status_code == 200


async def test_staff_may_not_use_the_resident_form(client, session, csr) -> None:
    await sign_in(client, session, csr)
    assert (await post_form(client, "/my/outage", {"utility": "water"})).status_code == 403
