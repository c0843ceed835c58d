"""A resident creates a login by proving they hold an account: number + service ZIP + last name + email code."""

from sqlalchemy import func, select

from portal.accounts.models import AuditEvent, Role, User, UserAccount
from tests import factories
from tests.http.helpers import latest_code, post_form


async def _account(session):
    account = await factories.make_account(session, last_name="García-Pérez", zip_code="76504")
    await session.commit()
    return account


async def test_a_resident_links_an_account_and_gets_a_login(client, session) -> None:
    account = await _account(session)
    typed_number = f"{account.number[:4]} {account.number[4:]}"
    response = await post_form(
        client,
        "/signup",
        {"account_number": typed_number, "zip_code": "76504", "last_name": "garcia perez", "email": "Rosa@Example.com"},
    )
    assert response.status_code == 302 and response.headers["location"] == "/signup/verify"
    code = await latest_code(session, "rosa@example.com")
    response = await post_form(client, "/signup/verify", {"email": "rosa@example.com", "code": code})
    assert response.status_code == 302 and response.headers["location"] == "/settings#passkeys"

    user = await session.scalar(select(User).where(User.email == "rosa@example.com"))
    assert user.role == Role.CUSTOMER and user.customer_id == account.customer_id
    assert await session.get(UserAccount, (user.id, account.id)) is not None
    assert (
        await session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "account.link"))
        == 1
    )
    home = await client.get("/my")
    assert account.number[:4] in home.text


async def test_wrong_details_get_one_message_that_reveals_nothing(client, session) -> None:
    account = await _account(session)
    for wrong in ({"zip_code": "76501", "last_name": "García-Pérez"}, {"zip_code": "76504", "last_name": "Smith"}):
        response = await post_form(
            client, "/signup", {"account_number": account.number, "email": "x@example.com", **wrong}
        )
        assert response.status_code == 400
        assert "We could not match those details" in response.text
        assert "García" not in response.text.split("<main")[1].split("value=")[0]
    assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_a_mistyped_account_number_is_caught_by_its_check_digit(client, session) -> None:
    account = await _account(session)
    typo = account.number[:3] + str((int(account.number[3]) + 1) % 10) + account.number[4:]
    response = await post_form(
        client,
        "/signup",
        {"account_number": typo, "zip_code": "76504", "last_name": "García-Pérez", "email": "x@example.com"},
    )
    assert response.status_code == 400
    assert "Check the account number" in response.text


async def test_guessing_is_locked_after_six_failures_on_one_account(client, session) -> None:
    account = await _account(session)
    for _ in range(6):
        await post_form(
            client,
            "/signup",
            {"account_number": account.number, "zip_code": "76504", "last_name": "Wrong", "email": "x@example.com"},
        )
    response = await post_form(
        client,
        "/signup",
        {"account_number": account.number, "zip_code": "76504", "last_name": "García-Pérez", "email": "x@example.com"},
    )
    assert response.status_code == 429
    assert "Too many tries" in response.text


async def test_a_staff_email_cannot_become_a_resident_login(client, session, csr) -> None:
    account = await _account(session)
    await post_form(
        client,
        "/signup",
        {"account_number": account.number, "zip_code": "76504", "last_name": "García-Pérez", "email": csr.email},
    )
    code = await latest_code(session, csr.email)
    response = await post_form(client, "/signup/verify", {"email": csr.email, "code": code})
    assert response.status_code == 409
    assert await session.scalar(select(func.count()).select_from(UserAccount)) == 0
