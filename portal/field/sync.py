"""Applying a phone's outbox (docs/field-sync.md): each mutation at most once, with its id stored in the same
transaction as its effect; the answer is applied, duplicate, rejected or retry_later.

A batch runs in one transaction (`Batch`: a few queries up front, a few multi-row statements at the end); any
failure rolls it back and it runs again one transaction per mutation (`apply_one`, a batch of one). The web forms
(no JavaScript) go through the same `apply_one` with an id made on the server, so an action has one path whichever
way it arrives. This module decides and answers; the writes are the account model's batch operations (orders
through `workorders.OrderChanges`, reads, service state, restore orders and the actions' ids with their answers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from bisect import insort
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts import holds, meters, payments, reads, service_state, sync_exceptions, workorders
from portal.accounts.actor import Actor
from portal.accounts.audit import AuditLater
from portal.accounts.errors import Conflict
from portal.accounts.models import WorkOrder, WorkOrderKind
from portal.accounts.policy import Policy
from portal.accounts.sync_exceptions import StoredMutation
from portal.accounts.workorders import AnyOrder, FieldOrder, OrderMeter
from portal.i18n import format_datetime
from portal.i18n import gettext as _

from . import rules

log = logging.getLogger("portal.field.sync")
SCHEMA = 1
ATTEMPTS = 3


@dataclass(frozen=True)
class Mutation:
    mutation_id: str
    device_id: str
    seq: int
    kind: str
    order_id: int | None
    base_version: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    photo_ids: tuple[str, ...] = ()

    def digest(self) -> str:
        """What makes two sends of one id the same action (device and seq are where it came from, not what)."""
        body = {
            "kind": self.kind,
            "order_id": self.order_id,
            "payload": self.payload,
            "photo_ids": list(self.photo_ids),
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Context:
    policy: Policy
    actor: Actor
    timezone: str
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)


# Tests put a hook here to stop the server between two mutations (after each one is done), as a crash would.
after_commit: Callable[[Mutation], Awaitable[None]] | None = None


def _order_state(order: AnyOrder | None) -> dict[str, Any] | None:
    if order is None:
        return None
    return {
        "order_id": order.id,
        "status": str(order.status),
        "version": order.version,
        "cancelled_at": order.cancelled_at.isoformat() if order.cancelled_at else None,
        "cancel_reason": order.cancel_reason,
        "completed_at": order.completed_at.isoformat() if order.completed_at else None,
    }


def _local(ctx: Context, when: dt.datetime | None) -> str:
    return format_datetime(when, ctx.timezone) if when else ""


def _rejected(m: Mutation, code: str, message: str, order: AnyOrder | None = None, **state: Any) -> dict[str, Any]:
    server_state = _order_state(order)
    if server_state is not None or state:
        server_state = {**(server_state or {}), **state}
    return {
        "mutation_id": m.mutation_id,
        "seq": m.seq,
        "status": "rejected",
        "code": code,
        "message": message,
        "server_state": server_state,
    }


def _sentence(text: str) -> str:
    """A reason as a sentence that ends once ("... RDDJ38AT." and never "... RDDJ38AT..")."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _conflict_message(
    ctx: Context, m: Mutation, order: FieldOrder, decision: rules.Decision, done_at: dt.datetime
) -> str:
    action = str(rules.ACTION_NAMES.get(m.kind, m.kind))
    if decision.code == "order_cancelled":
        # A payment's reason is told again in the technician's language and time format, whole (its reference too).
        paid = order.result.get("paid") if isinstance(order.result, dict) else None
        reason = payments.paid_reason(paid, ctx.timezone) if paid else (order.cancel_reason or _("no reason given"))
        message = _("Order %(id)s was cancelled at %(when)s: %(reason)s Your %(action)s at %(done)s was logged.") % {
            "id": order.id,
            "when": _local(ctx, order.cancelled_at),
            "reason": _sentence(reason),
            "action": action,
            "done": _local(ctx, done_at),
        }
        if decision.restore_offer:
            message += " " + _("Restore now?")
        return message
    return _(
        "Order %(id)s was already completed at %(when)s. Your %(action)s at %(done)s was logged for the office."
    ) % {"id": order.id, "when": _local(ctx, order.completed_at), "action": action, "done": _local(ctx, done_at)}


