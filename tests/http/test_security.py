"""CSRF on every form, role and ownership guards, sessions across app instances, security headers."""

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from portal.accounts.models import MailMessage, Passkey, RevokedSession, WorkOrderKind
from portal.app import create_app
from tests import factories
from tests.http.helpers import csrf, latest_code, post_form, post_json, sign_in


async def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(client, session, resident) -> None:
    await client.get("/signin")
    response = await client.post("/signin/code", data={"email": resident.user.email}, follow_redirects=False)
    assert response.status_code == 403
    assert await session.scalar(select(func.count()).select_from(MailMessage)) == 0


async def test_a_json_post_without_the_csrf_header_is_refused(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    response = await client.post("/settings/passkeys/options", json={}, headers={"accept": "application/json"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf"


async def test_a_resident_cannot_open_another_residents_account(client, session, resident, other_resident) -> None:
    await sign_in(client, session, resident.user)
    own = await client.get(f"/my/accounts/{resident.account.number}")
    assert own.status_code == 200
    other = await client.get(f"/my/accounts/{other_resident.account.number}")
    assert other.status_code == 404
    assert "Nguyen" not in other.text and "76502" not in other.text


async def test_a_technician_cannot_open_the_staff_console(client, session, technician) -> None:
    await sign_in(client, session, technician)
    assert (await client.get("/field")).status_code == 200
    response = await client.get("/staff")
    assert response.status_code == 403
    assert "You do not have access" in response.text
    assert (await client.get("/staff/accounts?q=Lopez")).status_code == 403


async def test_a_technician_sees_only_their_own_orders(client, session, technician, resident) -> None:
    from portal.accounts.models import Role

    other_tech = await factories.make_user(session, Role.FIELD, email="tech2@riverton.example")
    mine = await factories.make_order(session, resident.account, kind=WorkOrderKind.READ, assignee=technician)
    theirs = await factories.make_order(session, resident.account, kind=WorkOrderKind.LEAK_CHECK, assignee=other_tech)
    await session.commit()
    await sign_in(client, session, technician)
    today = await client.get("/field")
    assert f"/field/orders/{mine.id}" in today.text and f"/field/orders/{theirs.id}" not in today.text
    assert (await client.get(f"/field/orders/{mine.id}")).status_code == 200
    assert (await client.get(f"/field/orders/{theirs.id}")).status_code == 404


async def test_a_resident_cannot_open_field_or_staff_pages(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    assert (await client.get("/field")).status_code == 403
    assert (await client.get("/staff")).status_code == 403


async def test_a_csr_can_open_any_account_in_the_console(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    found = await client.get(f"/staff/accounts?q={resident.account.number}")
    assert resident.account.number in found.text.replace("-", "")
    page = await client.get(f"/staff/accounts/{resident.account.number}")
    assert page.status_code == 200 and "María Lopez" in page.text


async def test_a_visitor_is_sent_to_sign_in_and_back(client) -> None:
    response = await client.get("/my/accounts/123456789", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/signin?next=/my/accounts/123456789"


async def test_a_session_keeps_working_on_another_app_instance(client, session, settings, resident) -> None:
    await sign_in(client, session, resident.user)
    second = create_app(settings)  # another instance behind the same load balancer: same secret, same database
    async with AsyncTestClient(app=second, base_url="http://portal.test") as other_instance:
        other_instance.cookies = client.cookies
        response = await other_instance.get("/my")
        assert response.status_code == 200 and "María Lopez" in response.text


async def test_signing_out_everywhere_ends_other_sessions(client, session, settings, resident) -> None:
    await sign_in(client, session, resident.user)
    stolen = dict(client.cookies)
    await post_form(client, "/settings/signout-everywhere")
    async with AsyncTestClient(app=create_app(settings), base_url="http://portal.test") as thief:
        thief.cookies = stolen
        response = await thief.get("/my", follow_redirects=False)
        assert response.status_code == 302


async def test_pages_carry_security_headers(client) -> None:
    response = await client.get("/signin")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    session_cookie = [c for c in response.headers.get_list("set-cookie") if c.startswith("portal_session")]
    for cookie in session_cookie:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


async def test_demo_routes_do_not_exist_outside_demo_mode(client, session) -> None:
    assert (await post_form(client, "/demo/signin/resident")).status_code == 404
    assert (await client.get("/demo/mailbox")).status_code == 404
    assert "Demo sign-in" not in (await client.get("/signin")).text
    assert await session.scalar(select(func.count()).select_from(Passkey)) == 0


async def test_an_unrouted_404_carries_the_security_headers_and_a_static_file_its_own(client) -> None:
    missing = await client.get("/no/such/page")
    assert missing.status_code == 404
    assert missing.headers["x-content-type-options"] == "nosniff" and missing.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in missing.headers["content-security-policy"]  # the 404 page is HTML
    assert missing.headers["cache-control"] == "no-store"
    assert ">Home</a>" in missing.text and "Sign in" not in missing.text  # who is reading is unknown here
    # The footer's emergency line keeps its number whole on a phone, and the setting is escaped into it.
    assert 'any hour: <span class="nowrap">555-0199</span>' in missing.text
    page = await client.get("/signin")
    css = next(
        part.split('"')[0]
        for part in page.text.split('href="')[1:]
        if part.startswith("/static/") and ".css" in part.split('"')[0]
    )
    static = await client.get(css)
    assert static.status_code == 200
    assert static.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in static.headers  # a stylesheet is no document: no CSP
    assert "set-cookie" not in static.headers  # nor a cookie (portal/web/static_files.py)
    assert static.headers["cache-control"] == "public, max-age=31536000, immutable"  # assets stay cacheable


async def test_signed_in_pages_are_never_stored_by_a_browser_or_proxy(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    for url in ("/my", f"/my/accounts/{resident.account.number}", "/my/bills", "/settings"):
        response = await client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "no-store", url


async def test_a_plain_sign_out_ends_every_copy_of_the_session_on_every_instance(
    client, session, settings, resident
) -> None:
    await sign_in(client, session, resident.user)
    copied = dict(client.cookies)  # a copy taken before sign-out (a shared computer, a stolen cookie)
    assert (await post_form(client, "/signout")).status_code in (302, 303)
    async with AsyncTestClient(app=create_app(settings), base_url="http://portal.test") as other_instance:
        for thief in (client, other_instance):  # this instance and another behind the same load balancer
            thief.cookies = copied
            response = await thief.get("/my", follow_redirects=False)
            assert response.status_code == 302 and response.headers["location"].startswith("/signin")
    client.cookies.clear()
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(RevokedSession)) == 1
    # signing in again starts a new session that works, however the old one ended
    await sign_in(client, session, resident.user)
    assert (await client.get("/my")).status_code == 200


async def test_a_session_past_its_lifetime_is_refused_however_active(client, session, settings, resident) -> None:
    from dataclasses import replace

    await sign_in(client, session, resident.user)
    async with AsyncTestClient(
        app=create_app(replace(settings, session_lifetime=0)), base_url="http://portal.test"
    ) as later:
        later.cookies = dict(client.cookies)
        assert (await later.get("/my", follow_redirects=False)).status_code == 302


async def _csrf_cookie_after(response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith("csrftoken="):
            return header.split(";")[0].removeprefix("csrftoken=")
    return None


async def test_the_csrf_token_changes_when_someone_signs_in_with_an_email_code(client, session, resident) -> None:
    before = await csrf(client)
    await post_form(client, "/signin/code", {"email": resident.user.email})
    code = await latest_code(session, resident.user.email)
    response = await post_form(client, "/signin/code/verify", {"email": resident.user.email, "code": code})
    after = await _csrf_cookie_after(response)
    assert after is not None and after != before
    assert client.cookies["csrftoken"] == after
    # the old token is no good with the new cookie; the new one is
    refused = await client.post("/settings/signout-everywhere", data={"_csrf_token": before}, follow_redirects=False)
    assert refused.status_code == 403
    assert (await post_form(client, "/signout")).status_code in (302, 303)


async def test_the_csrf_token_changes_when_someone_signs_in_with_a_passkey(client, session, resident) -> None:
    from tests.http.test_passkeys import _register
    from tests.webauthn_device import SoftPasskey

    device = SoftPasskey()
    await sign_in(client, session, resident.user)
    await _register(client, device)
    await post_form(client, "/signout")
    before = client.cookies["csrftoken"]
    options = (await post_json(client, "/signin/passkey/options")).json()
    answer = await post_json(client, "/signin/passkey", device.get(options))
    assert answer.status_code == 201, answer.text
    after = await _csrf_cookie_after(answer)
    assert after is not None and after != before


async def test_the_csrf_token_changes_when_someone_signs_in_with_the_demo_button(session, settings) -> None:
    from dataclasses import replace

    from portal.accounts.models import Role
    from portal.demo.city import PERSONAS

    await factories.make_user(session, Role.CSR, email=PERSONAS["csr"][0])
    await session.commit()
    async with AsyncTestClient(app=create_app(replace(settings, demo=True)), base_url="http://portal.test") as demo:
        before = await csrf(demo)
        response = await post_form(demo, "/demo/signin/csr")
        assert response.status_code in (302, 303)
        after = await _csrf_cookie_after(response)
        assert after is not None and after != before


async def test_signing_in_over_a_session_nobody_signed_out_of_ends_that_session(
    client, session, settings, resident, other_resident
) -> None:
    """A shared computer: the first person never signed out and the next signs in on the same browser. A copy of the
    first person's cookie (taken before) must stop working then, as a sign-out would have made it."""
    await sign_in(client, session, resident.user)
    copied = dict(client.cookies)
    await sign_in(client, session, other_resident.user)
    assert (await client.get("/my")).status_code == 200  # the new person is in
    async with AsyncTestClient(app=create_app(settings), base_url="http://portal.test") as thief:  # another instance
        thief.cookies = copied
        response = await thief.get("/my", follow_redirects=False)
        assert response.status_code == 302 and response.headers["location"].startswith("/signin")
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(RevokedSession)) == 1
