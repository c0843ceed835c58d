"""Who is doing something, and from where: every service call carries one for its audit row."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Origin, Role


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    origin: Origin
    role: Role | None = None
    ip: str | None = None

    @classmethod
    def job(cls, name: str) -> Actor:
        return cls(user_id=None, label=f"job:{name}", origin=Origin.JOB)

    @classmethod
    def cli(cls, name: str) -> Actor:
        return cls(user_id=None, label=f"cli:{name}", origin=Origin.CLI)

    @classmethod
    def webhook(cls, source: str = "stripe") -> Actor:
        return cls(user_id=None, label=f"webhook:{source}", origin=Origin.WEBHOOK)
