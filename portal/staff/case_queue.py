"""The CSR work queue of cases (mine, unassigned, all open, overdue; by kind) and one case's page: its facts, its
notes with their authors, and who it may be given to (docs/features.md, Cases)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from portal.accounts import case_rules, cases
from portal.accounts.errors import DomainError, NotFound
from portal.accounts.models import STAFF_ROLES, Account, Case, CaseNote, Customer, User
from portal.i18n import gettext as _

VIEWS = ("mine", "unassigned", "open", "overdue")
QUEUE_LIMIT = 200


@dataclass(frozen=True)
class QueueRow:
    case: Case
    account_number: str
    customer_name: str
    owner_name: str | None
    overdue: bool


@dataclass(frozen=True)
class NoteRow:
    note: CaseNote
    author: str


@dataclass(frozen=True)
class CaseView:
    case: Case
    account: Account
    customer: Customer
    owner_name: str | None
    created_by: str | None
    resolved_by: str | None
    notes: list[NoteRow]
    staff: list[tuple[int, str]]  # who the case may be given to (id, name)
    overdue: bool
    still_held_cents: int = 0  # an open bankruptcy: what it holds now, what a discharge writes off


def check_filters(view: str, kind: str) -> None:
    if view not in VIEWS:
        raise DomainError(_("No such queue."), field="view")
    if kind and kind not in case_rules.KINDS:
        raise DomainError(_("No such kind of case."), field="kind")


async def queue(session: AsyncSession, user_id: int, view: str, kind: str, today: dt.date) -> list[QueueRow]:
    """The open cases of one queue, the soonest due first (no due date last), at most QUEUE_LIMIT."""
    check_filters(view, kind)
    owner = aliased(User)
    query = (
        select(Case, Account.number, Customer, owner.display_name)
        .join(Account, Account.id == Case.account_id)
        .join(Customer, Customer.id == Account.customer_id)
        .outerjoin(owner, owner.id == Case.owner_id)
        .where(Case.status == "open")
    )
    if view == "mine":
        query = query.where(Case.owner_id == user_id)
    elif view == "unassigned":
        query = query.where(Case.owner_id.is_(None))
    elif view == "overdue":
        query = query.where(Case.due_on < today)
    if kind:
        query = query.where(Case.kind == kind)
    query = query.order_by(Case.due_on.is_(None), Case.due_on, Case.id).limit(QUEUE_LIMIT)
    return [
        QueueRow(
            case, number, customer.display_name, owner_name, case_rules.is_overdue(case.status, case.due_on, today)
        )
        for case, number, customer, owner_name in await session.execute(query)
    ]


async def case_view(session: AsyncSession, case_id: int, today: dt.date, *, with_staff: bool) -> CaseView:
    row = (
        await session.execute(
            select(Case, Account, Customer)
            .join(Account, Account.id == Case.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Case.id == case_id)
        )
    ).first()
    if row is None:
        raise NotFound(_("No such case."))
    case, account, customer = row
    names_wanted = {i for i in (case.owner_id, case.created_by_id, case.resolved_by_id) if i is not None}
    notes = list(await session.scalars(select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.id)))
    names_wanted |= {n.author_id for n in notes if n.author_id is not None}
    staff: list[tuple[int, str]] = []
    names: dict[int, str] = {}
    if with_staff:  # a supervisor's page lists everyone on staff: their names serve the notes too
        for user_id, name in await session.execute(
            select(User.id, User.display_name)
            .where(User.role.in_(list(STAFF_ROLES)), User.active.is_(True))
            .order_by(User.display_name, User.id)
        ):
            staff.append((user_id, name))
            names[user_id] = name
    missing = names_wanted - set(names)
    if missing:
        names.update(
            dict((await session.execute(select(User.id, User.display_name).where(User.id.in_(missing)))).all())
        )
    return CaseView(
        case=case,
        account=account,
        customer=customer,
        owner_name=names.get(case.owner_id) if case.owner_id else None,
        created_by=names.get(case.created_by_id) if case.created_by_id else None,
        resolved_by=names.get(case.resolved_by_id) if case.resolved_by_id else None,
        notes=[NoteRow(n, names.get(n.author_id, _("system")) if n.author_id else _("system")) for n in notes],
        staff=staff,
        overdue=case_rules.is_overdue(case.status, case.due_on, today),
        still_held_cents=await cases.still_held(session, case, today),
    )


async def get_case(session: AsyncSession, case_id: int) -> Case:
    case = await session.get(Case, case_id)
    if case is None:
        raise NotFound(_("No such case."))
    return case
