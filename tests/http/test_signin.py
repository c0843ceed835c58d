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
    response = await post_form(client, "/signin/code/verify", {"email": resident.user.email, "code": code, "next": "//evil.example/x"})
    assert response.headers["location"] in ("/my", "/settings#passkeys")


async def test_signing_out_ends_the_session(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    assert (await client.get("/my")).status_code == 200
    await post_form(client, "/signout")
    response = await client.get("/my", follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"].startswith("/signin")


async def test_the_csrf_cookie_is_set_on_the_sign_in_page(client) -> None:
    assert await csrf(client)
