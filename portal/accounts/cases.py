"""Cases on an account: open, assign, add a note, resolve; for a bankruptcy, discharge (the held balance written off)
or dismissal (docs/features.md, Cases; the rules in case_rules.py, docs/policies.md, Cases). Each action writes its
audit row in the same transaction.

What open cases mean for money is read where the money rules read their facts: the disputed amount by the cut-off
rule (holds.case_facts), a bankruptcy's held balance by arrears (arrears.arrears_many). Opening a dispute or a
bankruptcy cancels the account's open disconnect orders when the rule now keeps it off disconnection
(workorders.cancel_if_excluded, through workorders.exclusion_started)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from portal.i18n import gettext as _

from . import arrears, audit, case_rules, collections, ledger, ledger_words, workorders
from .actor import Actor
from .errors import Conflict, DomainError, Forbidden
from .models import Account, AccountStatus, Case, CaseNote, LedgerKind, PlacementStatus, Role, User, utcnow
from .models.base import STAFF_ROLES
from .policy import Policy

SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
OPEN = {"status": "open"}


class CaseNotesAreAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_note_changes(session: Session, _ctx: object, _instances: object) -> None:
    for obj in session.dirty:
        if isinstance(obj, CaseNote) and session.is_modified(obj):
            raise CaseNotesAreAppendOnly("case notes are append-only: add another note")
    for obj in session.deleted:
        if isinstance(obj, CaseNote):
            raise CaseNotesAreAppendOnly("case notes are append-only: add another note")


def is_supervisor(actor: Actor) -> bool:
    return actor.role in SUPERVISORS


async def open_case(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    account: Account,
    *,
    kind: str,
    reason: str,
    today: dt.date,
    due_on: dt.date | None = None,
    disputed_cents: int | None = None,
    chapter: int | None = None,
    case_number: str = "",
    filed_on: dt.date | None = None,
    covers_customer: bool = True,
) -> Case:
    """Open a case. A bankruptcy petition is the customer's, not one account's: with `covers_customer` (the default)
    the customer's other accounts that owed at the filing date, or are placed with the agency, get the same petition
    as a case of their own (each holding its own balance, each recalled from the agency), so none of them is cut off,
    charged a late fee or placed for debt the court now holds (docs/policies.md, Cases)."""
    if kind not in case_rules.KINDS:
        raise DomainError(_("Choose a dispute, a complaint or a bankruptcy."), field="kind")
    text = case_rules.check_reason(reason)
    recalled: tuple[dt.date, int] | None = None
    case = Case(account_id=account.id, kind=kind, status="open", reason=text, created_by_id=actor.user_id)
    if kind == "bankruptcy":
        case.case_number = case_rules.check_petition(chapter, case_number, filed_on, today)
        already = await session.scalar(
            select(Case.id).where(Case.account_id == account.id, Case.kind == "bankruptcy", Case.status == "open")
        )
        if already is not None:
            raise Conflict(_("This account already has an open bankruptcy case."), field="kind")
        assert filed_on is not None
        case.chapter, case.filed_on = chapter, filed_on
        case.held_cents = case_rules.held_at_petition(await ledger.balance(session, account.id, as_of=filed_on))
        case.due_on = None
        recalled = await _stay_collection(session, actor, account, case.case_number, today)
        if recalled is not None and recalled[0] <= filed_on:
            # placed (written off) by the filing date: the balance at the petition left it out; it is pre-petition
            # debt owed again, so the case holds it too
            case.held_cents += recalled[1]
    else:
        case_rules.check_due_on(due_on, today)
        case.due_on = due_on or case_rules.default_due_on(policy, kind, today)
        if kind == "dispute":
            case.disputed_cents = case_rules.check_disputed(disputed_cents, await ledger.balance(session, account.id))
    session.add(case)
    await session.flush()
    await audit.record(
        session,
        actor,
        "case.open",
        "case",
        case.id,
        account_id=account.id,
        after={
            "kind": kind,
            "reason": text,
            "due_on": case.due_on,
            "disputed_cents": case.disputed_cents,
            "chapter": case.chapter,
            "case_number": case.case_number,
            "filed_on": case.filed_on,
            "held_cents": case.held_cents,
            "recalled_from_agency_cents": recalled[1] if recalled is not None else None,
        },
    )
    if kind in ("dispute", "bankruptcy"):
        await workorders.cancel_if_excluded(session, actor, [account.id], today, policy)
    if kind == "bankruptcy" and covers_customer:
        for other in await _also_covered(session, account, case):
            await open_case(
                session,
                actor,
                policy,
                other,
                kind=kind,
                reason=text,
                today=today,
                chapter=chapter,
                case_number=case.case_number or "",
                filed_on=filed_on,
                covers_customer=False,
            )
    return case


async def _also_covered(session: AsyncSession, account: Account, case: Case) -> list[Account]:
    """The customer's other accounts a petition reaches: those that owed at the filing date or are with the agency,
    and have no open bankruptcy of their own yet."""
    others = list(
        await session.scalars(
            select(Account)
            .where(Account.customer_id == account.customer_id, Account.id != account.id)
            .where(
                ~select(Case.id)
                .where(Case.account_id == Account.id, Case.kind == "bankruptcy", Case.status == "open")
                .exists()
            )
            .order_by(Account.id)
        )
    )
    found = []
    for other in others:
        owed = await ledger.balance(session, other.id, as_of=case.filed_on)
        if owed > 0 or other.status == AccountStatus.COLLECTIONS:
            found.append(other)
    return found


async def _same_petition(session: AsyncSession, case: Case) -> list[Case]:
    """The customer's other open cases of the same petition (opened with it by `open_case`)."""
    customer_id = select(Account.customer_id).where(Account.id == case.account_id).scalar_subquery()
    return list(
        await session.scalars(
            select(Case)
            .join(Account, Account.id == Case.account_id)
            .where(
                Account.customer_id == customer_id,
                Case.id != case.id,
                Case.kind == "bankruptcy",
                Case.status == "open",
                Case.case_number == case.case_number,
            )
            .order_by(Case.id)
        )
    )


