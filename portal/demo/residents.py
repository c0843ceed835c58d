"""Demo data for the resident side, made through the same services the pages use (so orders, deposits and audit rows
are real): a problem report for the demo resident, and for other residents a few pending start/stop/move requests
and payment extensions granted or waiting for a CSR."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import arrears, extensions, problems, tenancy
from portal.accounts.actor import Actor
from portal.accounts.errors import DomainError
from portal.accounts.models import (
    Account,
    AccountClass,
    AccountStatus,
    Origin,
    Premise,
    User,
    UserAccount,
)
from portal.accounts.policy import current_policy

RESIDENT = "maria.resident@example.com"


async def _persona_account(session: AsyncSession, email: str) -> tuple[User | None, Account | None]:
    row = (
        await session.execute(
            select(User, Account)
            .join(UserAccount, UserAccount.user_id == User.id)
            .join(Account, Account.id == UserAccount.account_id)
            .where(User.email == email)
        )
    ).first()
    return (row[0], row[1]) if row else (None, None)


async def seed(session: AsyncSession, today: dt.date | None = None) -> None:
    today = today or dt.date.today()
    policy = current_policy()
    user, account = await _persona_account(session, RESIDENT)
    if user is not None and account is not None:
        actor = Actor(user.id, user.email, Origin.WEB, user.role)
        await problems.report_problem(
            session,
            actor,
            policy,
            account,
            kind="lid_damage",
            description="The meter box lid by the curb is cracked in two.",
            phone=None,
            today=today,
        )

    job = Actor.cli("seed")
    residential = (
        select(Account)
        .where(Account.account_class == AccountClass.RESIDENTIAL, Account.status == AccountStatus.ACTIVE)
        .order_by(Account.id)
    )
    linked = select(UserAccount.account_id)
    plain = list(await session.scalars(residential.where(Account.id.not_in(linked)).offset(20).limit(400)))
    if len(plain) < 12:
        return
    served = select(Account.id).where(Account.premise_id == Premise.id, Account.status.in_(tenancy.OCCUPYING)).exists()
    vacant = list(  # nobody's service there: a start or move into it is one customer's, not a second account
        await session.scalars(select(Premise).where(~served).order_by(Premise.id.desc()).limit(3))
    )
    start_on = tenancy.earliest_date(policy, today)
    try:
        await tenancy.stop_service(
            session,
            job,
            policy,
            plain[0],
            stop_on=start_on + dt.timedelta(days=7),
            forwarding_address="2200 Guadalupe St Apt 4, Austin, TX 78705",
            today=today,
        )
        if vacant:
            await tenancy.move_service(
                session,
                job,
                policy,
                plain[1],
                stop_on=start_on,
                premise_id=vacant[0].id,
                start_on=start_on,
                today=today,
            )
            await tenancy.start_service(
                session,
                job,
                policy,
                premise_id=vacant[-1].id,
                start_on=start_on,
                today=today,
                identity=tenancy.Identity("Keisha", "Washington", "keisha.w@example.com", "254-555-0190"),
            )
    except DomainError:
        pass  # a holiday-heavy week or an odd seed: the demo goes on without these

    # extensions asked today on accounts with a past-due balance: one granted, others for a CSR to decide (kept and
    # broken ones come from the history, portal/demo/history.py, decided by the real extension check)
    figures = await arrears.arrears_many(session, [a.id for a in plain], today)
    owing = [a for a in plain if figures[a.id].past_due_cents > 0]
    if not owing:
        return
    granted, queued = owing[0], owing[1:2]
    facts = await extensions.facts_for(session, policy, granted, today)
    latest = extensions.latest_promise_on(policy, today, facts.next_due_on)
    plans = ([(granted, latest)] if latest > today else []) + [(a, today + dt.timedelta(days=20)) for a in queued]
    for account, promised_on in plans:
        try:
            await extensions.request(session, job, policy, account, promised_on=promised_on, today=today)
        except DomainError:
            continue
    await session.flush()
