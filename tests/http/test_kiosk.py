"""Kiosk mode on the counter tablet: started by a CSR, enforced on the server, left only by that CSR again."""

from sqlalchemy import func, select
from webauthn.helpers import bytes_to_base64url

from portal.accounts.models import AuditEvent
from tests.http.helpers import latest_code, post_form, post_json, sign_in
from tests.webauthn_device import SoftPasskey


async def _actions(session) -> list[str]:
    await session.commit()
    return list(await session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("kiosk.%"))))


async def _start(client, session, csr) -> None:
    await sign_in(client, session, csr)
    assert "Start kiosk mode" in (await client.get("/staff/walkin")).text
    started = await post_form(client, "/staff/walkin/kiosk")
    assert started.status_code == 303 and started.headers["location"] == "/staff/walkin"


async def test_kiosk_mode_locks_the_session_on_the_practice_until_the_csr_types_the_code(
    client, session, csr, resident
) -> None:
    await _start(client, session, csr)
    page = await client.get("/staff/walkin")
    assert page.status_code == 200 and "Practice account." in page.text
    assert 'href="/staff/accounts"' not in page.text and "Sign out" not in page.text
    assert "Start kiosk mode" not in page.text and "/kiosk/exit" in page.text
    assert (await client.get("/staff/walkin/qr")).status_code == 200
    assert (await post_form(client, "/staff/walkin/pay", {"amount": "5.00"})).status_code == 303
    for path in ("/staff", "/staff/accounts?q=Lopez", "/settings", "/my", f"/staff/accounts/{resident.account.number}"):
        answer = await client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers.get("location")) == (303, "/staff/walkin"), path
    signout = await post_form(client, "/signout")
    assert signout.headers["location"] == "/staff/walkin"
    assert (await client.get("/staff/walkin")).status_code == 200  # still signed in, still in kiosk
    assert await _actions(session) == ["kiosk.start"]

    exit_page = await client.get("/kiosk/exit")
    assert exit_page.status_code == 200 and "Email me a code" in exit_page.text
    assert (await post_form(client, "/kiosk/exit/code")).status_code == 303
    code = await latest_code(session, csr.email)
    wrong = await post_form(client, "/kiosk/exit/code/verify", {"code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 400 and "not right" in wrong.text
    assert (await client.get("/staff/accounts", follow_redirects=False)).status_code == 303
    right = await post_form(client, "/kiosk/exit/code/verify", {"code": code, "email": "visitor@example.com"})
    assert (right.status_code, right.headers["location"]) == (303, "/staff")
    assert (await client.get("/staff/accounts")).status_code == 200
    assert 'href="/staff/accounts"' in (await client.get("/staff/walkin")).text
    assert await _actions(session) == ["kiosk.start", "kiosk.end"]


async def test_a_copy_of_the_cookie_from_before_kiosk_mode_no_longer_works(client, session, csr) -> None:
    await sign_in(client, session, csr)
    before = client.cookies["portal_session"]
    assert (await post_form(client, "/staff/walkin/kiosk")).status_code == 303
    client.cookies.set("portal_session", before)
    assert (await client.get("/staff/accounts", follow_redirects=False)).status_code in (302, 401)


async def test_wrong_codes_are_limited_like_sign_in(client, session, csr) -> None:
    await _start(client, session, csr)
    await post_form(client, "/kiosk/exit/code")
    code = await latest_code(session, csr.email)
    wrong = "000000" if code != "000000" else "111111"
    statuses = [(await post_form(client, "/kiosk/exit/code/verify", {"code": wrong})).status_code for _ in range(11)]
    assert statuses[-1] == 429
    assert (await post_form(client, "/kiosk/exit/code/verify", {"code": code})).status_code == 429
    assert (await client.get("/staff/accounts", follow_redirects=False)).status_code == 303
    assert await _actions(session) == ["kiosk.start"]


async def test_the_csr_leaves_kiosk_mode_with_their_passkey_and_nobody_elses(client, session, csr, supervisor) -> None:
    mine, theirs = SoftPasskey(), SoftPasskey()
    await sign_in(client, session, supervisor)
    options = (await post_json(client, "/settings/passkeys/options")).json()
    assert (await post_json(client, "/settings/passkeys", {"credential": theirs.create(options)})).status_code == 201
    await post_form(client, "/signout")
    await sign_in(client, session, csr)
    options = (await post_json(client, "/settings/passkeys/options")).json()
    assert (await post_json(client, "/settings/passkeys", {"credential": mine.create(options)})).status_code == 201
    assert (await post_form(client, "/staff/walkin/kiosk")).status_code == 303

    options = (await post_json(client, "/kiosk/exit/passkey/options")).json()
    assert [c["id"] for c in options["allowCredentials"]] == [bytes_to_base64url(mine.credential_id)]
    refused = await post_json(client, "/kiosk/exit/passkey", theirs.get(options))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "passkey_failed"
    assert (await client.get("/staff/accounts", follow_redirects=False)).status_code == 303

    options = (await post_json(client, "/kiosk/exit/passkey/options")).json()
    answer = await post_json(client, "/kiosk/exit/passkey", mine.get(options))
    assert answer.status_code == 201 and answer.json()["redirect"] == "/staff"
    assert (await client.get("/staff/accounts")).status_code == 200
    assert await _actions(session) == ["kiosk.start", "kiosk.end"]
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "kiosk.end"))
