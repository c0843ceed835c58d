"""Configuration that refuses to start wrong (docs/operations.md, "Required settings").

`Settings.from_env` keeps its demo-friendly defaults (a per-machine key, SQLite under ./var/) so the demo and the
tests need nothing set. Outside demo mode those defaults are mistakes: two instances with different keys sign each
other's people out, an instance on SQLite sees a different database than its neighbours. So the processes that serve
(`portal serve`, the app factory reading the environment, `portal worker`) call `settings_or_exit`, which refuses
to start, with one readable message and exit status 2, on any problem `problems` finds; `portal check-config` prints
every setting, where it came from, and the same problems.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from portal.accounts.policy import Policy, out_of_range, policy_from_env
from portal.settings import ENV_INTS, ENV_NAMES, Settings

# What production must say explicitly: the demo's fallbacks for these are wrong anywhere else.
REQUIRED = ("SECRET_KEY", "DATABASE_URL", "PUBLIC_URL")
SECRETS = frozenset(
    {
        "SECRET_KEY",
        "SMTP_PASSWORD",
        "STRIPE_API_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "METRICS_TOKEN",
        "TWILIO_AUTH_TOKEN",
        "MAIL_WEBHOOK_SECRET",
    }
)
URLS_WITH_PASSWORDS = frozenset({"DATABASE_URL", "REDIS_URL"})
# Defaults that exist for the demo: shown as coming from "demo" when demo mode is on.
DEMO_DEFAULTS = frozenset({"SECRET_KEY", "DATABASE_URL", "PUBLIC_URL", "PHOTO_STORE"})
MIN_SECRET_LENGTH = 32
MIN_TOKEN_LENGTH = 24  # METRICS_TOKEN and MAIL_WEBHOOK_SECRET outside the demo: long enough not to be guessed
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
LOG_FORMATS = ("json", "console")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
EXIT_REFUSED = 2


@dataclass(frozen=True)
class Row:
    """One line of `portal check-config`."""

    name: str
    value: str
    source: str  # environment, default or demo


def _mask(name: str, raw: object) -> str:
    if raw is None or raw == "":
        return "(not set)"
    text = str(raw)
    if name in SECRETS:
        return f"******** ({len(text)} characters)"
    if name in URLS_WITH_PASSWORDS:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            return make_url(text).render_as_string(hide_password=True)
        except ArgumentError:
            return "(unreadable URL)"
    return text


def describe(settings: Settings, env: Mapping[str, str]) -> list[Row]:
    """Every setting with its value (secrets masked) and where it came from."""

    def source(name: str) -> str:
        if env.get(name, "").strip():
            return "environment"
        return "demo" if settings.demo and name in DEMO_DEFAULTS else "default"

    attrs = {"SECRET_KEY": "secret_key"} | {name: attr for attr, name in {**ENV_NAMES, **ENV_INTS}.items()}
    rows = [Row(name, _mask(name, getattr(settings, attr)), source(name)) for name, attr in sorted(attrs.items())]
    rows += [
        Row("PORTAL_DEMO", "on" if settings.demo else "off", source("PORTAL_DEMO")),
        Row("PORTAL_DEBUG", "on" if settings.debug else "off", source("PORTAL_DEBUG")),
        Row("SECURE_COOKIES", "on" if settings.secure_cookies else "off", source("SECURE_COOKIES")),
        Row("(log format in use)", settings.log_renderer, source("LOG_FORMAT")),
    ]
    policy_names = sorted(name for name in env if name.startswith("POLICY_"))
    rows += [Row(name, env[name], "environment") for name in policy_names]
    return rows


def problems(settings: Settings, env: Mapping[str, str], workers: int = 1) -> list[str]:
    """Why this configuration must not serve (empty: it may). `workers` is `portal serve --workers`."""
    found: list[str] = []
    if not settings.demo:
        found += [
            f"{name} is not set: outside demo mode it must be given explicitly ({_WHY[name]})."
            for name in REQUIRED
            if not env.get(name, "").strip()
        ]
        if env.get("SECRET_KEY", "").strip() and len(settings.secret_key) < MIN_SECRET_LENGTH:
            found.append(
                f"SECRET_KEY is {len(settings.secret_key)} characters: use at least {MIN_SECRET_LENGTH} random ones "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        if env.get("PUBLIC_URL", "").strip():
            parts = urlsplit(settings.public_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                found.append(
                    f"PUBLIC_URL={settings.public_url} is not an http(s) address such as https://portal.city.gov."
                )
        if settings.instances > 1 and settings.photo_store.startswith("file:"):
            found.append(
                f"INSTANCES={settings.instances} but PHOTO_STORE is a local folder ({settings.photo_store}): each "
                "machine would keep its own photos. Use a shared bucket (PHOTO_STORE=s3://...)."
            )
        if settings.instances > 1 and settings.is_sqlite:
            found.append(
                f"INSTANCES={settings.instances} but DATABASE_URL is SQLite: several machines need PostgreSQL."
            )
        if not (settings.smtp_host or "").strip():
            found.append(
                "SMTP_HOST is not set: outside demo mode email needs a mail server, or every email (sign-in codes, "
                "receipts, notices) would wait in the outbox for ever."
            )
        for name, value in (
            ("METRICS_TOKEN", settings.metrics_token),
            ("MAIL_WEBHOOK_SECRET", settings.mail_webhook_secret),
        ):
            if value and len(value) < MIN_TOKEN_LENGTH:
                found.append(
                    f"{name} is {len(value)} characters: use at least {MIN_TOKEN_LENGTH} random ones "
                    "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')."
                )
    else:
        if not settings.is_sqlite:
            found.append(
                "PORTAL_DEMO is on with a PostgreSQL DATABASE_URL: demo mode signs anyone in with a button and seeds a "
                "demo city. Turn PORTAL_DEMO off for a real database."
            )
        if settings.instances > 1:
            found.append(
                f"PORTAL_DEMO is on with INSTANCES={settings.instances}: the demo is one machine. Turn PORTAL_DEMO off."
            )
    if settings.twilio_api_base and not twilio_api_base_ok(settings.twilio_api_base):
        found.append(
            f"TWILIO_API_BASE={settings.twilio_api_base} is not an https address (http only to localhost, for the "
            "stand-in): the auth token goes with every request."
        )
    if workers < 1 or settings.instances < 1:
        found.append("--workers and INSTANCES count processes and machines: at least 1.")
    if settings.log_format and settings.log_format not in LOG_FORMATS:
        found.append(f"LOG_FORMAT={settings.log_format} is not one of {', '.join(LOG_FORMATS)}.")
    if settings.log_level.upper() not in LOG_LEVELS:
        found.append(f"LOG_LEVEL={settings.log_level} is not one of {', '.join(LOG_LEVELS)}.")
    try:
        zoneinfo.ZoneInfo(settings.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        found.append(f"UTILITY_TIMEZONE={settings.timezone} is not a time zone name such as America/Chicago.")
    try:
        from portal.web.identity import parse_trusted_proxies

        parse_trusted_proxies(settings.trusted_proxies)
    except ValueError as exc:
        found.append(f"TRUSTED_PROXIES has an entry that is not an IP address or network ({exc}).")
    found += policy_problems(env)
    return found


def twilio_api_base_ok(url: str) -> bool:
    """An https address, or http to this machine (the stand-in): Twilio's auth token goes with every request."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if not host:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and host in LOCAL_HOSTS)


