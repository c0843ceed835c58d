"""A page in the language a person saved, not the one their browser asks for, says why once (in both languages) and
offers a one-tap switch; the demo's María says on her sign-in button that she prefers Spanish."""

from __future__ import annotations

import dataclasses
import re

from litestar.testing import AsyncTestClient

from portal.accounts.models import Role
from portal.app import create_app
from portal.demo.city import PERSONAS
from tests import factories
from tests.http.helpers import post_form, sign_in

ENGLISH_BROWSER = {"accept-language": "en-US,en;q=0.9"}
WHY_ES = "Estas páginas están en español porque es el idioma guardado en sus preferencias."
WHY_EN = "These pages are in Spanish because that is the language saved in your preferences."


def note(html: str) -> str | None:
    found = re.search(r'<div class="notice notice--info language-note".*?</div>', html, re.S)
    return found.group(0) if found else None


async def test_the_first_page_in_a_saved_language_says_why_once_with_a_switch(client, session, resident) -> None:
    resident.user.locale = "es"
    await session.commit()
    await sign_in(client, session, resident.user)
    first = await client.get("/my", headers=ENGLISH_BROWSER)
    assert '<html lang="es"' in first.text
    said = note(first.text)
    assert said is not None, first.text
    assert f'<p lang="es">{WHY_ES}</p>' in said and f'<p lang="en">{WHY_EN}' in said
    assert '<a href="/lang/en?next=/my" hreflang="en">Switch to English</a>' in said
    again = await client.get("/my/bills", headers=ENGLISH_BROWSER)
    assert '<html lang="es"' in again.text and note(again.text) is None  # once a session
    switched = await client.get("/lang/en?next=/my", headers=ENGLISH_BROWSER)
    assert '<html lang="en"' in switched.text and note(switched.text) is None


async def test_no_note_when_the_browser_asks_for_the_saved_language_or_none_is_saved(
    client, session, resident, other_resident
) -> None:
    resident.user.locale = "es"
    await session.commit()
    await sign_in(client, session, resident.user)
    page = await client.get("/my", headers={"accept-language": "es-MX,es;q=0.9"})
    assert '<html lang="es"' in page.text and note(page.text) is None
    await post_form(client, "/signout")
    await sign_in(client, session, other_resident.user)  # no saved language: the browser's
    page = await client.get("/my", headers=ENGLISH_BROWSER)
    assert '<html lang="en"' in page.text and note(page.text) is None


async def test_the_demo_button_says_maria_prefers_spanish_and_her_home_says_why(settings, session) -> None:
    account = await factories.make_account(session, last_name="Lopez", first_name="María")
    user = await factories.make_user(
        session, Role.CUSTOMER, email=PERSONAS["resident"][0], name="María Lopez", customer_id=account.customer_id
    )
    user.locale = "es"
    await factories.link(session, user, account)
    await session.commit()
    app = create_app(dataclasses.replace(settings, demo=True))
    async with AsyncTestClient(app=app, base_url="http://portal.test") as client:
        signin = await client.get("/signin", headers=ENGLISH_BROWSER)
        assert "Resident (María Lopez, prefers Spanish)" in signin.text
        signin_es = await client.get("/lang/es?next=/signin")
        assert "Residente (María Lopez, prefiere español)" in signin_es.text
        client.cookies.delete("lang")
        answer = await post_form(client, "/demo/signin/resident", headers=ENGLISH_BROWSER)
        assert answer.status_code in (302, 303)
        home = await client.get(answer.headers["location"], headers=ENGLISH_BROWSER)
        assert "Hola, María Lopez" in home.text
        assert note(home.text) is not None and WHY_EN in home.text
