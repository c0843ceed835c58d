"""Who is doing something, and from where: every service call carries one for its audit row."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .models import Origin, Role


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    origin: Origin
    role: Role | None = None
    ip: str | None = None

    def for_customer(self, channel: str) -> Actor:
        """A CSR acting for a caller or a walk-in: the same person, the audit row saying so ("by jane@... for the
        customer, by phone"). `channel` is "phone" or "counter"."""
        how = {"phone": "by phone", "counter": "at the counter"}[channel]
        return replace(self, label=f"{self.label} for the customer, {how}"[:160])

    @classmethod
    def job(cls, name: str) -> Actor:
        return cls(user_id=None, label=f"job:{name}", origin=Origin.JOB)

    @classmethod
    def cli(cls, name: str) -> Actor:
        return cls(user_id=None, label=f"cli:{name}", origin=Origin.CLI)

    @classmethod
    def webhook(cls, source: str = "stripe") -> Actor:
        return cls(user_id=None, label=f"webhook:{source}", origin=Origin.WEBHOOK)