_WHY = {
    "SECRET_KEY": "every instance must share one key, or sessions end when a request reaches another",
    "DATABASE_URL": "without it the app would use a SQLite file on this machine",
    "PUBLIC_URL": "links in emails and passkeys are bound to it",
}


def policy_problems(env: Mapping[str, str]) -> list[str]:
    """POLICY_* variables that cannot be read, or numbers out of their bounds (portal/accounts/policy.py)."""
    try:
        policy = policy_from_env(dict(env))
    except (ValueError, TypeError) as exc:
        unreadable = [
            f"POLICY_{item.name.upper()}"
            for item in dataclasses.fields(Policy)
            if f"POLICY_{item.name.upper()}" in env and not _readable(item.name, env[f"POLICY_{item.name.upper()}"])
        ]
        names = ", ".join(unreadable) or "a POLICY_ variable"
        return [f"{names} cannot be read as the number, time or list it should be ({exc})."]
    return out_of_range(policy)


def _readable(name: str, raw: str) -> bool:
    try:
        policy_from_env({f"POLICY_{name.upper()}": raw})
    except (ValueError, TypeError):
        return False
    return True


def refusal_message(found: list[str]) -> str:
    lines = [f"Utility Portal will not start: {len(found)} configuration problem{'s' if len(found) > 1 else ''}."]
    lines += [f"  - {problem}" for problem in found]
    lines.append(
        "Set these in the environment (docs/operations.md, 'Required settings'); `portal check-config` shows every "
        "setting and where it came from. For a local try-out, `portal demo` needs none of them."
    )
    return "\n".join(lines)


def from_env() -> Settings:
    """Settings.from_env, minus the demo's generated key outside demo mode (checking must not write var/secret_key).
    A number that is not a number raises ValueError."""
    demo = os.environ.get("PORTAL_DEMO", "").strip().lower() in {"1", "true", "yes", "on"}
    if demo or os.environ.get("SECRET_KEY"):
        return Settings.from_env()
    return Settings.from_env(secret_key="")


def settings_or_exit(workers: int = 1) -> Settings:
    """The settings from the environment, or a message on stderr and exit status 2: what serving processes call."""
    env = os.environ
    try:
        settings = from_env()
    except ValueError as exc:  # INSTANCES=two, SMTP_PORT=abc
        found = [f"A number setting (INSTANCES, SMTP_PORT) is not a whole number: {exc}."]
    else:
        found = problems(settings, env, workers)
    if found:
        print(refusal_message(found), file=sys.stderr)
        raise SystemExit(EXIT_REFUSED)
    return settings
