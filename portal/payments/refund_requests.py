"""Refund a credit balance from the staff console: the leftover after a deposit is applied to the final bill (or
after 12 bills paid on time), or an overpayment. To the card or bank account the customer paid with (through
`refunds.refund`, each Stripe refund posted once by its id) or by check (one ledger entry keyed by the request).
Each request has a reason and an audit row; over the policy's limit it waits for a supervisor who did not ask.

A request is keyed by the form's one-time claim key, so a double submit makes one request and one refund."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import approval, audit, deposits, ledger, ledger_words, service_state
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict, DomainError
from portal.accounts.models import (
    Account,
    Customer,
    DepositStatus,
    LedgerEntry,
    LedgerKind,
    Premise,
    RefundRequest,
    RefundStatus,
)
from portal.accounts.policy import Policy
from portal.i18n import gettext as _
from portal.settings import Settings

from . import refunds, rules
from .services import Context, refund_payment_rows


@dataclass(frozen=True)
class RefundFacts:
    account: Account
    customer: Customer
    premise: Premise
    credit_cents: int  # what the account is owed (0 when it owes)
    refundable_online_cents: int  # card and bank payments on file not yet refunded
    deposit_applied_cents: int  # the deposit applied to the balance, when it was
    mail_to: str  # where a check goes

    def refusal(self, amount_cents: int, method: str) -> str | None:
        return rules.refund_refusal(
            amount_cents=amount_cents,
            credit_cents=self.credit_cents,
            method=method,
            refundable_online_cents=self.refundable_online_cents,
        )


async def facts(session: AsyncSession, account: Account) -> RefundFacts:
    customer = await session.get(Customer, account.customer_id)
    premise = await session.get(Premise, account.premise_id)
    assert customer is not None and premise is not None
    rows = await refund_payment_rows(session, account.id)
    deposit = await deposits.for_account(session, account.id)
    applied = 0
    if deposit is not None and deposit.status == DepositStatus.APPLIED:
        applied = -int(
            await session.scalar(
                select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
                    LedgerEntry.account_id == account.id, LedgerEntry.kind == LedgerKind.DEPOSIT_APPLIED
                )
            )
            or 0
        )
    return RefundFacts(
        account=account,
        customer=customer,
        premise=premise,
        credit_cents=max(0, -await ledger.balance(session, account.id)),
        refundable_online_cents=sum(p.amount_cents - p.refunded_cents for p in rows),
        deposit_applied_cents=applied,
        mail_to=(customer.mailing_address or premise.one_line).strip(),
    )


def _state(request: RefundRequest) -> dict[str, object]:
    return {
        "status": request.status,
        "amount_cents": request.amount_cents,
        "method": request.method,
        "kind": request.kind,
    }


def _today(ctx: Context | None) -> dt.date:
    """The business date on the utility's clock (a check refund needs no Stripe context, so none may be given)."""
    if ctx is not None:
        return ctx.today()
    return dt.datetime.now(ZoneInfo(Settings.from_env().timezone)).date()


async def _send(session: AsyncSession, ctx: Context | None, actor: Actor, request: RefundRequest) -> None:
    """Send the money back: through Stripe to the payments on file, or post the check to the ledger."""
    reason = f"Refund request {request.id}: {request.reason}"
    if request.method == "online":
        if ctx is None:
            raise DomainError(
                _("Card and bank refunds are not available right now: send a check instead."), field="method"
            )
        await refunds.refund(
            session,
            ctx,
            actor,
            account_id=request.account_id,
            kind=request.kind,
            amount_cents=request.amount_cents,
            reason=reason,
            claim_key=f"refund-request:{request.id}",
        )
    else:
        await ledger.post(
            session,
            actor,
            account_id=request.account_id,
            kind=refunds.KINDS[request.kind],
            amount_cents=request.amount_cents,
            source_key=f"refund-request:{request.id}:check",
            effective_on=_today(ctx),
            memo=ledger_words.memo(
                f"{request.kind}_refund_check" + ("" if request.check_number else "_no_number"),
                number=request.check_number,
                address=request.mail_to,
            ),
        )
        await service_state.close_settled(session, actor, [request.account_id], today=_today(ctx))
    request.status = RefundStatus.SENT
    await session.flush()


async def request_refund(
    session: AsyncSession,
    ctx: Context | None,
    actor: Actor,
    policy: Policy,
    account: Account,
    *,
    amount_cents: int,
    method: str,
    reason: str,
    check_number: str,
    claim_key: str,
) -> RefundRequest:
    """Ask for a refund; send it at once when within the limit, else queue it for a supervisor."""
    existing = await session.scalar(select(RefundRequest).where(RefundRequest.claim_key == claim_key))
    if existing is not None:
        return existing  # the same form sent twice
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the money goes back, in words the customer would understand."), field="reason")
    found = await facts(session, account)
    refusal = found.refusal(amount_cents, method)
    if refusal:
        raise DomainError(refusal, field="method" if "check instead" in refusal else "amount")
    request = RefundRequest(
        account_id=account.id,
        claim_key=claim_key,
        amount_cents=amount_cents,
        method=method,
        reason=reason[:300],
        kind=rules.refund_kind(deposit_applied_cents=found.deposit_applied_cents, amount_cents=amount_cents),
        status=RefundStatus.PENDING_APPROVAL,
        mail_to=found.mail_to if method == "check" else None,
        check_number=check_number.strip()[:32] or None,
        requested_by_id=actor.user_id or 0,
    )
    try:
        async with session.begin_nested():
            session.add(request)
            await session.flush()
    except IntegrityError:  # the same form sent twice at the same moment: the other request is the one
        return (await session.scalars(select(RefundRequest).where(RefundRequest.claim_key == claim_key))).one()
    await audit.record(
        session,
        actor,
        "refund.request",
        "refund_request",
        request.id,
        account_id=account.id,
        after={**_state(request), "reason": request.reason, "mail_to": request.mail_to},
    )
    if not rules.refund_needs_approval(policy, amount_cents):
        await _send(session, ctx, actor, request)
        await audit.record(
            session, actor, "refund.send", "refund_request", request.id, account_id=account.id, after=_state(request)
        )
    return request


async def decide(
    session: AsyncSession, ctx: Context | None, actor: Actor, request_id: int, *, approve: bool, note: str
) -> RefundRequest:
    """A supervisor other than the requester sends (approves) or rejects a waiting refund, once. The credit is
    checked again: the balance may have changed since the request."""
    request = await approval.waiting_to_decide(
        session,
        RefundRequest,
        request_id,
        actor,
        RefundStatus.PENDING_APPROVAL,
        missing=_("No such refund."),
        decided=_("This refund was already decided."),
        code="not_allowed",
    )
    before = _state(request)
    approval.stamp_decision(request, actor, note)
    if approve:
        account = await session.get(Account, request.account_id)
        assert account is not None
        refusal = (await facts(session, account)).refusal(request.amount_cents, request.method)
        if refusal:
            raise Conflict(refusal)
        await _send(session, ctx, actor, request)
    else:
        request.status = RefundStatus.REJECTED
        await session.flush()
    await audit.record(
        session,
        actor,
        "refund.approve" if approve else "refund.reject",
        "refund_request",
        request.id,
        account_id=request.account_id,
        before=before,
        after={**_state(request), "note": request.decision_note},
    )
    return request
