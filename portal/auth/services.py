"""Sign-in actions: passkeys, one-time email codes, resident logins created by linking an account, staff logins."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal import mail
from portal.accounts import access, audit
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict, DomainError, NotFound
from portal.accounts.models import Account, Customer, Passkey, Role, SignInCode, User, utcnow
from portal.i18n import gettext as _
from portal.settings import Settings

from .passkeys import NewPasskey

CODE_TTL = dt.timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5


class InvalidCode(DomainError):
    pass


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _hash_code(settings: Settings, email: str, code: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"{email}:{code}".encode(), hashlib.sha256).hexdigest()


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == normalize_email(email)))


# ---- passkeys ------------------------------------------------------------------------------------------------


async def passkeys_of(session: AsyncSession, user_id: int) -> list[Passkey]:
    return list(await session.scalars(select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.created_at)))


async def passkey_by_credential(session: AsyncSession, credential_id: bytes) -> Passkey | None:
    return await session.scalar(select(Passkey).where(Passkey.credential_id == credential_id))


async def add_passkey(session: AsyncSession, actor: Actor, user: User, new: NewPasskey, nickname: str) -> Passkey:
    if await passkey_by_credential(session, new.credential_id) is not None:
        raise Conflict(_("This passkey is already registered."))
    passkey = Passkey(
        user_id=user.id,
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        transports=new.transports,
        aaguid=new.aaguid,
        backed_up=new.backed_up,
        nickname=(nickname or _("Passkey"))[:80],
    )
    session.add(passkey)
    await session.flush()
    await audit.record(session, actor, "passkey.add", "user", user.id, after={"passkey_id": passkey.id})
    return passkey


async def remove_passkey(session: AsyncSession, actor: Actor, user_id: int, passkey_id: int) -> None:
    passkey = await session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user_id:
        raise NotFound(_("We could not find that passkey."))
    await session.delete(passkey)
    await audit.record(session, actor, "passkey.remove", "user", user_id, before={"passkey_id": passkey_id})


async def passkey_used(session: AsyncSession, passkey: Passkey, new_sign_count: int) -> User:
    passkey.sign_count = new_sign_count
    passkey.last_used_at = utcnow()
    user = await session.get(User, passkey.user_id)
    assert user is not None
    user.last_sign_in_at = utcnow()
    return user


# ---- one-time codes ------------------------------------------------------------------------------------------


def requester_of(nonce: str) -> str:
    """What a code row keeps of the asking browser's nonce (kept in that browser's signed session)."""
    return hashlib.sha256(f"code-requester:{nonce}".encode()).hexdigest()


async def issue_code(
    session: AsyncSession,
    settings: Settings,
    email: str,
    *,
    requester: str,
    purpose: str = "signin",
    payload: dict | None = None,
) -> str:
    email = normalize_email(email)
    code = f"{secrets.randbelow(1_000_000):06d}"
    # A new code replaces the earlier one this browser asked for; codes other browsers asked for (perhaps the
    # address's owner, perhaps someone else) stay good, so nobody can spend another person's code by asking.
    await session.execute(
        update(SignInCode)
        .where(
            SignInCode.email == email,
            SignInCode.purpose == purpose,
            SignInCode.used_at.is_(None),
            SignInCode.requester == requester,
        )
        .values(used_at=utcnow())
    )
    session.add(
        SignInCode(
            email=email,
            purpose=purpose,
            code_hash=_hash_code(settings, email, code),
            payload=payload,
            expires_at=utcnow() + CODE_TTL,
            requester=requester,
        )
    )
    await session.flush()
    return code


async def redeem_code(
    session: AsyncSession, settings: Settings, email: str, code: str, *, purpose: str, requester: str
) -> SignInCode:
    """Use a code once, in the browser that asked for it. Wrong, expired and used codes all give the same answer."""
    email = normalize_email(email)
    code = "".join(ch for ch in (code or "") if "0" <= ch <= "9")
    pending = await session.scalar(
        select(SignInCode)
        .where(
            SignInCode.email == email,
            SignInCode.purpose == purpose,
            SignInCode.used_at.is_(None),
            SignInCode.requester == requester,
        )
        .order_by(SignInCode.created_at.desc(), SignInCode.id.desc())
        .limit(1)
    )
    wrong = InvalidCode(
        _("That code is not right or has expired. Check the latest email or ask for a new code."), field="code"
    )
    if pending is None or pending.expires_at < utcnow() or pending.attempts >= CODE_MAX_ATTEMPTS:
        raise wrong
    if not hmac.compare_digest(pending.code_hash, _hash_code(settings, email, code)):
        raise wrong  # the caller counts the attempt in its own transaction (this one is rolled back)
    pending.used_at = utcnow()
    return pending


async def count_wrong_attempt(session: AsyncSession, email: str, purpose: str, requester: str) -> None:
    """A wrong guess wears out only the guessing browser's code, never the one the address's owner is typing."""
    await session.execute(
        update(SignInCode)
        .where(
            SignInCode.email == normalize_email(email),
            SignInCode.purpose == purpose,
            SignInCode.used_at.is_(None),
            SignInCode.requester == requester,
        )
        .values(attempts=SignInCode.attempts + 1)
    )


def code_email(code: str, utility: str) -> tuple[str, str]:
    subject = _("Your sign-in code: %(code)s", code=code)
    body = _(
        "Your %(utility)s sign-in code is %(code)s.\n\nIt works once, for 10 minutes. "
        "If you did not ask for it, you can ignore this email.",
        utility=utility,
        code=code,
    )
    return subject, body


def send_code(session: AsyncSession, settings: Settings, email: str, code: str) -> None:
    subject, body = code_email(code, settings.utility_name)
    mail.queue(session, normalize_email(email), subject, body)


async def send_signup_code(
    session: AsyncSession, settings: Settings, email: str, account: Account, *, requester: str
) -> None:
    """Mail a sign-up code that carries the account it will link."""
    code = await issue_code(
        session, settings, email, requester=requester, purpose="signup", payload={"account_id": account.id}
    )
    send_code(session, settings, email, code)


async def signing_in_with_code(session: AsyncSession, email: str, now: dt.datetime) -> User | None:
    """The active login a redeemed sign-in code opens (its last sign-in set to now); None if there is none."""
    user = await user_by_email(session, email)
    if user is None or not user.active:
        return None
    user.last_sign_in_at = now
    return user


# ---- logins --------------------------------------------------------------------------------------------------


async def create_customer_login(session: AsyncSession, actor: Actor, email: str, account: Account) -> User:
    """Make (or reuse) the resident's login for this email and link the account to it."""
    email = normalize_email(email)
    user = await user_by_email(session, email)
    if user is None:
        customer = await session.get(Customer, account.customer_id)
        assert customer is not None
        user = User(
            email=email,
            display_name=customer.display_name,
            role=Role.CUSTOMER,
            customer_id=customer.id,
            locale=customer.language,
        )
        session.add(user)
        await session.flush()
        await audit.record(
            session, actor, "user.create", "user", user.id, after={"email": email, "role": Role.CUSTOMER}
        )
    elif user.role != Role.CUSTOMER:
        raise Conflict(_("This email belongs to a staff login. Use a personal email to manage your account."))
    if await access.link(session, user.id, account.id):
        await audit.record(
            session, actor, "account.link", "account", account.id, account_id=account.id, after={"user_id": user.id}
        )
    return user


async def create_staff(session: AsyncSession, actor: Actor, email: str, name: str, role: Role) -> User:
    if role == Role.CUSTOMER:
        raise ValueError("staff logins are field, csr, supervisor or admin")
    email = normalize_email(email)
    user = await user_by_email(session, email)
    if user is not None:
        raise Conflict(f"{email} already has a login")
    user = User(email=email, display_name=name, role=role)
    session.add(user)
    await session.flush()
    await audit.record(session, actor, "user.create", "user", user.id, after={"email": email, "role": role})
    return user


async def sign_out_everywhere(session: AsyncSession, actor: Actor, user_id: int) -> None:
    user = await session.get(User, user_id)
    assert user is not None
    user.session_version += 1
    await audit.record(session, actor, "user.sign_out_everywhere", "user", user_id)


async def count_users(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)
