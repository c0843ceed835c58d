"""What the sign-in, sign-up and settings screens share: JSON errors for the passkey endpoints, the one-use
WebAuthn challenge kept in the session, this browser's code-asking identity, and checking a typed email code."""

from __future__ import annotations

import base64
import secrets

from litestar import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import SignInCode
from portal.i18n import gettext as _
from portal.settings import Settings
from portal.web.forms import filled
from portal.web.identity import client_ip

from .. import attempts, services
from ..forms import EmailCodeForm

CHALLENGE = "webauthn_challenge"


def json_error(message: str, status: int = 400, code: str = "invalid") -> Response:
    return Response({"error": {"code": code, "message": message}}, status_code=status)


def put_challenge(request: Request, purpose: str, challenge: bytes) -> None:
    request.session[CHALLENGE] = {"purpose": purpose, "value": base64.b64encode(challenge).decode()}


def take_challenge(request: Request, purpose: str) -> bytes | None:
    """A challenge is good for one attempt only."""
    stored = request.session.pop(CHALLENGE, None)
    if not stored or stored.get("purpose") != purpose:
        return None
    return base64.b64decode(stored["value"])


def requester(request: Request) -> str:
    """This browser's code-asking identity: a random nonce in its signed session (made on first use)."""
    nonce = request.session.get("code_nonce")
    if not isinstance(nonce, str):
        nonce = request.session["code_nonce"] = secrets.token_urlsafe(24)
    return services.requester_of(nonce)


async def redeem(
    request: Request, db_session: AsyncSession, settings: Settings, form: EmailCodeForm, purpose: str
) -> SignInCode | int:
    """Check the typed code; answer the used code, or the HTTP status for the form re-shown with its error."""
    if not form.validate():
        return 400
    email = services.normalize_email(filled(form.email.data))
    maker, ip = request.app.state.sessionmaker, client_ip(request)
    if await attempts.code_attempts_exceeded(maker, ip, email):
        form.add_error("code", _("Too many wrong codes. Ask for a new code in an hour."))
        return 429
    try:
        return await attempts.redeem_code(
            db_session,
            maker,
            settings,
            ip,
            email,
            filled(form.code.data),
            purpose=purpose,
            requester=requester(request),
        )
    except services.InvalidCode as exc:
        form.add_error("code", exc.message)
        return 400