def _needs_read(m: Mutation, facts: dict[str, Any]) -> bool:
    return m.kind in ("record_read", "disconnect_done", "restore_done", *rules.METER_SET_ACTIONS) or (
        m.kind == "complete_order" and facts.get("value") is not None
    )


def _check_meter(m: Mutation, meter: OrderMeter | None, facts: dict[str, Any]) -> None:
    """Everything that could refuse the action, checked before anything is written (no savepoint needed)."""
    if not _needs_read(m, facts):
        return
    if meter is None:
        raise rules.InvalidAction(_("This order has no meter: call dispatch."))
    if facts["value"] >= 10**meter.dials:
        raise rules.InvalidAction(_("This meter has %(n)s dials: check the read.") % {"n": meter.dials})
    if m.kind == "meter_installed" and facts["serial"] != meter.serial:
        raise rules.InvalidAction(
            _("This order is for meter %(serial)s: check the serial, or call dispatch.") % {"serial": meter.serial}
        )
    if m.kind == "meter_changed" and facts["new_value"] >= 10**meter.dials:
        raise rules.InvalidAction(_("This meter has %(n)s dials: check the read.") % {"n": meter.dials})


class ReadNotConfirmed(Exception):
    """A read the read check flags, sent without the technician having typed it again."""

    def __init__(self, check: reads.ReadCheck) -> None:
        super().__init__(check.reason)
        self.check = check


def _result(facts: dict[str, Any], m: Mutation, extra: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in facts.items() if v is not None and k not in ("confirmed", "value", "at")}
    return {"action": m.kind, "at": facts["at"].isoformat(), "mutation_id": m.mutation_id, **kept, **extra}


def _duplicate(stored: StoredMutation, m: Mutation, ctx: Context) -> dict[str, Any]:
    if stored.payload_sha256 != m.digest() or stored.user_id != ctx.actor.user_id:
        return _rejected(
            m, "id_reused", _("This action's id was already used for a different action. It was not applied.")
        )
    return {
        **stored.result,
        "mutation_id": m.mutation_id,
        "seq": m.seq,
        "status": "duplicate",
        "original_status": stored.status,
    }


