"""The public outage page: no sign-in, cacheable a minute, English and Spanish, the SVG with the list as its text."""

import datetime as dt

from portal import mail
from portal.accounts import outages
from portal.accounts.actor import Actor
from portal.accounts.models import Outage
from tests import factories

SERVED = ("water", "electric")  # told of water and power outages alike

JOB = Actor.job("test")


async def _open_outage(session) -> Outage:
    account = await factories.make_account(session, address="12 Oak St", services=SERVED)
    premise = await session.get(factories.Premise, account.premise_id)
    premise.lat, premise.lon = 31.1, -97.3
    now = dt.datetime.now(dt.UTC)
    report = await outages.report(session, JOB, utility="water", now=now, source="resident", account=account)
    outage = await session.get(Outage, report.outage_id)
    await outages.update(
        session,
        JOB,
        outage,
        mail.queue_once_many,
        now=now,
        cause="Main break",
        streets=["oak st"],
        routes=[],
        polygon=[[31.0, -97.4], [31.2, -97.4], [31.2, -97.2]],
        estimate=now + dt.timedelta(hours=3),
        text="Crew on site",
    )
    await session.commit()
    return outage


async def test_nothing_known_is_said_plainly_and_the_page_is_cacheable(client) -> None:
    page = await client.get("/outages")
    assert page.status_code == 200
    assert "No outages are known right now." in page.text
    assert page.headers["cache-control"] == "public, max-age=60"
    assert "set-cookie" not in page.headers  # nothing personal: a shared cache may keep it
    assert "<form" not in page.text


async def test_an_open_outage_shows_in_the_list_and_the_map(client, session) -> None:
    await _open_outage(session)
    page = await client.get("/outages")
    assert page.status_code == 200 and page.headers["cache-control"] == "public, max-age=60"
    assert "Water outage" in page.text and "Oak St" in page.text and "Main break" in page.text
    assert 'role="img"' in page.text and '<title id="outage-map-title">' in page.text
    assert "<circle" in page.text and "<polygon" in page.text
    spanish = await client.get("/outages", headers={"accept-language": "es"})
    assert '<html lang="es"' in spanish.text and "Corte de agua" in spanish.text


async def test_the_page_ignores_the_session_so_it_stays_cacheable(client) -> None:
    """The page is answered without the session or CSRF cookie (portal/app.py excludes it): nothing personal."""
    page = await client.get("/outages", headers={"cookie": "portal_session=anything; csrftoken=x"})
    assert page.status_code == 200 and page.headers["cache-control"] == "public, max-age=60"
    assert "Sign out" not in page.text and "set-cookie" not in page.headers
