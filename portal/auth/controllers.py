"""Sign-in pages and the passkey JSON endpoints."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import access, throttle
from portal.accounts.errors import DomainError
from portal.accounts.models import Account, SignInCode, User
from portal.i18n import gettext as _
from portal.settings import Settings
from portal.web import guards
from portal.web.deps import AppSettings, DbSession, FromPath, FromQuery
from portal.web.flash import flash
from portal.web.identity import actor_of, client_ip, home_route, safe_next, sign_in, sign_out
from portal.web.urls import redirect_to, url

from . import passkeys, services
from .forms import EmailCodeForm, EmailCodeRequestForm, SignUpForm

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
CHALLENGE = "webauthn_challenge"


def _json_error(message: str, status: int = 400, code: str = "invalid") -> Response:
    return Response({"error": {"code": code, "message": message}}, status_code=status)


def _put_challenge(request: Request, purpose: str, challenge: bytes) -> None:
    request.session[CHALLENGE] = {"purpose": purpose, "value": base64.b64encode(challenge).decode()}


def _take_challenge(request: Request, purpose: str) -> bytes | None:
    """A challenge is good for one attempt only."""
    stored = request.session.pop(CHALLENGE, None)
    if not stored or stored.get("purpose") != purpose:
        return None
    return base64.b64decode(stored["value"])


class SignInController(Controller):
    path = "/signin"

    @get("/", name="signin")
    async def page(self, request: Request, next: FromQuery[str | None] = None) -> Template | Redirect:  # noqa: A002
        if request.user is not None:
            return Redirect(safe_next(next, url(request, request.user.home_route)))
        return Template("auth/signin.html", context={"form": EmailCodeRequestForm(), "next": safe_next(next, "")})

    @post("/passkey/options", name="signin.passkey.options")
    async def passkey_options(self, request: Request, settings: AppSettings) -> Response:
        options, challenge = passkeys.authentication_options(settings)
        _put_challenge(request, "signin", challenge)
        return Response(options, media_type="application/json")

    @post("/passkey", name="signin.passkey")
    async def passkey_verify(self, request: Request, db_session: DbSession, settings: AppSettings) -> Response:
        maker = request.app.state.sessionmaker
        ip = client_ip(request)
        if await throttle.is_limited(maker, "passkey_fail", ip, limit=20, window=HOUR):
            return _json_error(_("Too many attempts. Wait a while and try again."), 429, "rate_limited")
        challenge = _take_challenge(request, "signin")
        failed = _("That passkey did not work here. Try again, or sign in with an email code.")
        if challenge is None:
            return _json_error(_("This page had expired. Try again."), 400, "expired")
        try:
            credential = passkeys.parse(await request.body())
            stored = await services.passkey_by_credential(db_session, passkeys.credential_id_of(credential))
            if stored is None:
                raise passkeys.PasskeyError("unknown credential")
            new_count = passkeys.verify_authentication(
                settings, credential, challenge, public_key=stored.public_key, sign_count=stored.sign_count
            )
        except passkeys.PasskeyError:
            await throttle.hit(maker, "passkey_fail", ip)
            return _json_error(failed, 400, "passkey_failed")
        user = await services.passkey_used(db_session, stored, new_count)
        if not user.active:
            return _json_error(failed, 400, "passkey_failed")
        await sign_in(request, db_session, user)
        target = safe_next(request.query_params.get("next"), url(request, home_route(user.role)))
        return Response({"redirect": target})

    @post("/code", name="signin.code.request")
    async def request_code(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template | Redirect:
        form = await EmailCodeRequestForm.from_request(request)
        next_ = safe_next((await request.form()).get("next"), "")
        if not form.validate():
            return Template("auth/signin.html", context={"form": form, "next": next_}, status_code=400)
        email = services.normalize_email(form.email.data)
        if await _code_requests_exceeded(request, email):
            form.add_error("email", _("Too many codes were asked for. Wait an hour and try again."))
            return Template("auth/signin.html", context={"form": form, "next": next_}, status_code=429)
        await _count_code_request(request, email)
        requester = _requester(request)  # for every address, so the session cookie says nothing about which exist
        user = await services.user_by_email(db_session, email)
        if user is not None and user.active:
            code = await services.issue_code(db_session, settings, email, requester=requester, purpose="signin")
            services.send_code(db_session, settings, email, code)
        # The same answer whether or not the address has a login: the page reveals nobody's email.
        request.session["code_email"] = email
        return redirect_to("signin.code", query={"next": next_} if next_ else None, status_code=302)

    @get("/code", name="signin.code")
    async def code_page(self, request: Request, next: FromQuery[str | None] = None) -> Template:  # noqa: A002
        form = EmailCodeForm(data={"email": request.session.get("code_email", "")})
        return Template("auth/code.html", context={"form": form, "next": safe_next(next, ""), "purpose": "signin"})

    @post("/code/verify", name="signin.code.verify")
    async def verify_code(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template | Redirect:
        form = await EmailCodeForm.from_request(request)
        next_ = safe_next((await request.form()).get("next"), "")
        context: dict[str, Any] = {"form": form, "next": next_, "purpose": "signin"}
        redeemed = await _redeem(request, db_session, settings, form, "signin")
        if isinstance(redeemed, int):
            return Template("auth/code.html", context=context, status_code=redeemed)
        email = redeemed.email
        user = await services.user_by_email(db_session, email)
        if user is None or not user.active:
            form.add_error(
                "code", _("That code is not right or has expired. Check the latest email or ask for a new code.")
            )
            return Template("auth/code.html", context=context, status_code=400)
        user.last_sign_in_at = dt.datetime.now(dt.UTC)
        await sign_in(request, db_session, user)
        request.session.pop("code_email", None)
        has_passkey = bool(await services.passkeys_of(db_session, user.id))
        if not has_passkey:
            flash(
                request,
                _(
                    "You are signed in. Add a passkey so next time you can sign in with your fingerprint, face or screen lock."
                ),
                "info",
            )
            return redirect_to("settings", anchor="passkeys", status_code=302)
        return Redirect(safe_next(next_, url(request, home_route(user.role))))


async def _redeem(
    request: Request, db_session: AsyncSession, settings: Settings, form: EmailCodeForm, purpose: str
) -> SignInCode | int:
    """Check the typed code; answer the used code, or the HTTP status for the form re-shown with its error."""
    if not form.validate():
        return 400
    email = services.normalize_email(form.email.data)
    if await _code_attempts_exceeded(request, email):
        form.add_error("code", _("Too many wrong codes. Ask for a new code in an hour."))
        return 429
    requester = _requester(request)
    try:
        return await services.redeem_code(
            db_session, settings, email, form.code.data, purpose=purpose, requester=requester
        )
    except services.InvalidCode as exc:
        await _count_code_failure(request, email, purpose, requester)
        form.add_error("code", exc.message)
        return 400


# Limits on email codes count what the asker does (per address and client IP, and per client IP), never what others
# did to the same address: someone asking for or guessing at another person's codes wears out only their own.
# Guessing stays bounded by each code's 5 tries and the per-address cap on codes sent (which also stops mail floods).
CODE_REQUESTS_PER_ASKER = 5
CODE_REQUESTS_PER_IP = 30
CODES_SENT_PER_ADDRESS = 20
CODE_FAILURES_PER_ASKER = 10
CODE_FAILURES_PER_IP = 30


def _requester(request: Request) -> str:
    """This browser's code-asking identity: a random nonce in its signed session (made on first use)."""
    nonce = request.session.get("code_nonce")
    if not isinstance(nonce, str):
        nonce = request.session["code_nonce"] = secrets.token_urlsafe(24)
    return services.requester_of(nonce)


