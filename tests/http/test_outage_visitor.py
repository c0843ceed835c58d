"""A visitor's outage report (no sign-in): the address found among the premises, candidates or "not found", the
contact checked, CSRF, the throttles per client and per address; the list page stays cookie-free."""

import dataclasses
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Outage, OutageReport
from portal.accounts.policy import current_policy
from portal.web import deps
from tests import factories
from tests.http.helpers import post_form, sign_in

URL = "/outages/report"


def _policy(monkeypatch: pytest.MonkeyPatch, **numbers: Any) -> None:
    """A city's own throttle numbers (POLICY_OUTAGE_REPORTS_PER_*_PER_HOUR), as the handlers receive the policy."""
    changed = dataclasses.replace(current_policy(), **numbers)
    monkeypatch.setattr(deps, "current_policy", lambda: changed)


async def _reports(session) -> list[OutageReport]:
    session.expire_all()
    return list((await session.scalars(select(OutageReport).order_by(OutageReport.id))).all())


async def test_the_list_links_to_the_form_which_carries_the_csrf_cookie(client) -> None:
    listing = await client.get("/outages")
    assert f'href="{URL}"' in listing.text and "set-cookie" not in listing.headers and "<form" not in listing.text
    page = await client.get(URL)
    assert page.status_code == 200 and "csrftoken" in page.headers.get("set-cookie", "")
    assert 'name="_csrf_token"' in page.text and "public" not in page.headers.get("cache-control", "")
    spanish = await client.get(URL, headers={"accept-language": "es"})
    assert "Reportar un corte" in spanish.text and "¿Qué falta?" in spanish.text


async def test_a_post_without_the_token_is_refused(client, session) -> None:
    await factories.make_account(session, address="12 Oak St")
    await session.commit()
    response = await client.post(URL, data={"utility": "power", "address": "12 Oak St"})
    assert response.status_code == 403 and await _reports(session) == []


async def test_an_address_found_is_reported_and_joins_its_neighbours(client, session) -> None:
    for n in (12, 14, 16):
        await factories.make_account(session, address=f"{n} Oak St")
    await session.commit()
    response = await post_form(
        client, URL, {"utility": "power", "address": "12 oak street", "contact": "(254) 555-0142"}
    )
    assert response.status_code in (302, 303), response.text
    done = await client.get(URL)
    assert "Your report is in" in done.text
    response = await post_form(client, URL, {"utility": "power", "address": "14 Oak St", "contact": "me@example.com"})
    assert response.status_code in (302, 303)
    rows = await _reports(session)
    assert [(r.source, r.address, r.premise_id is not None, r.account_id) for r in rows] == [
        ("public", "12 Oak St", True, None),
        ("public", "14 Oak St", True, None),
    ]
    assert rows[0].phone == "+12545550142" and rows[0].email is None and rows[0].language == "en"
    assert rows[1].email == "me@example.com" and rows[1].phone is None and rows[1].note is None
    assert rows[0].outage_id == rows[1].outage_id and await session.scalar(select(func.count(Outage.id))) == 1


async def test_several_addresses_found_the_visitor_picks_one(client, session) -> None:
    ids = [(await factories.make_account(session, address=f"{n} Elm St")).premise_id for n in (12, 120)]
    await session.commit()
    response = await post_form(client, URL, {"utility": "water", "address": "1 Elm"})
    assert response.status_code == 200 and "Which is yours?" in response.text
    assert "12 Elm St" in response.text and "120 Elm St" in response.text and await _reports(session) == []
    wrong = await post_form(client, URL, {"utility": "water", "address": "1 Elm", "premise_id": "999999"})
    assert wrong.status_code == 400 and "Choose one of the addresses listed." in wrong.text
    picked = await post_form(client, URL, {"utility": "water", "address": "1 Elm", "premise_id": str(ids[1])})
    assert picked.status_code in (302, 303)
    assert [r.premise_id for r in await _reports(session)] == [ids[1]]
    exact = await post_form(client, URL, {"utility": "water", "address": "12 Elm Street"})  # typed exactly: no list
    assert exact.status_code in (302, 303)
    assert [r.premise_id for r in await _reports(session)] == [ids[1], ids[0]]


