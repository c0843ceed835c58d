"""The portal command: create-staff makes a login that can then sign in."""

import os
import subprocess
import sys

from sqlalchemy import select

from portal.accounts.models import AuditEvent, Role, User


def _portal(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x" * 40}
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


async def test_create_staff_makes_a_login_with_an_audit_row(database_url, session) -> None:
    result = _portal(database_url, "create-staff", "New.Tech@Riverton.example", "--name", "New Tech", "--role", "field")
    assert result.returncode == 0, result.stderr
    user = await session.scalar(select(User).where(User.email == "new.tech@riverton.example"))
    assert user is not None and user.role == Role.FIELD
    assert await session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.create", AuditEvent.entity_id == str(user.id))
    )


async def test_create_staff_refuses_a_duplicate_email(database_url, session) -> None:
    assert _portal(database_url, "create-staff", "a@riverton.example", "--name", "A", "--role", "csr").returncode == 0
    again = _portal(database_url, "create-staff", "a@riverton.example", "--name", "A", "--role", "csr")
    assert again.returncode != 0 and "already has a login" in again.stderr
