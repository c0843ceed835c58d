"""Text messages through Twilio's official SDK: numbers normalized to E.164 by `phonenumbers`, sending, the request
signature of Twilio's webhooks, and the STOP/START/HELP keywords of the inbound webhook.

TWILIO_API_BASE points the SDK at the local stand-in (portal/demo/twilio_stand_in.py) in the demo and the tests;
unset, the SDK talks to api.twilio.com as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import phonenumbers
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from portal.settings import Settings

TWILIO_API = "https://api.twilio.com"
DEFAULT_REGION = "US"  # numbers typed without a country code are the utility's country's

# Twilio's error codes that no retry can fix: an invalid number, a number that replied STOP, a landline.
PERMANENT_CODES = frozenset({21211, 21408, 21610, 21612, 21614})

# Twilio's standard opt-out keywords (and the opt-in ones), as its Advanced Opt-Out recognizes them.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})


def normalize(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The number in E.164 (+15125550100), or None when it is no valid number: a text is never sent to a guess."""
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def keyword(body: str | None) -> str | None:
    """ "stop", "start" or "help" when an inbound text is one of the keywords (the whole message, any case)."""
    word = (body or "").strip().strip(".!").upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None


def configured(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from)


class StandInHttpClient(TwilioHttpClient):
    """The SDK's own HTTP client with api.twilio.com replaced by the stand-in's base URL."""

    def __init__(self, base: str) -> None:
        super().__init__(timeout=20)
        self.base = base.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_API):
            url = self.base + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def client(settings: Settings) -> Client:
    http = StandInHttpClient(settings.twilio_api_base) if settings.twilio_api_base else TwilioHttpClient(timeout=20)
    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)


@dataclass(frozen=True)
class SendError(Exception):
    """A text that did not go: `permanent` when retrying cannot help (the number is invalid or opted out)."""

    message: str
    permanent: bool


def send(settings: Settings, to: str, body: str, status_callback: str | None) -> tuple[str, str]:
    """Send one text (blocking: run it in a thread); answers Twilio's message SID and its first status."""
    sender = settings.twilio_from or ""
    extra: dict[str, Any] = {"status_callback": status_callback} if status_callback else {}
    if sender.startswith("MG"):
        extra["messaging_service_sid"] = sender
    else:
        extra["from_"] = sender
    try:
        message = client(settings).messages.create(to=to, body=body, **extra)
    except TwilioRestException as exc:
        permanent = exc.code in PERMANENT_CODES or (400 <= exc.status < 500 and exc.status != 429)
        raise SendError(f"twilio {exc.status} {exc.code}: {exc.msg}", permanent) from exc
    except (TwilioException, OSError) as exc:
        raise SendError(f"twilio unreachable: {type(exc).__name__}", False) from exc
    except Exception as exc:  # requests' connection errors (not OSError subclasses in every version)
        if type(exc).__module__.startswith("requests"):
            raise SendError(f"twilio unreachable: {type(exc).__name__}", False) from exc
        raise
    return str(message.sid), str(message.status or "queued")


def fetch_status(settings: Settings, sid: str) -> tuple[str, int | None]:
    """Ask Twilio for a text's current status (blocking: run it in a thread): (Twilio's status, its error code)."""
    try:
        message = client(settings).messages(sid).fetch()
    except TwilioRestException as exc:
        raise SendError(f"twilio {exc.status} {exc.code}: {exc.msg}", exc.status == 404) from exc
    except (TwilioException, OSError) as exc:
        raise SendError(f"twilio unreachable: {type(exc).__name__}", False) from exc
    except Exception as exc:  # requests' connection errors (not OSError subclasses in every version)
        if type(exc).__module__.startswith("requests"):
            raise SendError(f"twilio unreachable: {type(exc).__name__}", False) from exc
        raise
    code = message.error_code
    return str(message.status or ""), int(code) if code else None


def signature_ok(settings: Settings, url: str, params: dict[str, str], signature: str | None) -> bool:
    """Twilio signs each webhook with the account's auth token over the URL it called and the form fields."""
    if not settings.twilio_auth_token or not signature:
        return False
    return bool(RequestValidator(settings.twilio_auth_token).validate(url, params, signature))


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """The X-Twilio-Signature Twilio would send (the stand-in and tests sign their callbacks with it)."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


# Twilio's message statuses -> the outbox's (None: still on its way, nothing to record).
TWILIO_STATUS = {
    "accepted": None,
    "queued": None,
    "sending": None,
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "failed",
    "failed": "failed",
}