async def test_bad_input_and_an_unknown_address_are_said_on_the_page(client, session) -> None:
    await factories.make_account(session, address="12 Oak St")
    await session.commit()
    for data, message in (
        ({"utility": "gas", "address": "12 Oak St"}, "Not a valid choice"),
        ({"address": "12 Oak St"}, "Choose water or power."),
        ({"utility": "power", "address": ""}, "Enter the street address, as in 120 Elm St."),
        ({"utility": "power", "address": "x" * 161}, "160"),
        ({"utility": "power", "address": "12 Oak St", "contact": "call me"}, "phone number or an email"),
        ({"utility": "power", "address": "12 Oak St", "contact": "a@b"}, "phone number or an email"),
        ({"utility": "power", "address": "99 Nowhere Lane"}, "We could not find that address."),
    ):
        response = await post_form(client, URL, data)
        assert response.status_code == 400 and message in response.text, (data, response.status_code)
    spanish = await post_form(
        client, URL, {"utility": "power", "address": "99 Nowhere Lane"}, headers={"accept-language": "es"}
    )
    assert "No encontramos esa dirección." in spanish.text
    assert await _reports(session) == []


async def test_one_address_is_throttled_but_its_neighbours_are_not(client, session, monkeypatch) -> None:
    _policy(monkeypatch, outage_reports_per_address_per_hour=2)
    for n in (12, 14, 16, 18):
        await factories.make_account(session, address=f"{n} Oak St")
    await session.commit()
    for _ in range(2):
        assert (await post_form(client, URL, {"utility": "power", "address": "12 Oak St"})).status_code in (302, 303)
    third = await post_form(client, URL, {"utility": "power", "address": "12 Oak Street"})
    assert third.status_code == 429 and "We already have reports from here." in third.text
    for n in (14, 16, 18):  # the street reporting the same outage goes through
        response = await post_form(client, URL, {"utility": "power", "address": f"{n} Oak St"})
        assert response.status_code in (302, 303)
    assert len(await _reports(session)) == 5


async def test_one_client_is_throttled_after_its_hourly_tries(client, session, monkeypatch) -> None:
    _policy(monkeypatch, outage_reports_per_ip_per_hour=3)
    await factories.make_account(session, address="12 Oak St")
    await session.commit()
    for _ in range(3):  # misses count too: nobody walks the address list
        assert (await post_form(client, URL, {"utility": "power", "address": "7 Nowhere Ln"})).status_code == 400
    response = await post_form(client, URL, {"utility": "power", "address": "12 Oak St"})
    assert response.status_code == 429 and await _reports(session) == []


async def test_a_spanish_visitors_email_and_language_are_kept_on_the_report(client, session) -> None:
    await factories.make_account(session, address="12 Oak St")
    await session.commit()
    es = {"accept-language": "es"}
    response = await post_form(
        client, URL, {"utility": "water", "address": "12 Oak St", "contact": " ana@example.com "}, headers=es
    )
    assert response.status_code in (302, 303), response.text
    done = await client.get(URL, headers=es)
    assert "Gracias. Recibimos su reporte" in done.text
    [row] = await _reports(session)
    assert (row.email, row.phone, row.language, row.note) == ("ana@example.com", None, "es", None)


async def test_a_signed_in_resident_is_sent_to_their_own_report_page(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    response = await client.get(URL, follow_redirects=False)
    assert response.status_code in (302, 303) and response.headers["location"].endswith("/my/outage")
    page = await client.get(URL, follow_redirects=True)
    assert page.status_code == 200 and str(page.url).endswith("/my/outage")
    posted = await post_form(client, URL, {"utility": "power", "address": "12 Oak St"})
    assert posted.status_code in (302, 303) and posted.headers["location"].endswith("/my/outage")
    assert await _reports(session) == []
