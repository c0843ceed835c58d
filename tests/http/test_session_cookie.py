"""The session cookie is sent again only when the session changed or its sliding expiry is due a push
(portal/web/sessions.py): a steady page view costs no encryption and no Set-Cookie, and an idle session still ends."""

from __future__ import annotations

import time
import types

from portal.web import sessions
from tests.http.helpers import post_form, sign_in


def _sets_session(response) -> bool:
    return any(v.startswith("portal_session=") for v in response.headers.get_list("set-cookie"))


async def _settled(client, session, user) -> None:
    await sign_in(client, session, user)
    for _ in range(2):  # the sign-in's one-time notices are shown and consumed: the session changes
        await client.get("/my")


async def test_a_steady_page_view_sets_no_cookie_but_a_change_does(client, session, resident) -> None:
    await _settled(client, session, resident.user)
    steady = await client.get("/my")
    assert steady.status_code == 200 and not _sets_session(steady)
    assert not _sets_session(await client.get("/my/bills"))
    # Choosing the account in view writes it into the session: that response carries the new cookie.
    switched = await post_form(client, "/my/accounts/switch", {"account": resident.account.number})
    assert switched.status_code == 303 and _sets_session(switched)
    assert not _sets_session(await client.get("/my"))


async def test_the_cookie_is_sealed_again_once_it_is_older_than_the_refresh(
    client, session, resident, monkeypatch
) -> None:
    await _settled(client, session, resident.user)
    later = time.time() + sessions.REFRESH_SECONDS + 5
    monkeypatch.setattr(sessions, "time", types.SimpleNamespace(time=lambda: later))
    refreshed = await client.get("/my")
    assert refreshed.status_code == 200 and _sets_session(refreshed)


async def test_sign_out_still_clears_the_cookie(client, session, resident) -> None:
    await _settled(client, session, resident.user)
    out = await post_form(client, "/signout")
    assert out.status_code in (302, 303) and _sets_session(out)
    assert (await client.get("/my", follow_redirects=False)).status_code in (302, 303, 401)
