"""Passkeys over HTTP with a software authenticator: register, sign in with no username, list, remove."""

from sqlalchemy import select

from portal.accounts.models import Passkey
from tests.http.helpers import post_form, post_json, sign_in
from tests.webauthn_device import SoftPasskey


async def _register(client, device: SoftPasskey, nickname: str = "My phone"):
    options = (await post_json(client, "/settings/passkeys/options")).json()
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    return await post_json(client, "/settings/passkeys", {"credential": device.create(options), "nickname": nickname})


async def test_a_resident_registers_a_passkey_then_signs_in_with_it_without_typing_a_name(
    client, session, resident
) -> None:
    device = SoftPasskey()
    await sign_in(client, session, resident.user)
    registered = await _register(client, device)
    assert registered.status_code == 201, registered.text
    assert registered.json()["redirect"] == "/settings#passkeys"
    assert "My phone" in (await client.get("/settings")).text

    await post_form(client, "/signout")
    options = (await post_json(client, "/signin/passkey/options")).json()
    assert options.get("allowCredentials", []) == []  # discoverable: the browser offers the passkey
    answer = await post_json(client, "/signin/passkey", device.get(options))
    assert answer.status_code == 201, answer.text
    assert answer.json()["redirect"] == "/my"
    assert (await client.get("/my")).status_code == 200

    await session.commit()
    stored = await session.scalar(select(Passkey).where(Passkey.user_id == resident.user.id))
    assert stored.sign_count == 1 and stored.last_used_at is not None


async def test_an_assertion_without_user_verification_is_refused(client, session, resident) -> None:
    device = SoftPasskey()
    await sign_in(client, session, resident.user)
    await _register(client, device)
    await post_form(client, "/signout")
    device.user_verified = False
    options = (await post_json(client, "/signin/passkey/options")).json()
    answer = await post_json(client, "/signin/passkey", device.get(options))
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "passkey_failed"
    assert (await client.get("/my", follow_redirects=False)).status_code == 302


async def test_a_challenge_cannot_be_replayed(client, session, resident) -> None:
    device = SoftPasskey()
    await sign_in(client, session, resident.user)
    await _register(client, device)
    await post_form(client, "/signout")
    options = (await post_json(client, "/signin/passkey/options")).json()
    assertion = device.get(options)
    assert (await post_json(client, "/signin/passkey", assertion)).status_code == 201
    await post_form(client, "/signout")
    replay = await post_json(client, "/signin/passkey", assertion)
    assert replay.status_code == 400


async def test_an_unknown_passkey_is_refused(client) -> None:
    options = (await post_json(client, "/signin/passkey/options")).json()
    device = SoftPasskey()
    device.user_handle = b"x" * 32
    answer = await post_json(client, "/signin/passkey", device.get(options))
    assert answer.status_code == 400


async def test_a_passkey_from_another_site_is_refused(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    options = (await post_json(client, "/settings/passkeys/options")).json()
    phishing = SoftPasskey(origin="http://evil.example")
    answer = await post_json(client, "/settings/passkeys", {"credential": phishing.create(options)})
    assert answer.status_code == 400
    assert await session.scalar(select(Passkey)) is None


async def test_a_passkey_can_be_removed_only_by_its_owner(client, session, resident, other_resident) -> None:
    device = SoftPasskey()
    await sign_in(client, session, resident.user)
    await _register(client, device)
    passkey = await session.scalar(select(Passkey).where(Passkey.user_id == resident.user.id))
    await post_form(client, "/signout")

    await sign_in(client, session, other_resident.user)
    response = await post_form(client, f"/settings/passkeys/{passkey.id}/delete")
    assert response.status_code == 404
    await session.commit()
    assert await session.get(Passkey, passkey.id, populate_existing=True) is not None

    await post_form(client, "/signout")
    await sign_in(client, session, resident.user)
    response = await post_form(client, f"/settings/passkeys/{passkey.id}/delete")
    assert response.status_code == 302
    await session.commit()
    assert await session.scalar(select(Passkey).where(Passkey.id == passkey.id)) is None
