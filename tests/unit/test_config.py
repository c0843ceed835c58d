"""Configuration that refuses to start wrong: each refusal with its message, the masked printout, the exit."""

from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner

from portal import config
from portal.accounts.policy import BOUNDS, Policy, current_policy, out_of_range
from portal.settings import ENV_INTS, ENV_NAMES, Settings

GOOD = {
    "SECRET_KEY": "k" * 48,
    "DATABASE_URL": "postgresql+asyncpg://portal:hunter2@db.city.example/portal",
    "PUBLIC_URL": "https://portal.city.example",
    "SMTP_HOST": "smtp.city.example",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A process environment with none of the portal's settings: each test sets what it means."""
    import os

    for name in [*ENV_NAMES.values(), *ENV_INTS.values(), "SECRET_KEY", "PORTAL_DEMO", "PORTAL_DEBUG"]:
        monkeypatch.delenv(name, raising=False)
    for name in [name for name in os.environ if name.startswith("POLICY_")]:
        monkeypatch.delenv(name)
    return {}


def _settings(env: dict[str, str], **overrides: object) -> Settings:
    values = {"secret_key": env.get("SECRET_KEY", ""), "database_url": env.get("DATABASE_URL", "sqlite://")}
    if "PUBLIC_URL" in env:
        values["public_url"] = env["PUBLIC_URL"]
    if "SMTP_HOST" in env:
        values["smtp_host"] = env["SMTP_HOST"]
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]  # test values of the right types


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "PUBLIC_URL"])
def test_each_required_setting_is_refused_when_missing(missing: str) -> None:
    given = {name: value for name, value in GOOD.items() if name != missing}
    found = config.problems(_settings(given), given)
    assert found == [found[0]] and found[0].startswith(f"{missing} is not set: outside demo mode")


def test_a_complete_configuration_starts_and_the_demo_needs_nothing() -> None:
    assert config.problems(_settings(GOOD), GOOD) == []
    assert config.problems(_settings({}, demo=True), {}) == []


def test_a_short_secret_and_a_public_url_that_is_not_an_address_are_refused() -> None:
    given = {**GOOD, "SECRET_KEY": "short", "PUBLIC_URL": "portal.city.example"}
    found = config.problems(_settings(given), given)
    assert any(line.startswith("SECRET_KEY is 5 characters: use at least 32") for line in found)
    assert any(line.startswith("PUBLIC_URL=portal.city.example is not an http(s) address") for line in found)


def test_several_instances_need_shared_photos_and_postgresql() -> None:
    found = config.problems(_settings(GOOD, instances=2, photo_store="file:/srv/photos"), GOOD)
    assert found == [
        "INSTANCES=2 but PHOTO_STORE is a local folder (file:/srv/photos): each machine would keep its own photos. "
        "Use a shared bucket (PHOTO_STORE=s3://...)."
    ]
    on_sqlite = config.problems(_settings(GOOD, instances=2, photo_store="s3://b", database_url="sqlite://"), GOOD)
    assert on_sqlite == ["INSTANCES=2 but DATABASE_URL is SQLite: several machines need PostgreSQL."]
    # Several workers of one `portal serve` share this machine's disk: a local folder is right for them.
    assert config.problems(_settings(GOOD, photo_store="file:/srv/photos"), GOOD, workers=4) == []


def test_email_needs_a_mail_server_outside_the_demo() -> None:
    given = {name: value for name, value in GOOD.items() if name != "SMTP_HOST"}
    found = config.problems(_settings(given), given)
    assert len(found) == 1 and found[0].startswith("SMTP_HOST is not set: outside demo mode email needs a mail server")
    assert config.problems(_settings({}, demo=True), {}) == []  # the demo's mailbox page is its mail server


def test_the_demo_is_refused_on_postgresql_or_several_machines() -> None:
    on_postgres = _settings(GOOD, demo=True)
    assert config.problems(on_postgres, GOOD) == [
        "PORTAL_DEMO is on with a PostgreSQL DATABASE_URL: demo mode signs anyone in with a button and seeds a "
        "demo city. Turn PORTAL_DEMO off for a real database."
    ]
    several = _settings({}, demo=True, instances=3)
    assert config.problems(several, {}) == [
        "PORTAL_DEMO is on with INSTANCES=3: the demo is one machine. Turn PORTAL_DEMO off."
    ]


@pytest.mark.parametrize(
    ("base", "ok"),
    [
        ("https://api.twilio.com", True),
        ("https://twilio-proxy.city.example:8443/", True),
        ("http://127.0.0.1:8430", True),
        ("http://localhost:8430", True),
        ("http://[::1]:8430", True),
        ("http://api.twilio.com", False),
        ("http://10.0.0.5:8430", False),
        ("ftp://localhost", False),
        ("api.twilio.com", False),
        ("https://", False),
        ("http://[::1", False),
    ],
)
def test_twilio_api_base_is_https_or_plain_http_only_to_this_machine(base: str, ok: bool) -> None:
    for settings, given in (
        (_settings(GOOD, twilio_api_base=base), GOOD),
        (_settings({}, demo=True, twilio_api_base=base), {}),
    ):
        found = config.problems(settings, given)
        assert (found == []) is ok, found
        if not ok:
            assert found == [
                f"TWILIO_API_BASE={base} is not an https address (http only to localhost, for the stand-in): the auth "
                "token goes with every request."
            ]


