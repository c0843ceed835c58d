"""Signing in with an emailed one-time code, and the rate limits around it."""

from sqlalchemy import func, select

from portal.accounts.models import MailMessage
from tests.http.helpers import csrf, latest_code, post_form, sign_in


async def test_a_resident_signs_in_with_an_emailed_code(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    page = await client.get("/my")
    assert page.status_code == 200
    assert "María Lopez" in page.text
    assert resident.account.number[:4] in page.text


async def test_an_unknown_email_gets_the_same_answer_and_no_mail(client, session) -> None:
    response = await post_form(client, "/signin/code", {"email": "nobody@example.com"})
    assert response.status_code == 302 and response.headers["location"] == "/signin/code"
    assert await session.scalar(select(func.count()).select_from(MailMessage)) == 0


async def test_a_wrong_code_is_refused_with_a_message(client, session, resident) -> None:
    await post_form(client, "/signin/code", {"email": resident.user.email})
    code = await latest_code(session, resident.user.email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = await post_form(client, "/signin/code/verify", {"email": resident.user.email, "code": wrong})
    assert response.status_code == 400
    assert "That code is not right" in response.text
    assert 'href="#code"' in response.text  # the error summary links to the field
    assert (await client.get("/my", follow_redirects=False)).status_code == 302


async def test_a_code_works_only_once(client, session, resident) -> None:
    await post_form(client, "/signin/code", {"email": resident.user.email})
    code = await latest_code(session, resident.user.email)
    first = await post_form(client, "/signin/code/verify", {"email": resident.user.email, "code": code})
    assert first.status_code == 302
    await post_form(client, "/signout")
    again = await post_form(client, "/signin/code/verify", {"email": resident.user.email, "code": code})
    assert again.status_code == 400


async def test_a_code_is_dead_after_five_wrong_tries(client, session, resident) -> None:
    await post_form(client, "/signin/code", {"email": resident.user.email})
    code = await latest_code(session, resident.user.email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        await post_form(client, "/signin/code/verify", {"email": resident.user.email, "code": wrong})
    response = await post_form(client, "/signin/code/verify", {"email": resident.user.email, "code": code})
    assert response.status_code == 400


async def test_wrong_codes_are_rate_limited_per_email(client, session, resident) -> None:
    for _ in range(10):
        await post_form(client, "/signin/code/verify", {"email": resident.user.email, "code": "000000"})
    await post_form(client, "/signin/code", {"email": resident.user.email})
    code = await latest_code(session, resident.user.email)
    response = await post_form(client, "/signin/code/verify", {"email": resident.user.email, "code": code})
    assert response.status_code == 429
    assert "Too many wrong codes" in response.text


async def test_asking_for_codes_is_rate_limited(client, session, resident) -> None:
    for _ in range(5):
        assert (await post_form(client, "/signin/code", {"email": resident.user.email})).status_code == 302
    response = await post_form(client, "/signin/code", {"email": resident.user.email})
    assert response.status_code == 429
    assert await session.scalar(select(func.count()).select_from(MailMessage)) == 5


async def test_a_blank_email_shows_the_error_summary(client) -> None:
    response = await post_form(client, "/signin/code", {"email": ""})
    assert response.status_code == 400
    assert "There is a problem" in response.text and "Enter your email address." in response.text
    assert 'aria-invalid="true"' in response.text


async def test_sign_in_redirects_only_to_our_own_pages(client, session, resident) -> None:
    await post_form(client, "/signin/code", {"email": resident.user.email})
    code = await latest_code(session, resident.user.email)
    response = await post_form(
        client, "/signin/code/verify", {"email": resident.user.email, "code": code, "next": "//evil.example/x"}
    )
    assert response.headers["location"] in ("/my", "/settings#passkeys")


async def test_signing_out_ends_the_session(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    assert (await client.get("/my")).status_code == 200
    await post_form(client, "/signout")
    response = await client.get("/my", follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"].startswith("/signin")


async def test_the_csrf_cookie_is_set_on_the_sign_in_page(client) -> None:
    assert await csrf(client)


async def test_someone_asking_codes_for_my_address_does_not_lock_me_out(settings, session, resident) -> None:
    from tests.http.behind_proxy import as_client, balanced_client

    email = resident.user.email
    async with balanced_client(settings) as me, balanced_client(settings) as stranger:
        me.headers.update(as_client("203.0.113.7"))
        stranger.headers.update(as_client("198.51.100.9"))
        assert (await post_form(me, "/signin/code", {"email": email})).status_code == 302
        my_code = await latest_code(session, email)
        for _ in range(6):  # more than the five that used to lock the address for an hour
            await post_form(stranger, "/signin/code", {"email": email})
        assert (await post_form(stranger, "/signin/code", {"email": email})).status_code == 429  # the asker is limited
        for _ in range(5):  # and guessing wears out only the stranger's own code
            await post_form(stranger, "/signin/code/verify", {"email": email, "code": "000000"})
        # my latest code still works, and I could still ask for another
        response = await post_form(me, "/signin/code/verify", {"email": email, "code": my_code})
        assert response.status_code == 302 and response.headers["location"] in ("/my", "/settings#passkeys")
        assert (await me.get("/my")).status_code == 200
    await session.commit()
    # five were mailed to the address (the stranger's sixth and seventh were refused): the owner sees them
    assert await session.scalar(select(func.count()).select_from(MailMessage).where(MailMessage.to_addr == email)) == 6


async def test_a_code_works_only_in_the_browser_that_asked_for_it(client, session, settings, resident) -> None:
    from litestar.testing import AsyncTestClient

    from portal.app import create_app

    await post_form(client, "/signin/code", {"email": resident.user.email})
    code = await latest_code(session, resident.user.email)
    async with AsyncTestClient(app=create_app(settings), base_url="http://portal.test") as elsewhere:
        response = await post_form(elsewhere, "/signin/code/verify", {"email": resident.user.email, "code": code})
        assert response.status_code == 400
    assert (
        await post_form(client, "/signin/code/verify", {"email": resident.user.email, "code": code})
    ).status_code == 302


async def test_code_requests_are_also_limited_per_client_ip(settings, session, resident, other_resident) -> None:
    from tests.http.behind_proxy import as_client, balanced_client

    async with balanced_client(settings) as client:
        client.headers.update(as_client("198.51.100.9"))
        for n in range(30):
            await post_form(client, "/signin/code", {"email": f"someone{n}@example.com"})
        response = await post_form(client, "/signin/code", {"email": resident.user.email})
        assert response.status_code == 429
    async with balanced_client(settings) as neighbour:  # another client behind the same balancer is not affected
        neighbour.headers.update(as_client("198.51.100.10"))
        assert (await post_form(neighbour, "/signin/code", {"email": resident.user.email})).status_code == 302


async def test_the_session_cookie_after_asking_a_code_does_not_tell_which_addresses_have_a_login(
    client, session, resident
) -> None:
    def session_cookie_size(response) -> int:
        # The value only, unquoted: the cookie is quoted when its random base64 happens to hold a "/" (about 1 in 20),
        # two characters that say nothing about the address.
        return sum(
            len(h.split(";")[0].replace('"', ""))
            for h in response.headers.get_list("set-cookie")
            if h.startswith("portal_session")
        )

    known = await post_form(client, "/signin/code", {"email": resident.user.email})
    client.cookies.delete("portal_session")
    nobody = "x" * (len(resident.user.email) - len("@example.com")) + "@example.com"  # the same length: no login
    unknown = await post_form(client, "/signin/code", {"email": nobody})
    assert known.status_code == unknown.status_code == 302
    assert session_cookie_size(known) == session_cookie_size(unknown) > 0
