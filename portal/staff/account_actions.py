"""What a CSR does to an account's standing: referral to collections, a payment
arrangement, moving a balance to another account, and the deposit (waive with a letter of credit, apply to the
balance). One transaction per action, each with its audit row; money moves only through the ledger."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import arrears, audit, deposits, holds, ledger, ledger_words, service_state, workorders
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict, DomainError
from portal.accounts.models import (
    Account,
    AccountStatus,
    ArrangementStatus,
    Deposit,
    DepositStatus,
    LedgerEntry,
    LedgerKind,
    PaymentArrangement,
)
from portal.accounts.policy import Policy
from portal.i18n import gettext as _

from . import rules


async def refer_to_collections(
    session: AsyncSession, actor: Actor, account: Account, reason: str, today: dt.date
) -> None:
    """A closed-out account that still owes goes to the collection agency; an active one must be finaled first."""
    if account.status not in (AccountStatus.FINAL, AccountStatus.CLOSED):
        raise Conflict(_("Only a final or closed account can be referred to collections."))
    balance = await ledger.balance(session, account.id, as_of=today)
    if balance <= 0:
        raise Conflict(_("This account owes nothing."))
    open_cases = (await holds.case_facts(session, [account.id]))[account.id]
    if open_cases.bankruptcy:
        raise Conflict(_("An open bankruptcy case holds this balance: it is not collected while the case is open."))
    if "dispute" in open_cases.open_kinds:
        raise Conflict(_("An open dispute is on this balance: it is not collected while the dispute is open."))
    before = account.status
    account.status = AccountStatus.COLLECTIONS
    await session.flush()
    await audit.record(
        session,
        actor,
        "account.status",
        "account",
        account.id,
        account_id=account.id,
        before={"status": before},
        after={"status": account.status, "reason": reason.strip(), "balance_cents": balance},
    )


async def grant_arrangement(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    account: Account,
    *,
    instalments: int,
    reason: str,
    today: dt.date,
) -> PaymentArrangement:
    owed = await arrears.arrears(session, account.id, today)
    earlier = list(
        await session.scalars(
            select(PaymentArrangement.starts_on).where(
                PaymentArrangement.account_id == account.id, PaymentArrangement.status != ArrangementStatus.CANCELLED
            )
        )
    )
    plan = rules.arrangement_plan(
        policy,
        today=today,
        past_due_cents=owed.past_due_cents,
        instalments=instalments,
        earlier_arrangements=earlier,
        account_in_collections=account.status == AccountStatus.COLLECTIONS,
    )
    arrangement = PaymentArrangement(
        account_id=account.id,
        status=ArrangementStatus.ACTIVE,
        total_cents=plan.total_cents,
        down_payment_cents=plan.down_payment_cents,
        starts_on=today,
        down_payment_due_on=today + dt.timedelta(days=policy.arrangement_down_payment_days),
        granted_by_id=actor.user_id,
        instalments=[{"due_on": day.isoformat(), "amount_cents": cents} for day, cents in plan.instalments],
        reason=reason.strip()[:300] or None,
    )
    session.add(arrangement)
    await session.flush()
    await audit.record(
        session,
        actor,
        "arrangement.grant",
        "payment_arrangement",
        arrangement.id,
        account_id=account.id,
        after={
            "total_cents": plan.total_cents,
            "down_payment_cents": plan.down_payment_cents,
            "down_payment_due_on": arrangement.down_payment_due_on,
            "instalments": arrangement.instalments,
            "reason": arrangement.reason,
        },
    )
    await workorders.exclusion_started(session, actor, [account.id], _("Payment arrangement made"))
    return arrangement


async def transfer_balance(
    session: AsyncSession, actor: Actor, source: Account, target: Account, reason: str, today: dt.date
) -> int:
    """Move what a closed-out account owes (or its credit) onto another account of the same customer, as a pair of
    transfer entries keyed together so a double submit moves nothing twice."""
    if source.id == target.id:
        raise DomainError(_("Choose a different account."), field="target")
    if source.customer_id != target.customer_id:
        raise Conflict(_("A balance moves only between accounts of the same customer."))
    if source.status not in (AccountStatus.FINAL, AccountStatus.CLOSED):
        raise Conflict(_("Final the account before moving its balance."))
    amount = await ledger.balance(session, source.id)
    if amount == 0:
        raise Conflict(_("This account has no balance to move."))
    done = (
        await session.execute(select(func.count()).where(LedgerEntry.source_key.like(f"transfer:{source.id}:%")))
    ).scalar_one()
    key = f"transfer:{source.id}:{target.id}:{done // 2 + 1}"
    memo_out = ledger_words.memo("transfer_out", number=target.number)
    memo_in = ledger_words.memo("transfer_in", number=source.number)
    await ledger.post(
        session,
        actor,
        account_id=source.id,
        kind=LedgerKind.TRANSFER,
        amount_cents=-amount,
        source_key=f"{key}:out",
        effective_on=today,
        memo=memo_out,
    )
    await ledger.post(
        session,
        actor,
        account_id=target.id,
        kind=LedgerKind.TRANSFER,
        amount_cents=amount,
        source_key=f"{key}:in",
        effective_on=today,
        memo=memo_in,
    )
    await audit.record(
        session,
        actor,
        "account.balance_transfer",
        "account",
        source.id,
        account_id=source.id,
        after={"to_account": target.number, "amount_cents": amount, "reason": reason.strip()},
    )
    await service_state.close_settled(session, actor, [source.id, target.id], today=today)
    return amount


async def waive_deposit(
    session: AsyncSession, actor: Actor, account: Account, letter_note: str, today: dt.date
) -> Deposit:
    """A letter of credit from a prior utility waives a deposit not yet paid: the billed deposit is reversed."""
    deposit = await deposits.for_account(session, account.id)
    if deposit is None or deposit.status != DepositStatus.REQUIRED or deposit.paid_cents > 0:
        raise Conflict(_("Only a required deposit that is not paid yet can be waived."))
    if not letter_note.strip():
        raise DomainError(_("Describe the letter of credit: which utility, what it shows."), field="letter")
    await deposits.withdraw(
        session, actor, deposit, reason=ledger_words.memo("deposit_waived", note=letter_note.strip()), today=today
    )
    return deposit


async def apply_deposit(session: AsyncSession, actor: Actor, account: Account, today: dt.date) -> int:
    """Apply a held (paid) deposit to the balance; any credit left is refunded from the refund screen."""
    deposit = await deposits.for_account(session, account.id)
    if deposit is None or deposit.status != DepositStatus.HELD or deposit.paid_cents <= 0:
        raise Conflict(_("There is no paid deposit to apply."))
    applied = await deposits.apply_to_balance(
        session, actor, deposit, today=today, memo=ledger_words.memo("deposit_balance")
    )
    await workorders.cancel_if_excluded(session, actor, [account.id], today)  # the deposit may clear the arrears
    return applied