class Batch:
    """Mutations applied in one transaction. What they need is read up front in a few queries (their orders with
    meters, locked on PostgreSQL; the ids already stored; what holds accounts off disconnection; the meters' read
    history), and their effects are written at the end by the account model's batch operations, a few statements
    whatever the batch's size: reads, order changes, accounts' service state, restore orders, audit rows, the
    actions' ids with their answers. What one action did is seen by the next (an order's state, a meter's reads)."""

    def __init__(self, session: AsyncSession, ctx: Context) -> None:
        self.session = session
        self.ctx = ctx
        self.stored: dict[str, StoredMutation] = {}
        self.orders: dict[int, tuple[FieldOrder, OrderMeter | None]] = {}
        self.facts: dict[int, dict[str, Any] | rules.InvalidAction] = {}  # by id() of the mutation
        # meter -> (read at, 0 for stored reads or n for this batch's n-th, value), in the order history_from takes them
        self.read_history: dict[int, list[tuple[dt.datetime, int, int]]] = defaultdict(list)
        self.audit = AuditLater(ctx.actor)
        self.order_changes = workorders.OrderChanges(self.audit)
        self.new_reads: list[dict[str, Any]] = []
        self.read_id_targets: list[list[dict[str, Any]]] = []  # per new read: the dicts whose "read_id" it fills
        self.service_outcomes: list[service_state.ServiceOutcome] = []
        self.restores: list[workorders.RestoreRequest] = []
        self.restore_answers: list[dict[str, Any]] = []  # per restore request: the answer its order's id goes into
        self.mutation_rows: list[sync_exceptions.SyncOutcome] = []
        self.echoes: list[tuple[dict[str, Any], StoredMutation, Mutation]] = []  # duplicates of ids first seen here
        self.holds: dict[int, holds.HoldFacts] = {}  # by account: what holds it off disconnection
        self.meter_sets: list[meters.MeterSetOutcome] = []
        self.serials: dict[str, meters.SerialUse | None] = {}  # new meters' serials: on record, or taken in this batch

    async def load(self, mutations: list[Mutation]) -> None:
        session = self.session
        self.orders = await workorders.orders_with_meters(
            session, [m.order_id for m in mutations if m.order_id is not None]
        )
        # After the locks: a request that held them and committed the same ids is seen now, not after a failed commit.
        self.stored = await sync_exceptions.stored_mutations(session, [m.mutation_id for m in mutations])
        now = self.ctx.now()
        for m in mutations:
            try:
                self.facts[id(m)] = rules.facts(m.kind, m.payload, list(m.photo_ids), now)
            except rules.InvalidAction as problem:
                self.facts[id(m)] = problem
        # What holds the accounts off disconnection, read now, so a medical alert recorded after the order went out counts.
        self.holds = await holds.hold_facts(
            session,
            [
                order.account_id
                for m in mutations
                if m.kind == "disconnect_done"
                and m.order_id in self.orders
                and (order := self.orders[m.order_id][0]).account_id is not None
            ],
        )
        # The serials of new meters in this batch's changes, as the records have them now.
        self.serials = dict(
            await meters.serials_in_use(
                session,
                [
                    f["new_serial"]
                    for m in mutations
                    if m.kind == "meter_changed" and isinstance(f := self.facts[id(m)], dict)
                ],
            )
        )
        # One query for the read history of every meter a read in this batch is checked against.
        reading = [
            (self.orders[m.order_id][1], facts["at"])
            for m in mutations
            if isinstance(facts := self.facts[id(m)], dict)
            and m.order_id in self.orders
            and self.orders[m.order_id][1] is not None
            and _needs_read(m, facts)
        ]
        if reading:
            since = min(at for _meter, at in reading) - dt.timedelta(days=self.ctx.policy.read_history_days)
            meter_ids = sorted({meter.id for meter, _at in reading if meter is not None})
            for meter_id, found in (await reads.recent_reads(session, meter_ids, since)).items():
                self.read_history[meter_id] = [(read_at, 0, value) for read_at, value in found]

    def _history(self, meter: OrderMeter, before: dt.datetime) -> reads.ReadHistory:
        known = [(at, value) for at, _order, value in self.read_history[meter.id]]
        return reads.history_from(known, reads.facts_of(meter), self.ctx.policy, before)

    def _check_read(self, meter: OrderMeter, facts: dict[str, Any]) -> reads.ReadCheck:
        return reads.check_read(
            self.ctx.policy, reads.facts_of(meter), self._history(meter, facts["at"]), facts["value"], facts["at"]
        )

    def _hold(self, m: Mutation, order: FieldOrder) -> str | None:
        """Why this disconnect must not be done (a medical alert, an extension, an arrangement), or None."""
        if m.kind != "disconnect_done" or order.account_id is None or workorders.hold_overridden(order):
            return None
        today = self.ctx.now().astimezone(ZoneInfo(self.ctx.timezone)).date()
        return holds.disconnect_hold(self.holds.get(order.account_id, holds.HoldFacts()), today)

    def _record_meter_read(
        self, order: FieldOrder, meter: OrderMeter, facts: dict[str, Any], check: reads.ReadCheck | None = None
    ) -> dict[str, Any]:
        ctx = self.ctx
        check = check or self._check_read(meter, facts)
        flags = reads.checked_flags(check, confirmed=bool(facts.get("confirmed")))
        row = reads.new_read(
            ctx.actor,
            meter,
            value=facts["value"],
            read_at=facts["at"],
            flags=flags,
            work_order_id=order.id,
            note=facts.get("note"),
        )
        self.new_reads.append(row)
        # Later reads of the same meter in this batch are checked against this one (after the ones stored before).
        insort(self.read_history[meter.id], (facts["at"], len(self.new_reads), facts["value"]))
        extra = {"read": facts["value"], "read_id": None, "flags": row["flags"], "usage": check.usage}
        self.read_id_targets.append([extra])
        return extra

    def _check_new_serial(self, serial: str) -> None:
        """A new meter is one on record only as stock (never set anywhere), and is set once in a batch."""
        if serial in self.serials:
            use = self.serials[serial]
            if use is None or use.premise_id is not None or use.installed_on is not None:
                raise rules.InvalidAction(
                    _("Meter %(serial)s is already set elsewhere: check the serial, or call dispatch.")
                    % {"serial": serial}
                )

    async def _apply(
        self,
        m: Mutation,
        order: FieldOrder,
        meter: OrderMeter | None,
        facts: dict[str, Any],
        check: reads.ReadCheck | None = None,
    ) -> dict[str, Any]:
        """The effect of an accepted action; returns what the answer says about it."""
        ctx = self.ctx
        extra: dict[str, Any] = {}
        if m.kind == "add_note":
            self.order_changes.note(
                order, {"text": facts["note"], "at": facts["at"].isoformat(), "by": ctx.actor.user_id}
            )
            return {}
        if m.kind == "request_restore":
            # The restore order (the account's open one, or a new one) is found or made when the batch is written.
            self.restores.append(
                workorders.RestoreRequest(
                    order,
                    assignee_id=ctx.actor.user_id,
                    due_on=facts["at"].astimezone(ZoneInfo(ctx.timezone)).date(),
                    instructions=_("Restore after the disconnect on order %(id)s.") % {"id": order.id},
                )
            )
            return {"restore_order_id": None}
        if _needs_read(m, facts):
            assert meter is not None  # _check_meter ran first
            extra = self._record_meter_read(order, meter, facts, check)
        result = _result(facts, m, extra)
        if order.result.get("notes"):  # notes added before the order was finished stay with it
            result["notes"] = order.result["notes"]
        self.order_changes.complete(order, result, completed_at=facts["at"])
        if extra:
            self.read_id_targets[-1].append(order.result)  # the order's own copy, which its audit row shows too
        if m.kind in rules.METER_SET_ACTIONS:
            self.meter_sets.append(
                meters.MeterSetOutcome(
                    order,
                    facts["at"].astimezone(ZoneInfo(ctx.timezone)).date(),
                    facts["at"],
                    extra,
                    facts.get("new_serial"),
                    facts.get("new_size"),
                    facts.get("new_value"),
                )
            )
            if m.kind == "meter_changed":
                self.serials[facts["new_serial"]] = None  # taken: a second change in this batch cannot set it
        if order.kind in service_state.KINDS:
            # The read's day on the utility's clock, as the bill run dates reads, so a final bill ends on its own
            # final read and a first bill starts at the start read whatever the hour.
            day = facts["at"].astimezone(ZoneInfo(ctx.timezone)).date()
            self.service_outcomes.append(service_state.ServiceOutcome(order, m.kind, day))
        return extra

    async def apply(self, m: Mutation) -> dict[str, Any]:
        """One mutation: its id, its effect or its rejection, and its answer, together in this transaction."""
        ctx = self.ctx
        stored = self.stored.get(m.mutation_id)
        if stored is not None:
            answer = _duplicate(stored, m, ctx)
            if answer["status"] == "duplicate" and any(row.mutation_id == m.mutation_id for row in self.mutation_rows):
                self.echoes.append((answer, stored, m))  # its answer is complete only once the batch is written
            return answer
        order, meter = self.orders.get(m.order_id, (None, None)) if m.order_id is not None else (None, None)
        exception_code = None
        status = "rejected"
        if order is None or order.assigned_to_id != ctx.actor.user_id:
            # Another technician's order answers like a missing one.
            answer = _rejected(m, "not_found", _("Order %(id)s is not assigned to you.") % {"id": m.order_id})
            order = None
        else:
            try:
                facts = self.facts[id(m)]
                if isinstance(facts, rules.InvalidAction):
                    raise facts
                decision = rules.decide(m.kind, order.kind, order.status)
                hold = self._hold(m, order) if decision.apply else None
                if hold is not None:
                    # Refused before anything is written; dispatch sees it, and only dispatch can decide otherwise.
                    exception_code = "disconnect_hold"
                    answer = _rejected(
                        m,
                        "disconnect_hold",
                        holds.hold_message(
                            hold, order.id, self.holds.get(order.account_id or 0, holds.HoldFacts())
                        ),  # a hold is only found for an order with an account
                        order,
                        hold=hold,
                    )
                elif decision.apply:
                    _check_meter(m, meter, facts)
                    if m.kind == "meter_changed":
                        self._check_new_serial(facts["new_serial"])
                    # _check_meter has refused an action that needs a read of an order without a meter.
                    check = self._check_read(meter, facts) if meter is not None and _needs_read(m, facts) else None
                    if (
                        check is not None
                        and not facts.get("confirmed")
                        and rules.needs_confirmation(m.kind, check.flags)
                    ):
                        raise ReadNotConfirmed(check)
                    extra = await self._apply(m, order, meter, facts, check)
                    status = "applied"
                    answer = {
                        "mutation_id": m.mutation_id,
                        "seq": m.seq,
                        "status": "applied",
                        "order": _order_state(order),
                        **extra,
                    }
                    if "read_id" in extra:
                        self.read_id_targets[-1].append(answer)
                    if "restore_order_id" in extra:
                        self.restore_answers.append(answer)
                elif decision.code in ("order_cancelled", "already_completed"):
                    exception_code = decision.code
                    answer = _rejected(
                        m,
                        decision.code,
                        _conflict_message(ctx, m, order, decision, facts["at"]),
                        order,
                        restore_offer=decision.restore_offer,
                    )
                    self.order_changes.conflict(
                        order, {"code": decision.code, "action": m.kind, "mutation_id": m.mutation_id, "facts": facts}
                    )
                else:
                    answer = _rejected(
                        m,
                        decision.code or "invalid",
                        _("This action does not fit order %(id)s (%(kind)s).") % {"id": order.id, "kind": order.kind},
                        order,
                    )
            except ReadNotConfirmed as problem:
                check = problem.check
                answer = _rejected(
                    m,
                    "confirm_read",
                    check.reason + " " + _("Nothing was saved."),
                    order,
                    read=check.value,
                    flags=list(check.flags),
                    expected_low=check.expected_low,
                    expected_high=check.expected_high,
                )
            except (rules.InvalidAction, Conflict) as problem:
                answer = _rejected(m, "invalid", problem.message, order)
        digest = m.digest()
        user_id = ctx.actor.user_id
        assert user_id is not None  # only a signed-in technician syncs
        self.mutation_rows.append(
            sync_exceptions.SyncOutcome(
                mutation_id=m.mutation_id,
                device_id=m.device_id,
                seq=m.seq,
                user_id=user_id,
                kind=m.kind,
                work_order_id=order.id if order else None,
                payload={
                    "order_id": m.order_id,
                    "base_version": m.base_version,
                    "payload": m.payload,
                    "photo_ids": list(m.photo_ids),
                },
                payload_sha256=digest,
                status=status,
                result=answer,
                exception_code=exception_code,
            )
        )
        self.stored[m.mutation_id] = StoredMutation(digest, user_id, status, answer)
        return answer

    async def write(self) -> None:
        """Everything the batch's mutations did that is not written yet: reads first (their ids go into the answers
        and order results), then the orders (version-checked), the accounts' service state, restore orders (their
        ids go into the answers), the audit rows, and last the mutation rows with their complete answers."""
        session = self.session
        read_ids = await reads.record_field_reads(session, self.audit, self.new_reads)
        for read_id, targets in zip(read_ids, self.read_id_targets, strict=True):
            for target in targets:
                target["read_id"] = read_id
        await self.order_changes.write(session)
        await service_state.apply_service_outcomes(session, self.audit, self.service_outcomes)
        await meters.apply_meter_sets(session, self.audit, self.meter_sets)
        restore_ids = await workorders.request_restores(session, self.ctx.actor, self.restores)
        for answer, restore_id in zip(self.restore_answers, restore_ids, strict=True):
            answer["restore_order_id"] = restore_id
        await self.audit.write(session)
        await sync_exceptions.record_sync_outcomes(session, self.mutation_rows)
        for answer, stored, m in self.echoes:
            answer.update(_duplicate(stored, m, self.ctx))
        self.new_reads, self.read_id_targets, self.mutation_rows, self.echoes = [], [], [], []
        self.service_outcomes, self.restores, self.restore_answers, self.meter_sets = [], [], [], []


