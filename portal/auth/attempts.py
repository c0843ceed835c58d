"""How many tries a person gets at signing in or up, and the work each try does once it is allowed.

Every count goes through its own session (`maker`), so it stays when the request's own work is rolled back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import access, throttle
from portal.accounts.models import Account, SignInCode, User
from portal.settings import Settings

from . import passkeys, services

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

# Limits on email codes count what the asker does (per address and client IP, and per client IP), never what others
# did to the same address: someone asking for or guessing at another person's codes wears out only their own.
# Guessing stays bounded by each code's 5 tries and the per-address cap on codes sent (which also stops mail floods).
CODE_REQUESTS_PER_ASKER = 5
CODE_REQUESTS_PER_IP = 30
CODES_SENT_PER_ADDRESS = 20
CODE_FAILURES_PER_ASKER = 10
CODE_FAILURES_PER_IP = 30


# ---- email codes ---------------------------------------------------------------------------------------------


async def code_requests_exceeded(maker: Any, ip: str, email: str) -> bool:
    return (
        await throttle.is_limited(maker, "code_send", f"{email}|{ip}", limit=CODE_REQUESTS_PER_ASKER, window=HOUR)
        or await throttle.is_limited(maker, "code_send_ip", ip, limit=CODE_REQUESTS_PER_IP, window=HOUR)
        or await throttle.is_limited(maker, "code_send_all", email, limit=CODES_SENT_PER_ADDRESS, window=HOUR)
    )


async def send_signin_code(
    session: AsyncSession, maker: Any, settings: Settings, ip: str, email: str, requester: str, purpose: str = "signin"
) -> None:
    """Count the request, and mail a code when the address has an active login (silently nothing otherwise).
    `purpose` "kiosk" is a signed-in CSR proving it is still them: that code opens nothing else."""
    await throttle.hit(maker, "code_send", f"{email}|{ip}")
    await throttle.hit(maker, "code_send_ip", ip)
    await throttle.hit(maker, "code_send_all", email)
    user = await services.user_by_email(session, email)
    if user is not None and user.active:
        code = await services.issue_code(session, settings, email, requester=requester, purpose=purpose)
        services.send_code(session, settings, email, code)


async def code_attempts_exceeded(maker: Any, ip: str, email: str) -> bool:
    return await throttle.is_limited(
        maker, "code_fail", f"{email}|{ip}", limit=CODE_FAILURES_PER_ASKER, window=HOUR
    ) or await throttle.is_limited(maker, "code_fail_ip", ip, limit=CODE_FAILURES_PER_IP, window=HOUR)


async def redeem_code(
    session: AsyncSession,
    maker: Any,
    settings: Settings,
    ip: str,
    email: str,
    code: str,
    *,
    purpose: str,
    requester: str,
) -> SignInCode:
    """Use the typed code; a wrong one (services.InvalidCode) is counted against the asker before it is raised."""
    try:
        return await services.redeem_code(session, settings, email, code, purpose=purpose, requester=requester)
    except services.InvalidCode:
        await throttle.hit(maker, "code_fail", f"{email}|{ip}")
        await throttle.hit(maker, "code_fail_ip", ip)
        async with maker() as counting, counting.begin():
            await services.count_wrong_attempt(counting, email, purpose, requester)
        raise


# ---- passkeys ------------------------------------------------------------------------------------------------


async def passkey_limited(maker: Any, ip: str) -> bool:
    return await throttle.is_limited(maker, "passkey_fail", ip, limit=20, window=HOUR)


async def count_passkey_failure(maker: Any, ip: str) -> None:
    await throttle.hit(maker, "passkey_fail", ip)


async def passkey_sign_in(
    session: AsyncSession, maker: Any, settings: Settings, ip: str, body: bytes, challenge: bytes
) -> User:
    """The login a passkey proves; passkeys.PasskeyError when it does not (a failed proof is counted)."""
    try:
        credential = passkeys.parse(body)
        stored = await services.passkey_by_credential(session, passkeys.credential_id_of(credential))
        if stored is None:
            raise passkeys.PasskeyError("unknown credential")
        new_count = passkeys.verify_authentication(
            settings, credential, challenge, public_key=stored.public_key, sign_count=stored.sign_count
        )
    except passkeys.PasskeyError:
        await throttle.hit(maker, "passkey_fail", ip)
        raise
    user = await services.passkey_used(session, stored, new_count)
    if not user.active:
        raise passkeys.PasskeyError("inactive login")
    return user


# ---- sign-up -------------------------------------------------------------------------------------------------


async def match_for_signup(
    session: AsyncSession, maker: Any, ip: str, *, account_number: str, zip_code: str, last_name: str
) -> Account:
    """The account these details name (number, service ZIP, last name as on the bill); a miss counts."""
    return await access.match_by_details(
        session, maker, ip, account_number=account_number, zip_code=zip_code, last_name=last_name
    )
