"""Settings read once from environment variables, with safe defaults for the embedded demo."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", "var"))


def _bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from the environment, or one generated once and kept under ./var/ for the demo."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


DEFAULT_PHONE = "555-0100"  # customer service, as letters and messages print it (the demo city's; UTILITY_PHONE)
DEFAULT_EMERGENCY_PHONE = (
    "555-0199"  # answered any hour: a main break, a sewer backup, no water (UTILITY_EMERGENCY_PHONE)
)
DEFAULT_TIMEZONE = "America/Chicago"  # the utility's clock: its days, due dates and read dates


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=lambda: f"sqlite+aiosqlite:///{VAR_DIR / 'portal.db'}")
    secret_key: str = field(default_factory=_secret_key)
    public_url: str = "http://localhost:8000"
    demo: bool = False
    debug: bool = False
    redis_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str = "Utility Portal <no-reply@utility.example>"
    stripe_api_key: str | None = None
    stripe_api_base: str | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_js_url: str = "https://js.stripe.com/v3/"
    # Text messages through Twilio (docs/operations.md#the-outbox): off until the account SID and token are set.
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None  # the sending number (+1...) or a Messaging Service SID (MG...)
    twilio_api_base: str | None = None  # the local stand-in in the demo and tests; unset: api.twilio.com
    photo_store: str = field(default_factory=lambda: f"file:{VAR_DIR / 'photos'}")
    utility_name: str = "City of Riverton Utilities"
    # Printed on counter receipts; the defaults are the demo city's.
    utility_address: str = "200 Main St, Riverton, TX 76501"
    utility_phone: str = DEFAULT_PHONE
    emergency_phone: str = DEFAULT_EMERGENCY_PHONE
    timezone: str = DEFAULT_TIMEZONE
    session_max_age: int = 60 * 60 * 12
    secure_cookies: bool = False
    # Longest a session lives after sign-in, however active (the cookie's own 12 hours slide with use); a signed-out
    # session's id is remembered as revoked for this long.
    session_lifetime: int = 60 * 60 * 24 * 7
    # Load balancers and proxies whose X-Forwarded-For is believed (comma-separated IPs or CIDRs; none by default).
    trusted_proxies: str = ""
    # Observability (docs/operations.md): "json" lines for a log collector, "console" for people (demo, debug).
    log_format: str = ""
    log_level: str = "INFO"
    metrics_token: str | None = None  # /metrics answers 404 until it is set
    # Shared with the city's mail relay: it signs the bounce and delivery reports it posts to /mail/events.
    mail_webhook_secret: str | None = None
    instances: int = 1  # how many machines run the app on this database (INSTANCES): more than one needs shared photos

    @property
    def log_renderer(self) -> str:
        """LOG_FORMAT if set, else readable in the demo and in debug, JSON everywhere else."""
        return self.log_format or ("console" if self.demo or self.debug else "json")

    # The app runs the job schedule itself (an asyncio task): the embedded SQLite install, where no worker can run.
    jobs_in_process: bool = False

    @property
    def rp_id(self) -> str:
        """WebAuthn relying-party id: the host of PUBLIC_URL."""
        from urllib.parse import urlsplit

        return urlsplit(self.public_url).hostname or "localhost"

    @property
    def origin(self) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        env = os.environ
        values: dict[str, Any] = {}
        for attr, name in ENV_NAMES.items():
            if env.get(name):
                values[attr] = env[name]
        for attr, name in ENV_INTS.items():
            if env.get(name):
                values[attr] = int(env[name])
        values["demo"] = _bool("PORTAL_DEMO")
        values["debug"] = _bool("PORTAL_DEBUG")
        values["secure_cookies"] = _bool(
            "SECURE_COOKIES", default=str(values.get("public_url", "")).startswith("https")
        )
        database_url = str(values.get("database_url", "sqlite"))
        values["jobs_in_process"] = _bool("PORTAL_JOBS_IN_PROCESS", default=database_url.startswith("sqlite"))
        values.update(overrides)
        return cls(**values)


# Which environment variable sets which setting (portal/config.py reports where each value came from).
ENV_NAMES = {
    "database_url": "DATABASE_URL",
    "public_url": "PUBLIC_URL",
    "redis_url": "REDIS_URL",
    "smtp_host": "SMTP_HOST",
    "smtp_user": "SMTP_USER",
    "smtp_password": "SMTP_PASSWORD",
    "mail_from": "MAIL_FROM",
    "stripe_api_key": "STRIPE_API_KEY",
    "stripe_api_base": "STRIPE_API_BASE",
    "stripe_publishable_key": "STRIPE_PUBLISHABLE_KEY",
    "stripe_webhook_secret": "STRIPE_WEBHOOK_SECRET",
    "stripe_js_url": "STRIPE_JS_URL",
    "twilio_account_sid": "TWILIO_ACCOUNT_SID",
    "twilio_auth_token": "TWILIO_AUTH_TOKEN",
    "twilio_from": "TWILIO_FROM",
    "twilio_api_base": "TWILIO_API_BASE",
    "photo_store": "PHOTO_STORE",
    "utility_name": "UTILITY_NAME",
    "utility_address": "UTILITY_ADDRESS",
    "utility_phone": "UTILITY_PHONE",
    "emergency_phone": "UTILITY_EMERGENCY_PHONE",
    "timezone": "UTILITY_TIMEZONE",
    "trusted_proxies": "TRUSTED_PROXIES",
    "log_format": "LOG_FORMAT",
    "log_level": "LOG_LEVEL",
    "metrics_token": "METRICS_TOKEN",
    "mail_webhook_secret": "MAIL_WEBHOOK_SECRET",
}
ENV_INTS = {"smtp_port": "SMTP_PORT", "instances": "INSTANCES"}