async def disconnect_refusal(session: AsyncSession, ctx: Context, order: WorkOrder) -> dict[str, Any] | None:
    """The answer a disconnect on this order gets now if something holds the account off disconnection (the order
    page shows it instead of the disconnect form, and the plain form is refused before its photos are kept)."""
    if order.kind != WorkOrderKind.DISCONNECT or order.account_id is None or workorders.hold_overridden(order):
        return None
    facts = (await holds.hold_facts(session, [order.account_id]))[order.account_id]
    code = holds.disconnect_hold(facts, ctx.now().astimezone(ZoneInfo(ctx.timezone)).date())
    if code is None:
        return None
    return {
        "status": "rejected",
        "code": "disconnect_hold",
        "message": holds.hold_message(code, order.id, facts),
        "server_state": {**(_order_state(order) or {}), "hold": code, "restore_offer": False},
    }


async def prefetch(session: AsyncSession, ctx: Context, mutations: list[Mutation]) -> Batch:
    """A batch's reads, done once for all its mutations (a lock timeout here sends the batch down the slow path)."""
    batch = Batch(session, ctx)
    await batch.load(mutations)
    return batch


async def apply_in(session: AsyncSession, ctx: Context, m: Mutation) -> dict[str, Any]:
    """One mutation inside the caller's transaction: its id, its effect or its rejection, and its answer, together."""
    batch = Batch(session, ctx)
    await batch.load([m])
    answer = await batch.apply(m)
    await batch.write()
    return answer


