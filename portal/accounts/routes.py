"""Field routes and their owning technicians: who gets a new order (the rule), who owns each route, and dispatch
setting an owner (audited). Premises carry their route's code (`Premise.route`); a route with no row has no owner."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, union
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _

from .actor import Actor
from .audit import record
from .errors import DomainError
from .models import Premise, Role, Route, User


@dataclass(frozen=True)
class Owner:
    """What the assignment rule needs to know about a route's owner."""

    user_id: int
    role: Role
    active: bool


def assignee_for(chosen_id: int | None, owner: Owner | None) -> int | None:
    """Who a new order goes to: the person its creator chose; otherwise its route's owner while that person is an
    active technician; otherwise nobody (dispatch lists unassigned orders first)."""
    if chosen_id is not None:
        return chosen_id
    if owner is not None and owner.active and owner.role == Role.FIELD:
        return owner.user_id
    return None


async def owner_of_premise(session: AsyncSession, premise_id: int) -> Owner | None:
    row = (
        await session.execute(
            select(User.id, User.role, User.active)
            .join(Route, Route.technician_id == User.id)
            .join(Premise, Premise.route == Route.code)
            .where(Premise.id == premise_id)
        )
    ).first()
    return Owner(row.id, row.role, row.active) if row else None


async def codes(session: AsyncSession) -> list[str]:
    """Every route: the ones premises are on and the ones dispatch has given an owner."""
    on_premises = set(await session.scalars(select(Premise.route).distinct()))
    return sorted(on_premises | set(await session.scalars(select(Route.code))))


async def codes_with_owners(session: AsyncSession) -> list[tuple[str, int | None]]:
    """Every route (as `codes`) with its owner's id, in one statement: the codes' union joined to the routes."""
    every = union(select(Premise.route.label("code")), select(Route.code)).subquery()
    rows = await session.execute(select(every.c.code, Route.technician_id).outerjoin(Route, Route.code == every.c.code))
    return sorted(((code, technician_id) for code, technician_id in rows), key=lambda row: row[0])


async def owners(session: AsyncSession) -> dict[str, int | None]:
    return {
        code: technician_id for code, technician_id in await session.execute(select(Route.code, Route.technician_id))
    }


async def set_owner(session: AsyncSession, actor: Actor, code: str, technician_id: int | None) -> Route:
    """Make an active technician (or nobody) the owner of a route. Orders already made keep their assignee; only new
    ones follow the owner."""
    code = code.strip()
    if not code or code not in await codes(session):
        raise DomainError(_("No such route."), field="route")
    if technician_id is not None:
        technician = await session.get(User, technician_id)
        if technician is None or technician.role != Role.FIELD or not technician.active:
            raise DomainError(_("Choose a field technician."), field="technician_id")
    route = await session.scalar(select(Route).where(Route.code == code))
    if route is None:
        route = Route(code=code, technician_id=None)
        session.add(route)
        await session.flush()
    before = {"technician_id": route.technician_id}
    route.technician_id = technician_id
    await session.flush()
    await record(
        session,
        actor,
        "route.owner",
        "route",
        route.id,
        before=before,
        after={"code": code, "technician_id": technician_id},
    )
    return route