def test_short_metrics_and_webhook_tokens_are_refused_outside_the_demo() -> None:
    short = _settings(GOOD, metrics_token="t" * 23, mail_webhook_secret="w" * 10)
    assert config.problems(short, GOOD) == [
        "METRICS_TOKEN is 23 characters: use at least 24 random ones "
        "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))').",
        "MAIL_WEBHOOK_SECRET is 10 characters: use at least 24 random ones "
        "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))').",
    ]
    assert config.problems(_settings(GOOD, metrics_token="t" * 24, mail_webhook_secret="w" * 24), GOOD) == []
    assert config.problems(_settings({}, demo=True, metrics_token="demo"), {}) == []


def test_formats_time_zones_and_proxies_that_cannot_work_are_refused() -> None:
    settings = _settings(GOOD, log_format="xml", log_level="chatty", timezone="Mars/Olympus", trusted_proxies="lb")
    found = config.problems(settings, GOOD)
    assert [line.split(" ")[0] for line in found] == [
        "LOG_FORMAT=xml",
        "LOG_LEVEL=chatty",
        "UTILITY_TIMEZONE=Mars/Olympus",
        "TRUSTED_PROXIES",
    ]


def test_a_policy_number_out_of_range_or_unreadable_is_refused_in_every_mode() -> None:
    demo = _settings({}, demo=True)
    assert config.problems(demo, {"POLICY_LATE_FEE_PERCENT": "150"}) == [
        "POLICY_LATE_FEE_PERCENT=150 is out of range (0 to 25)."
    ]
    assert config.problems(demo, {"POLICY_DAYS_UNTIL_DUE": "three weeks"})[0].startswith(
        "POLICY_DAYS_UNTIL_DUE cannot be read as the number, time or list it should be"
    )
    assert config.problems(demo, {"POLICY_ONLINE_PAYMENT_MINIMUM_CENTS": "2000000"}) == [
        "POLICY_ONLINE_PAYMENT_MINIMUM_CENTS must not be above POLICY_ONLINE_PAYMENT_MAXIMUM_CENTS."
    ]
    assert config.problems(demo, {"POLICY_WINTER_MONTHS": "12,13"}) == [
        "POLICY_WINTER_MONTHS=12,13 names a month outside 1 to 12."
    ]


def test_every_policy_number_has_bounds_and_the_defaults_are_within_them() -> None:
    numeric = {item.name for item in dataclasses.fields(Policy) if item.type in ("int", "float")}
    assert numeric == set(BOUNDS), "a new policy number needs its bounds in portal/accounts/policy.py BOUNDS"
    assert out_of_range(current_policy()) == []


def test_the_printout_masks_secrets_and_says_where_each_value_came_from() -> None:
    given = {**GOOD, "METRICS_TOKEN": "t" * 40, "POLICY_LATE_FEE_PERCENT": "5"}
    rows = {row.name: row for row in config.describe(_settings(given, metrics_token="t" * 40), given)}
    assert rows["SECRET_KEY"].value == "******** (48 characters)" and rows["SECRET_KEY"].source == "environment"
    assert rows["METRICS_TOKEN"].value == "******** (40 characters)"
    hooked = config.describe(_settings(GOOD, mail_webhook_secret="w" * 30), GOOD)
    assert [row.value for row in hooked if row.name == "MAIL_WEBHOOK_SECRET"] == ["******** (30 characters)"]
    assert rows["DATABASE_URL"].value == "postgresql+asyncpg://portal:***@db.city.example/portal"
    assert rows["PHOTO_STORE"].source == "default"
    assert rows["POLICY_LATE_FEE_PERCENT"].value == "5"
    demo = {row.name: row for row in config.describe(_settings({}, demo=True), {})}
    assert demo["DATABASE_URL"].source == "demo" and demo["SMTP_HOST"].value == "(not set)"


def test_check_config_prints_and_exits_2_when_serving_would_be_refused(env: dict[str, str]) -> None:
    from portal.cli import main

    refused = CliRunner().invoke(main, ["check-config"], env={"DATABASE_URL": GOOD["DATABASE_URL"]})
    assert refused.exit_code == 2
    assert "DATABASE_URL" in refused.stdout and "hunter2" not in refused.output
    assert "Utility Portal will not start: 3 configuration problems." in refused.stderr
    assert "SECRET_KEY is not set" in refused.stderr and "PUBLIC_URL is not set" in refused.stderr
    fine = CliRunner().invoke(main, ["check-config"], env=GOOD)
    assert fine.exit_code == 0, fine.output
    assert "k" * 48 not in fine.output and "`portal serve` would start" in fine.stdout


def test_serve_and_the_app_factory_refuse_without_a_traceback(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from portal.app import create_app
    from portal.cli import main

    served = CliRunner().invoke(main, ["serve"], env={"PORTAL_DEBUG": "1"})
    assert served.exit_code == 2 and "Traceback" not in served.output
    assert served.stderr.startswith("Utility Portal will not start: 4 configuration problems.")
    with pytest.raises(SystemExit) as stopped:
        create_app()
    assert stopped.value.code == 2
    assert "SECRET_KEY is not set" in capsys.readouterr().err


def test_a_number_setting_that_is_not_a_number_is_refused(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {**GOOD, "INSTANCES": "two"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit):
        config.settings_or_exit()
    assert "INSTANCES, SMTP_PORT" in capsys.readouterr().err


def test_the_domain_never_imports_the_metrics_module() -> None:
    """Metrics are counted in the sides and the web layer from what the domain answered (portal/metrics.py)."""
    import ast
    from pathlib import Path

    portal = Path(config.__file__).parent
    offenders = [
        f"{path.relative_to(portal.parent)}"
        for part in ("accounts", "billing", "payments")
        for path in sorted((portal / part).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("portal"))
        and ("portal.metrics" in {node.module, *(f"{node.module}.{a.name}" for a in node.names)})
        or (isinstance(node, ast.Import) and any(a.name == "portal.metrics" for a in node.names))
    ]
    assert offenders == []
