"""Who may look at a photo, and the photos the pages show.

The rule is one plain function, `may_see`, over plain facts: a technician sees the photos of the orders assigned to
them, staff (CSR and above) see every photo, a resident sees the photo they attached to a problem report on one of
their accounts. Anyone else is answered "not found", exactly like a photo that does not exist, so ids cannot be
probed (docs/security.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _

from . import access
from .errors import NotFound
from .models import STAFF_ROLES, Photo, Role, ServiceRequest, WorkOrder
from .photos import THUMB_SIDE_PX


@dataclass(frozen=True)
class Viewer:
    user_id: int
    role: Role
    account_ids: frozenset[int] = frozenset()  # a resident's linked accounts; empty for everyone else


@dataclass(frozen=True)
class ReportFacts:
    """A problem report on the photo's order: the accounts it concerns and the photo the resident attached."""

    account_ids: frozenset[int]
    photo_id: int | None


@dataclass(frozen=True)
class PhotoFacts:
    photo_id: int
    order_assignee_id: int | None
    reports: tuple[ReportFacts, ...] = ()


def may_see(viewer: Viewer, facts: PhotoFacts) -> bool:
    """Whether this person may look at this photo (and its thumbnail)."""
    if viewer.role in STAFF_ROLES:
        return True
    if viewer.role == Role.FIELD:
        return facts.order_assignee_id is not None and facts.order_assignee_id == viewer.user_id
    if viewer.role == Role.CUSTOMER:
        # Only the photo they sent: a technician's photos of the visit stay with staff and the crew.
        return any(r.photo_id == facts.photo_id and r.account_ids & viewer.account_ids for r in facts.reports)
    return False


async def viewer_of(session: AsyncSession, user_id: int, role: Role) -> Viewer:
    if role == Role.CUSTOMER:
        return Viewer(user_id, role, frozenset(a.id for a in await access.linked_accounts(session, user_id)))
    return Viewer(user_id, role)


async def facts_of(session: AsyncSession, photo: Photo) -> PhotoFacts:
    if photo.work_order_id is None:
        return PhotoFacts(photo.id, None)
    assignee = await session.scalar(select(WorkOrder.assigned_to_id).where(WorkOrder.id == photo.work_order_id))
    reports = await session.scalars(
        select(ServiceRequest).where(ServiceRequest.problem_order_id == photo.work_order_id)
    )
    return PhotoFacts(
        photo.id,
        assignee,
        tuple(
            ReportFacts(
                frozenset(i for i in (r.from_account_id, r.to_account_id) if i is not None),
                (r.details or {}).get("photo_id"),
            )
            for r in reports
        ),
    )


async def visible_photo(session: AsyncSession, viewer: Viewer, photo_id: int) -> Photo:
    """The photo if this viewer may see it; "not found" for a missing one and for someone else's alike."""
    photo = await session.get(Photo, photo_id)
    if photo is None or not may_see(viewer, await facts_of(session, photo)):
        raise NotFound(_("We could not find that photo."))
    return photo


# ---- what the pages show -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownPhoto:
    """One photo on a page: its number among its order's photos (for the alt text) and its thumbnail's size."""

    id: int
    order_id: int | None
    number: int
    taken_at: dt.datetime | None
    sent_at: dt.datetime
    thumb_width: int
    thumb_height: int


def thumb_size(width: int, height: int, side: int = THUMB_SIDE_PX) -> tuple[int, int]:
    """The thumbnail's pixels (the same arithmetic as Pillow's `thumbnail`), so the page reserves its box."""
    if max(width, height) <= side:
        return width, height
    if width >= height:
        return side, max(1, round(height * side / width))
    return max(1, round(width * side / height)), side


def shown(photos: Iterable[Photo]) -> list[ShownPhoto]:
    """Photos in the order they were sent, numbered per order."""
    counts: dict[int | None, int] = {}
    out = []
    for photo in sorted(photos, key=lambda p: p.id):
        counts[photo.work_order_id] = counts.get(photo.work_order_id, 0) + 1
        out.append(
            ShownPhoto(
                photo.id,
                photo.work_order_id,
                counts[photo.work_order_id],
                photo.taken_at,
                photo.created_at,
                *thumb_size(photo.width, photo.height),
            )
        )
    return out


async def photos_of_orders(session: AsyncSession, order_ids: Iterable[int]) -> dict[int, list[ShownPhoto]]:
    """Each order's photos (for staff and the assigned technician: every photo on the order)."""
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    rows = await session.scalars(select(Photo).where(Photo.work_order_id.in_(ids)).order_by(Photo.id))
    by_order: dict[int, list[ShownPhoto]] = {}
    for item in shown(rows):
        assert item.order_id is not None
        by_order.setdefault(item.order_id, []).append(item)
    return by_order


async def report_photos(session: AsyncSession, requests: Iterable[ServiceRequest]) -> dict[int, ShownPhoto]:
    """The photo each problem report carries, by request id (what a resident sees of their own reports)."""
    wanted = {r.id: r.details.get("photo_id") for r in requests if (r.details or {}).get("photo_id")}
    if not wanted:
        return {}
    rows = {p.id: p for p in await session.scalars(select(Photo).where(Photo.id.in_(set(wanted.values()))))}
    return {request_id: shown([rows[photo_id]])[0] for request_id, photo_id in wanted.items() if photo_id in rows}
