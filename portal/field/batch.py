"""Reading what a phone sends: the sync batch's mutations, each checked for shape before any rule sees it."""

from __future__ import annotations

import uuid
from typing import Any

from portal.i18n import gettext as _

from . import sync


def valid_uuid(value: object) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def parse_batch(body: object, limit: int) -> tuple[list[sync.Mutation], list[dict[str, Any]]] | str:
    """The batch's mutations, and answers for the entries that cannot even be read; or a message for a bad batch."""
    if not isinstance(body, dict) or body.get("schema") != sync.SCHEMA:
        return _("This phone's app is out of date: reload the page.")
    device = body.get("device_id")
    items = body.get("mutations")
    if not isinstance(device, str) or not device or not isinstance(items, list):
        return _("The batch has no device id or no actions.")
    if len(items) > limit:
        return _("At most %(n)s actions per batch.") % {"n": limit}
    mutations, answers = [], []
    for item in items:
        mutation_id = valid_uuid(item.get("mutation_id")) if isinstance(item, dict) else None
        if mutation_id is None:
            return _("Every action needs a valid id.")
        seq, kind, order_id = item.get("seq"), item.get("kind"), item.get("order_id")
        photo_ids = item.get("photo_ids") or []
        if (
            not isinstance(seq, int)
            or isinstance(seq, bool)
            or not isinstance(kind, str)
            or not (order_id is None or (isinstance(order_id, int) and not isinstance(order_id, bool)))
            or not isinstance(photo_ids, list)
            or any(valid_uuid(p) is None for p in photo_ids)
            or not isinstance(item.get("payload", {}), dict)
        ):
            answers.append(
                {
                    "mutation_id": mutation_id,
                    "seq": seq,
                    "status": "rejected",
                    "code": "invalid",
                    "message": _("This action could not be read. It was not applied."),
                    "server_state": None,
                }
            )
            continue
        base_version = item.get("base_version")
        mutations.append(
            sync.Mutation(
                mutation_id=mutation_id,
                device_id=device[:64],
                seq=seq,
                kind=kind,
                order_id=order_id,
                base_version=base_version if isinstance(base_version, int) else None,
                payload=item.get("payload") or {},
                photo_ids=tuple(str(uuid.UUID(str(p))) for p in photo_ids),  # each checked by valid_uuid above
            )
        )
    return mutations, answers