async def _stay_collection(
    session: AsyncSession, actor: Actor, account: Account, number: str, today: dt.date
) -> tuple[dt.date, int] | None:
    """The automatic stay: a placement still with the agency is recalled (collections.recall: what is still placed is
    owed again, a `write_off_recovery`). (placed on, cents owed again), or None when nothing was placed."""
    placement = await collections.placement_of(session, account.id)
    if placement is None or placement.status != PlacementStatus.PLACED:
        return None
    outstanding = (await collections.placement_view(session, placement.id, lock=True)).outstanding_cents
    await collections.recall(
        session, actor, placement.id, reason=f"Bankruptcy petition {number}: automatic stay", today=today
    )
    return placement.placed_on, outstanding


def _must_be_open(case: Case) -> None:
    if case.status != "open":
        raise Conflict(_("This case is closed."))


async def assign(session: AsyncSession, actor: Actor, case: Case, owner_id: int | None) -> Case:
    """Give the case to a staff member (None: back to the unassigned queue). Anyone on staff takes a case for
    themselves or gives up their own; giving it to someone else, or taking it from someone, is a supervisor's."""
    _must_be_open(case)
    if owner_id is not None:
        owner = await session.get(User, owner_id)
        if owner is None or owner.role not in STAFF_ROLES or not owner.active:
            raise DomainError(_("Choose someone on staff."), field="owner")
    mine = owner_id == actor.user_id or (owner_id is None and case.owner_id == actor.user_id)
    if not mine and not is_supervisor(actor):
        raise Forbidden(_("Only a supervisor gives a case to someone else."))
    if case.owner_id is not None and case.owner_id != actor.user_id and not is_supervisor(actor):
        raise Forbidden(_("Only a supervisor takes a case from someone else."))
    before = case.owner_id
    case.owner_id = owner_id
    await session.flush()
    await audit.record(
        session,
        actor,
        "case.assign",
        "case",
        case.id,
        account_id=case.account_id,
        before={"owner_id": before},
        after={"owner_id": owner_id},
    )
    return case


async def add_note(session: AsyncSession, actor: Actor, case: Case, body: str) -> CaseNote:
    """Notes are added, never changed (a closed case still takes notes: what happened after)."""
    text = case_rules.check_reason(body, field="body", limit=case_rules.NOTE_MAX)
    note = CaseNote(case_id=case.id, body=text, author_id=actor.user_id)
    session.add(note)
    await session.flush()
    await audit.record(
        session,
        actor,
        "case.note",
        "case",
        case.id,
        account_id=case.account_id,
        after={"note_id": note.id, "body": text},
    )
    return note


async def _close(session: AsyncSession, actor: Actor, case: Case, outcome: str, resolution: str) -> None:
    case.status = "resolved"
    case.outcome = outcome
    case.resolution = resolution
    case.resolved_by_id = actor.user_id
    case.resolved_at = utcnow()
    await session.flush()


