"""The public outage page: no sign-in, a visitor's copy cacheable a minute, a signed-in resident's their own, English
and Spanish, the SVG with the list as its text."""

import datetime as dt
import re

from portal import mail
from portal.accounts import outages
from portal.accounts.actor import Actor
from portal.accounts.models import Outage
from tests import factories
from tests.http.helpers import sign_in

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
        cause="main_break",
        streets=["oak st"],
        routes=[],
        polygon=[[31.0, -97.4], [31.2, -97.4], [31.2, -97.2]],
        estimate=now + dt.timedelta(hours=3),
        text="Crew on site",
        text_es="Cuadrilla en el lugar",
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
    assert "Water outage" in page.text and "Oak St" in page.text and "Cause: Water main break" in page.text
    assert "Crew on site" in page.text and "Cuadrilla" not in page.text
    assert 'role="img"' in page.text and '<title id="outage-map-title">' in page.text
    assert "<circle" in page.text and "<polygon" in page.text
    assert "1 outage known right now." in page.text  # one, not "1 outage(s)"
    spanish = await client.get("/outages", headers={"accept-language": "es"})
    assert '<html lang="es"' in spanish.text and "Corte de agua" in spanish.text
    assert "1 corte conocido en este momento." in spanish.text
    # The cause was picked from a list and the update written twice: a Spanish reader gets neither in English.
    assert "Causa: Rotura de tubería principal" in spanish.text and "Cuadrilla en el lugar" in spanish.text
    assert "Water main break" not in spanish.text and "Crew on site" not in spanish.text
    # A Spanish time ends in "a.m."/"p.m.": that period closes the sentence ("p.m.." was shown).
    assert "m.." not in spanish.text


async def test_a_cause_typed_before_the_list_shows_as_typed_and_an_english_only_update_in_both(client, session) -> None:
    outage = await _open_outage(session)
    outage.cause = "Contractor dug through the main"
    outage.updates = [{"at": outage.started_at.isoformat(), "text": "Crew on site", "estimate": None}]
    await session.commit()
    spanish = await client.get("/outages", headers={"accept-language": "es"})
    assert "Causa: Contractor dug through the main" in spanish.text and "Crew on site" in spanish.text


async def test_the_cached_copy_varies_by_language_so_choosing_spanish_shows_spanish(client) -> None:
    """The compressed page said only "Vary: Accept-Encoding": a browser kept its English copy for a minute and showed
    it again after the visitor chose Español."""
    page = await client.get("/outages", headers={"accept-encoding": "gzip"})
    vary = {part.strip().lower() for part in page.headers["vary"].split(",")}
    assert {"accept-encoding", "cookie", "accept-language"} <= vary, page.headers["vary"]


async def test_a_stale_session_cookie_is_cleared_and_that_answer_is_not_cached(client) -> None:
    """A visitor's copy is shared; an answer that clears a bad session cookie carries a Set-Cookie, so no cache keeps
    it (it would hand the cookie to the next visitor)."""
    page = await client.get("/outages", headers={"cookie": "portal_session=anything; csrftoken=x"})
    assert page.status_code == 200 and "Sign out" not in page.text
    assert "portal_session=null" in page.headers["set-cookie"] and page.headers["cache-control"] == "no-store"


async def test_a_signed_in_resident_sees_it_in_their_language_with_their_menu_never_cached(client, session) -> None:
    """Followed from the resident's own pages ("Known outages"), the page is theirs: their saved language, their menu
    with a sign-out that works, and no copy kept by any cache. It sets no cookie."""
    await _open_outage(session)
    user = await factories.make_user(session, factories.Role.CUSTOMER, name="Ana Ruiz")
    user.locale = "es"
    await session.commit()
    await sign_in(client, session, user)
    await client.get("/my/link")  # the sign-in's one-time notice, which changes the session, is shown there
    page = await client.get("/outages")
    assert page.status_code == 200
    assert '<html lang="es"' in page.text and "Corte de agua" in page.text
    assert "Cerrar sesión" in page.text and "Iniciar sesión" not in page.text
    assert page.headers["cache-control"] == "no-store" and "set-cookie" not in page.headers
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token and token.group(1) == client.cookies["csrftoken"]
    signed_out = await client.post("/signout", data={"_csrf_token": token.group(1)}, follow_redirects=False)
    assert signed_out.status_code in (302, 303)
    assert (await client.get("/my", follow_redirects=False)).status_code in (302, 303, 401)
    after = await client.get("/outages")  # shows "signed out" once, which empties the session cookie: not cached
    assert 'href="/signin"' in after.text and "Cerrar sesión" not in after.text
    assert after.headers["cache-control"] == "no-store" and "set-cookie" in after.headers
    visitor = await client.get("/outages")  # now a visitor like any other: a copy a shared cache may keep
    assert "set-cookie" not in visitor.headers and visitor.headers["cache-control"] == "public, max-age=60"
