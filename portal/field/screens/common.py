"""What the technician's screens share: the sync context every action goes through, and the body size limit."""

from __future__ import annotations

import dataclasses

from portal.accounts.actor import Actor
from portal.accounts.models import Origin
from portal.accounts.policy import Policy
from portal.settings import Settings
from portal.web import clock

from .. import sync

MAX_BODY = 16 * 1024 * 1024


def sync_context(policy: Policy, actor: Actor, settings: Settings, origin: Origin = Origin.SYNC) -> sync.Context:
    """The phone's API acts as the sync (origin SYNC); the order page's forms act as the web."""
    return sync.Context(
        policy=policy, actor=dataclasses.replace(actor, origin=origin), timezone=settings.timezone, now=clock.now
    )