async def _attempt(maker: async_sessionmaker[AsyncSession], ctx: Context, m: Mutation) -> dict[str, Any]:
    async with maker() as session, session.begin():
        return await apply_in(session, ctx, m)


async def apply_one(maker: async_sessionmaker[AsyncSession], ctx: Context, m: Mutation) -> dict[str, Any]:
    """Apply one mutation in its own transaction, or answer what was stored for its id."""
    for attempt in range(ATTEMPTS):
        try:
            answer = await _attempt(maker, ctx, m)
        except IntegrityError:
            continue  # the same id committed by a concurrent request: the next attempt answers `duplicate`
        except (StaleDataError, DBAPIError) as problem:  # a lock timeout, a deadlock, a version race
            log.warning("mutation %s attempt %s: %s", m.mutation_id, attempt + 1, problem)
            continue
        if after_commit is not None:
            await after_commit(m)
        return answer
    return {
        "mutation_id": m.mutation_id,
        "seq": m.seq,
        "status": "retry_later",
        "message": _("The server is busy. This action will be sent again."),
    }


async def apply_batch(
    maker: async_sessionmaker[AsyncSession], ctx: Context, mutations: list[Mutation]
) -> list[dict[str, Any]]:
    """Answers in order; a `retry_later` stops the batch (what follows it is not answered, so it is sent again).

    Fast path: the whole batch in one transaction (each mutation's id still commits with its effect, and every check
    that can refuse an action runs before it writes anything). Any failure rolls the batch back and the batch is
    applied again one transaction per mutation, so one bad action cannot hold up the others."""
    ordered = sorted(mutations, key=lambda item: (item.device_id, item.seq))
    try:
        async with maker() as session, session.begin():
            batch = await prefetch(session, ctx, ordered)
            answers = []
            for m in ordered:
                answers.append(await batch.apply(m))
                if after_commit is not None:
                    await after_commit(m)
            await batch.write()
        return answers
    except (IntegrityError, StaleDataError, DBAPIError) as problem:
        log.info("batch of %s fell back to one transaction per mutation: %s", len(ordered), problem)
    answers = []
    for m in ordered:
        answer = await apply_one(maker, ctx, m)
        answers.append(answer)
        if answer["status"] == "retry_later":
            break
    return answers
