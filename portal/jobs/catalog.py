"""The jobs' bodies, registered by each part in its commands module as `JOBS` (kind -> async body), loaded by name
as portal/cli.py loads their commands: the engine stays domain-neutral and each job stays next to its command."""

from __future__ import annotations

import importlib

from .engine import JobBody

PART_MODULES = (
    "portal.accounts.commands",
    "portal.billing.commands",
    "portal.customer.commands",
    "portal.payments.commands",
    "portal.staff.commands",
    "portal.mail_commands",  # the outbox's status check of texts
)


def bodies() -> dict[str, JobBody]:
    found: dict[str, JobBody] = {}
    for module_name in PART_MODULES:
        found.update(getattr(importlib.import_module(module_name), "JOBS", {}))
    return found