async def _code_requests_exceeded(request: Request, email: str) -> bool:
    maker, ip = request.app.state.sessionmaker, client_ip(request)
    return (
        await throttle.is_limited(maker, "code_send", f"{email}|{ip}", limit=CODE_REQUESTS_PER_ASKER, window=HOUR)
        or await throttle.is_limited(maker, "code_send_ip", ip, limit=CODE_REQUESTS_PER_IP, window=HOUR)
        or await throttle.is_limited(maker, "code_send_all", email, limit=CODES_SENT_PER_ADDRESS, window=HOUR)
    )


async def _count_code_request(request: Request, email: str) -> None:
    maker, ip = request.app.state.sessionmaker, client_ip(request)
    await throttle.hit(maker, "code_send", f"{email}|{ip}")
    await throttle.hit(maker, "code_send_ip", ip)
    await throttle.hit(maker, "code_send_all", email)


async def _code_attempts_exceeded(request: Request, email: str) -> bool:
    maker, ip = request.app.state.sessionmaker, client_ip(request)
    return await throttle.is_limited(
        maker, "code_fail", f"{email}|{ip}", limit=CODE_FAILURES_PER_ASKER, window=HOUR
    ) or await throttle.is_limited(maker, "code_fail_ip", ip, limit=CODE_FAILURES_PER_IP, window=HOUR)


