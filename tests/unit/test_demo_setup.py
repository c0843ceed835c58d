"""What `scripts/demo` needs before it serves: the extra it installs exists and brings the Stripe stand-in, the stand-in
starts on a port of its own with payments pointed at it, and a port already in use is refused before any seeding."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

from portal.demo import stripe_stand_in as stand_in

ROOT = Path(__file__).resolve().parents[2]


def test_the_extra_scripts_demo_installs_exists_and_brings_localstripe() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    installed = re.search(r'-e "\.\[([\w,]+)\]"', (ROOT / "scripts" / "demo").read_text()).group(1).split(",")
    for extra in installed:
        assert extra in extras, f"scripts/demo installs .[{extra}], which pyproject.toml does not declare"
    assert any(dep.startswith("localstripe") for extra in installed for dep in extras[extra])


def test_the_test_command_installs_what_the_demo_needs_too() -> None:
    """scripts/test runs the demo from the same .venv: both extras, whatever order they are installed in."""
    assert '-e ".[test,demo]"' in (ROOT / "scripts" / "test").read_text()


def test_start_for_demo_starts_the_stand_in_on_a_free_port_and_points_payments_at_it(monkeypatch) -> None:
    for name in (
        "STRIPE_API_KEY",
        "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_API_BASE",
        "STRIPE_JS_URL",
        "STRIPE_WEBHOOK_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    said: list[str] = []
    process = stand_in.start_for_demo(8000, said.append)
    try:
        assert process is not None, said
        base = os.environ["STRIPE_API_BASE"]
        assert re.fullmatch(r"http://localhost:\d+", base)
        assert os.environ["STRIPE_API_KEY"].startswith("sk_test_")
        with urllib.request.urlopen(os.environ["STRIPE_JS_URL"], timeout=5) as answer:
            assert b"confirmCardPayment" in answer.read()
        assert said and said[0].startswith("Payments go to a local Stripe stand-in at " + base)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)


def test_portal_demo_refuses_a_port_in_use_before_seeding(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        env = {**os.environ, "PORTAL_VAR_DIR": str(tmp_path / "var"), "STRIPE_API_KEY": "sk_test_unused"}
        result = subprocess.run(
            [sys.executable, "-m", "portal.cli", "demo", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    assert result.returncode != 0
    assert f"Port {port} is in use" in result.stderr
    assert not (tmp_path / "var").exists()  # nothing migrated, seeded or started


def test_the_demo_journey_catches_the_lines_a_demo_without_localstripe_printed() -> None:
    from tests.browser.test_demo_journey import trouble_in

    broken = (
        "WARNING: utility-portal 0.1.0 does not provide the extra 'demo'\n"
        "Payments are off: no STRIPE_API_KEY and localstripe is not installed (pip install -e '.[demo]').\n"
        "Seeded in 16.2 s.\n"
    )
    assert len(trouble_in(broken)) == 2
    # this machine's pip configuration names index directories that lack some packages: not the demo's trouble
    assert (
        trouble_in(
            "WARNING: Location 'file:///opt/pypi/simple/litestar/' is ignored: it is neither a file nor a directory."
        )
        == []
    )
    assert (
        trouble_in(
            "WARNING: Location 'x' is ignored: it is neither a file nor a directory.\nTraceback (most recent call last):"
        )
        != []
    )
    assert (
        trouble_in(
            "Payments go to a local Stripe stand-in at http://localhost:4242 (card 4242 4242 4242 4242 pays,"
            " 4000 0000 0000 0341 is declined)\nSeeded in 16.2 s.\n"
        )
        == []
    )