def _closed(case: Case) -> dict[str, object]:
    """The audit row's `after` of a case closed."""
    return {
        "status": case.status,
        "outcome": case.outcome,
        "resolution": case.resolution,
        "discharged_on": case.discharged_on,
        "write_off_entry_id": case.write_off_entry_id,
    }


async def resolve(session: AsyncSession, actor: Actor, case: Case, resolution: str) -> Case:
    """A dispute or a complaint is resolved with what was decided; a dispute's amount counts for cut-off again."""
    _must_be_open(case)
    if case.kind == "bankruptcy":
        raise Conflict(_("A bankruptcy ends with its discharge or its dismissal."))
    await _close(session, actor, case, "resolved", case_rules.check_reason(resolution, field="resolution"))
    await audit.record(
        session, actor, "case.resolve", "case", case.id, account_id=case.account_id, before=OPEN, after=_closed(case)
    )
    return case


async def still_held(session: AsyncSession, case: Case, today: dt.date) -> int:
    """What an open bankruptcy holds today, what its discharge writes off: the held amount as arrears applies it
    (capped at the pre-petition debt still unpaid, docs/policies.md, Cases), never more than the balance (a write-off
    never makes a credit), never below zero."""
    if case.kind != "bankruptcy" or case.status != "open":
        return 0
    owed = await arrears.arrears(session, case.account_id, today)
    return max(0, min(case.held_cents or 0, owed.held_cents, owed.balance_cents))


async def discharge(
    session: AsyncSession,
    actor: Actor,
    case: Case,
    *,
    discharged_on: dt.date | None,
    resolution: str,
    today: dt.date,
    whole_petition: bool = True,
) -> Case:
    """The court discharged the debt: the held balance still owed is written off (one write-off entry, keyed by the
    case, so a second submit posts nothing; the entry, `write_off_entry_id`, is the amount actually written off, at
    most the balance) and the case is resolved. A supervisor's."""
    _must_be_open(case)
    if not is_supervisor(actor):
        raise Forbidden(_("Only a supervisor records a discharge."))
    if case.kind != "bankruptcy":
        raise Conflict(_("Only a bankruptcy is discharged."))
    text = case_rules.check_reason(resolution, field="resolution")
    case_rules.check_discharge(case.filed_on, discharged_on, today)
    assert discharged_on is not None
    case.discharged_on = discharged_on
    written_off = await still_held(session, case, today)
    if written_off:
        posting = await ledger.post(
            session,
            actor,
            account_id=case.account_id,
            kind=LedgerKind.WRITE_OFF,
            amount_cents=-written_off,
            source_key=f"case:{case.id}:discharge",
            effective_on=today,
            memo=ledger_words.memo(
                "bankruptcy_discharge", number=case.case_number or case.id, on=discharged_on.isoformat()
            ),
        )
        case.write_off_entry_id = posting.entry.id
    await _close(session, actor, case, "discharged", text)
    await audit.record(
        session,
        actor,
        "case.discharge",
        "case",
        case.id,
        account_id=case.account_id,
        before=OPEN,
        after={**_closed(case), "held_cents": case.held_cents, "written_off_cents": written_off},
    )
    if whole_petition:  # the court discharges the petition: the customer's other accounts under it too
        for other in await _same_petition(session, case):
            await discharge(
                session,
                actor,
                other,
                discharged_on=discharged_on,
                resolution=resolution,
                today=today,
                whole_petition=False,
            )
    return case


async def dismiss(
    session: AsyncSession, actor: Actor, case: Case, resolution: str, *, whole_petition: bool = True
) -> Case:
    """The petition was dismissed: the case is resolved and the balance it held is owed (and past due) again. A
    supervisor's, like the discharge."""
    _must_be_open(case)
    if not is_supervisor(actor):
        raise Forbidden(_("Only a supervisor records a dismissal."))
    if case.kind != "bankruptcy":
        raise Conflict(_("Only a bankruptcy is dismissed."))
    await _close(session, actor, case, "dismissed", case_rules.check_reason(resolution, field="resolution"))
    await audit.record(
        session, actor, "case.dismiss", "case", case.id, account_id=case.account_id, before=OPEN, after=_closed(case)
    )
    if whole_petition:
        for other in await _same_petition(session, case):
            await dismiss(session, actor, other, resolution, whole_petition=False)
    return case