async def _count_code_failure(request: Request, email: str, purpose: str, requester: str) -> None:
    maker, ip = request.app.state.sessionmaker, client_ip(request)
    await throttle.hit(maker, "code_fail", f"{email}|{ip}")
    await throttle.hit(maker, "code_fail_ip", ip)
    async with maker() as session, session.begin():
        await services.count_wrong_attempt(session, email, purpose, requester)


@post("/signout", name="signout")
async def signout(request: Request, db_session: DbSession) -> Redirect:
    await sign_out(request, db_session)
    flash(request, _("You are signed out."), "info")
    return redirect_to("landing", status_code=302)


class SignUpController(Controller):
    """A resident makes a login by proving they hold an account (number + service ZIP + last name) and an email."""

    path = "/signup"

    @get("/", name="signup")
    async def page(self) -> Template:
        return Template("auth/signup.html", context={"form": SignUpForm()})

    @post("/", name="signup.submit")
    async def submit(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template | Redirect:
        form = await SignUpForm.from_request(request)
        if not form.validate():
            return Template("auth/signup.html", context={"form": form}, status_code=400)
        maker = request.app.state.sessionmaker
        ip = client_ip(request)
        number = "".join(ch for ch in form.account_number.data if "0" <= ch <= "9")
        if await throttle.is_limited(maker, "link_fail_ip", ip, limit=10, window=HOUR) or await throttle.is_limited(
            maker, "link_fail_acct", number, limit=6, window=DAY
        ):
            form.add_error(
                "account_number", _("Too many tries. For your security, wait and try again tomorrow, or call us.")
            )
            return Template("auth/signup.html", context={"form": form}, status_code=429)
        account = await access.match_account(db_session, number, form.zip_code.data, form.last_name.data)
        if account is None:
            await throttle.hit(maker, "link_fail_ip", ip)
            await throttle.hit(maker, "link_fail_acct", number)
            form.add_error(
                "account_number",
                _(
                    "We could not match those details. Check the account number, the service ZIP code and the last name as they appear on your bill."
                ),
            )
            return Template("auth/signup.html", context={"form": form}, status_code=400)
        email = services.normalize_email(form.email.data)
        code = await services.issue_code(
            db_session,
            settings,
            email,
            requester=_requester(request),
            purpose="signup",
            payload={"account_id": account.id},
        )
        services.send_code(db_session, settings, email, code)
        request.session["code_email"] = email
        return redirect_to("signup.verify", status_code=302)

    @get("/verify", name="signup.verify")
    async def verify_page(self, request: Request) -> Template:
        form = EmailCodeForm(data={"email": request.session.get("code_email", "")})
        return Template("auth/code.html", context={"form": form, "next": "", "purpose": "signup"})

    @post("/verify", name="signup.verify.submit")
    async def verify(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template | Redirect:
        form = await EmailCodeForm.from_request(request)
        context: dict[str, Any] = {"form": form, "next": "", "purpose": "signup"}
        redeemed = await _redeem(request, db_session, settings, form, "signup")
        if isinstance(redeemed, int):
            return Template("auth/code.html", context=context, status_code=redeemed)
        email = redeemed.email
        account = await db_session.get(Account, (redeemed.payload or {}).get("account_id"))
        if account is None:
            raise NotFoundException()
        try:
            user = await services.create_customer_login(db_session, actor_of(request), email, account)
        except DomainError as exc:
            form.add_error("email", exc.message)
            return Template("auth/code.html", context=context, status_code=409)
        await sign_in(request, db_session, user)
        request.session.pop("code_email", None)
        flash(
            request,
            _(
                "Your account is linked. Add a passkey so next time you can sign in with your fingerprint, face or screen lock."
            ),
            "success",
        )
        return redirect_to("settings", anchor="passkeys", status_code=302)


class SettingsController(Controller):
    """Every signed-in person's own settings: passkeys, sign-out everywhere (residents' billing preferences are
    added by the resident side)."""

    path = "/settings"
    guards = [guards.signed_in]

    @get("/", name="settings")
    async def page(self, request: Request, db_session: DbSession) -> Template:
        keys = await services.passkeys_of(db_session, request.user.id)
        return Template("auth/settings.html", context={"passkeys": keys})

    @post("/passkeys/options", name="settings.passkeys.options")
    async def register_options(self, request: Request, db_session: DbSession, settings: AppSettings) -> Response:
        user = await db_session.get(User, request.user.id)
        assert user is not None
        existing = [p.credential_id for p in await services.passkeys_of(db_session, user.id)]
        options, challenge = passkeys.registration_options(
            settings,
            user_handle=user.webauthn_handle,
            user_name=user.email,
            display_name=user.display_name,
            existing=existing,
        )
        _put_challenge(request, "register", challenge)
        return Response(options, media_type="application/json")

    @post("/passkeys", name="settings.passkeys.register")
    async def register(self, request: Request, db_session: DbSession, settings: AppSettings) -> Response:
        challenge = _take_challenge(request, "register")
        if challenge is None:
            return _json_error(_("This page had expired. Try again."), 400, "expired")
        try:
            body = passkeys.parse(await request.body())
            new = passkeys.verify_registration(settings, body.get("credential") or {}, challenge)
        except passkeys.PasskeyError:
            return _json_error(_("Your device could not create a passkey here. Try again."), 400, "passkey_failed")
        user = await db_session.get(User, request.user.id)
        assert user is not None
        nickname = str(body.get("nickname") or "")[:80] or _("Passkey")
        await services.add_passkey(db_session, actor_of(request), user, new, nickname)
        flash(request, _("Passkey added. Next time, choose “Sign in with a passkey”."), "success")
        return Response({"redirect": url(request, "settings", anchor="passkeys")})

    @post("/passkeys/{passkey_id:int}/delete", name="settings.passkeys.delete")
    async def remove(self, request: Request, db_session: DbSession, passkey_id: FromPath[int]) -> Redirect:
        await services.remove_passkey(db_session, actor_of(request), request.user.id, passkey_id)
        flash(request, _("Passkey removed."), "success")
        return redirect_to("settings", anchor="passkeys", status_code=302)

    @post("/signout-everywhere", name="settings.signout_everywhere")
    async def signout_everywhere(self, request: Request, db_session: DbSession) -> Redirect:
        await services.sign_out_everywhere(db_session, actor_of(request), request.user.id)
        await sign_out(request, db_session)
        flash(request, _("You are signed out on every device."), "info")
        return redirect_to("signin", status_code=302)
