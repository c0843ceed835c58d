"""Demo data for the console: notes on a few accounts, a posted adjustment and one waiting for the supervisor, a
business's extension request waiting for a CSR, cut-off notices and calls.
Runs after the bulk load, through the same services the console uses (so the audit history is real)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import cases, extensions, ledger, ledger_words, payments
from portal.accounts.actor import Actor
from portal.accounts.models import (
    Account,
    AccountClass,
    AccountStatus,
    AdjustmentKind,
    Bill,
    CollectionContact,
    ContactKind,
    LedgerEntry,
    LedgerKind,
    Origin,
    User,
    UserAccount,
)
from portal.accounts.policy import current_policy
from portal.staff import adjustments, cutoff, services


async def seed(session: AsyncSession, today: dt.date | None = None) -> None:
    today = today or dt.date.today()
    staff = {
        user.email: user for user in await session.scalars(select(User).where(User.email.like("%@riverton.example")))
    }
    csr1, csr2 = staff.get("csr1@riverton.example"), staff.get("csr2@riverton.example")
    if csr1 is None or csr2 is None:
        return
    first = Actor(csr1.id, csr1.email, Origin.CLI, csr1.role)
    second = Actor(csr2.id, csr2.email, Origin.CLI, csr2.role)
    late = await session.scalar(
        select(Account)
        .join(UserAccount, UserAccount.account_id == Account.id)
        .join(User, User.id == UserAccount.user_id)
        .where(User.email == "james.late@example.com")
    )
    # accounts billed all year (the history closes a few accounts that moved away)
    others = list(
        await session.scalars(
            select(Account).where(Account.status == AccountStatus.ACTIVE).order_by(Account.id).offset(40).limit(3)
        )
    )
    if late is not None:
        await services.add_note(
            session, first, late, "Called about the past-due balance; customer expects to pay Friday."
        )
    if len(others) == 3:
        await services.add_note(session, second, others[0], "Customer asked about a high bill; suggested a leak check.")
        policy = current_policy()
        await adjustments.request(
            session,
            second,
            others[1],
            AdjustmentKind.BILLING_ERROR,
            {"error_from": today - dt.timedelta(days=70), "amount_cents": 450, "direction": "overcharged"},
            "Wrong stormwater ERU count since the last meter change",
            today,
            policy,
        )
        await adjustments.request(
            session,
            first,
            others[2],
            AdjustmentKind.BILLING_ERROR,
            {"error_from": today - dt.timedelta(days=330), "amount_cents": 3_500, "direction": "overcharged"},
            "Commercial rate applied to a residence for most of the year",
            today,
            policy,
        )
    await _collections(session, first, today)
    await _returned_checks(session, first, today)
    await _cases(session, first, today)
    await _outage(session, first)


async def _returned_checks(session: AsyncSession, actor: Actor, today: dt.date) -> None:
    """Three customers who moved away months ago paid their final bill with a check that came back after they had
    gone: the payment reversed and the returned-payment fee charged, as the counter would. Their final accounts are
    the collection agency's candidates, so the supervisor's /staff/placements has work in the demo. Done after the
    history, on final accounts only, so nothing the history decided changes."""
    policy = current_policy()
    old_enough = today - dt.timedelta(days=policy.collection_placement_days + 30)
    finals = (
        select(Bill.account_id)
        .where(Bill.final.is_(True), Bill.cancelled_on.is_(None))
        .group_by(Bill.account_id)
        .having(func.max(Bill.due_date) <= old_enough)
    )
    owing = (
        select(LedgerEntry.account_id).group_by(LedgerEntry.account_id).having(func.sum(LedgerEntry.amount_cents) != 0)
    )
    accounts = list(
        await session.scalars(
            select(Account.id)
            .where(
                Account.status.in_([AccountStatus.FINAL, AccountStatus.CLOSED]),
                Account.id.in_(finals),
                Account.id.not_in(owing),
            )
            .order_by(Account.id)
        )
    )
    done = 0
    for account_id in accounts:
        paid = await session.scalar(
            select(LedgerEntry)
            .where(LedgerEntry.account_id == account_id, LedgerEntry.kind == LedgerKind.PAYMENT)
            .order_by(LedgerEntry.effective_on.desc(), LedgerEntry.id.desc())
            .limit(1)
        )
        if paid is None or -paid.amount_cents < policy.collection_minimum_cents:
            continue
        back_on = min(today, paid.effective_on + dt.timedelta(days=9))
        reference = f"check {paid.id}"
        returned = await ledger.reverse(
            session,
            actor,
            paid.id,
            reason=ledger_words.memo("returned", reference=reference, code="account closed"),
            effective_on=back_on,
            source_key=f"demo-returned:{paid.id}",
        )
        await ledger.post(
            session,
            actor,
            account_id=account_id,
            kind=LedgerKind.FEE,
            amount_cents=policy.returned_payment_fee_cents,
            source_key=f"demo-returned-fee:{paid.id}",
            effective_on=back_on,
            memo=ledger_words.memo("returned_fee", reference=reference),
        )
        # paid off, it had closed; owing again, it is final (what the placement file takes), as for any return
        if returned.created:
            await payments.payment_taken_back(session, actor, paid.id, account_id, back_on, "a check was returned")
        done += 1
        if done == 3:
            break


async def _cases(session: AsyncSession, actor: Actor, today: dt.date) -> None:
    """A dispute of part of a bill, a complaint waiting for its owner and a bankruptcy, so /staff/cases has work."""
    policy = current_policy()
    owing = (
        select(LedgerEntry.account_id)
        .group_by(LedgerEntry.account_id)
        .having(func.sum(LedgerEntry.amount_cents) > 3_000)  # a dispute needs something owed
    )
    picked = list(
        await session.scalars(
            select(Account)
            .where(Account.status == AccountStatus.ACTIVE, Account.id.in_(owing))
            .order_by(Account.id)
            .offset(60)
            .limit(3)
        )
    )
    if len(picked) < 3:
        return
    disputed, unhappy, bankrupt = picked
    dispute = await cases.open_case(
        session,
        actor,
        policy,
        disputed,
        kind="dispute",
        today=today,
        disputed_cents=3_000,
        reason="Says the October read was too high; asked for a meter re-read.",
    )
    await cases.assign(session, actor, dispute, actor.user_id)  # the CSR's own queue ("Mine") has work too
    await cases.open_case(
        session,
        actor,
        policy,
        unhappy,
        kind="complaint",
        today=today,
        reason="Crew left the meter box lid off after the read.",
    )
    await cases.open_case(
        session,
        actor,
        policy,
        bankrupt,
        kind="bankruptcy",
        today=today,
        chapter=13,
        case_number="26-40117",
        filed_on=today - dt.timedelta(days=20),
        reason="Chapter 13 petition; notice from the court received.",
    )


async def _collections(session: AsyncSession, actor: Actor, today: dt.date) -> None:
    """Cut-off notices sent 12 days ago and courtesy calls 2 days ago for a few delinquent accounts, so the demo's
    cut-off list has people on it (and others still waiting for a call)."""
    from portal.settings import Settings

    listing = await cutoff.build(session, current_policy(), today, Settings.from_env().timezone)
    business = next((row.account for row in listing.rows if row.account.account_class == AccountClass.COMMERCIAL), None)
    if business is not None:  # a business asks for more time: the rule is for homes, so it waits in /staff/extensions
        try:
            await extensions.request(
                session, actor, current_policy(), business, promised_on=today + dt.timedelta(days=7), today=today
            )
        except extensions.ExtensionRefused:
            pass
    ready = [
        row
        for row in listing.rows
        if set(row.decision.codes) <= {"no_notice", "no_courtesy"} and row.account is not business
    ]
    now = dt.datetime.now(dt.UTC)
    for index, row in enumerate(ready[:8]):
        session.add(
            CollectionContact(
                account_id=row.account.id,
                kind=ContactKind.CUTOFF_NOTICE,
                contacted_at=now - dt.timedelta(days=12),
                outcome="letter",
                created_by_id=actor.user_id,
            )
        )
        if index % 4 != 3:  # a few still need their courtesy call
            session.add(
                CollectionContact(
                    account_id=row.account.id,
                    kind=ContactKind.COURTESY_CALL,
                    contacted_at=now - dt.timedelta(days=2),
                    outcome="voicemail",
                    created_by_id=actor.user_id,
                )
            )
    await session.flush()


async def _outage(session: AsyncSession, actor: Actor) -> None:
    """One open water outage on a street of the city, so /outages shows something (docs/features.md, Outages)."""
    from portal import mail, sms
    from portal.accounts import outage_rules, outages
    from portal.accounts.models import Outage, Premise
    from portal.settings import Settings

    account = await session.scalar(
        select(Account)
        .join(Premise, Premise.id == Account.premise_id)
        .where(Account.status == AccountStatus.ACTIVE, Premise.lat.is_not(None))
        .order_by(Account.id)
        .offset(100)
        .limit(1)
    )
    if account is None:
        return
    premise = await session.get(Premise, account.premise_id)
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    report = await outages.report(
        session, actor, utility="water", now=now - dt.timedelta(minutes=40), source="csr", account=account
    )
    outage = await session.get(Outage, report.outage_id)
    assert outage is not None and premise is not None
    await outages.update(
        session,
        actor,
        outage,
        mail.queue_once_many,
        now=now,
        cause="main_break",
        streets=[outage_rules.street_of(premise.address)],
        routes=[],
        polygon=[],
        estimate=now + dt.timedelta(hours=3),
        text="A crew is repairing the main.",
        text_es="Una cuadrilla está reparando la tubería principal.",
        timezone=Settings.from_env().timezone,
        texts=sms.configured(Settings.from_env()),
    )
    await outages.send_crew(session, actor, outage, now.date())
