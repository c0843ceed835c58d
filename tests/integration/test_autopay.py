"""Bank draft: enrolment through a SetupIntent (authorization kept verbatim), and the draft run charging each bill
once however many times, or on however many machines, it runs."""

import asyncio
import datetime as dt
import os
import subprocess
import sys

import pytest
from sqlalchemy import delete, func, select

from portal.accounts import ledger
from portal.accounts.actor import Actor
from portal.accounts.models import BankDraftStatus, Bill, JobRun, LedgerEntry, LedgerKind, OnlinePayment
from portal.db import make_engine, make_sessionmaker
from portal.payments import autopay, services, webhooks
from tests import factories
from tests.stripe_harness import PUBLISHABLE_KEY, SECRET_KEY, confirm_bank_setup, control, sdk, wait_for

JOB = Actor.job("test")
RESIDENT = Actor(user_id=None, label="maria@example.com", origin="web", ip="203.0.113.9")
DUE = dt.date(2026, 12, 8)  # a Tuesday


async def enrolled_account(session, ctx, *, bill_cents: int = 6_120, due: dt.date = DUE):
    account = await factories.make_account(session)
    bill = Bill(
        account_id=account.id,
        period_start=due - dt.timedelta(days=51),
        period_end=due - dt.timedelta(days=21),
        bill_date=due - dt.timedelta(days=21),
        due_date=due,
        total_cents=bill_cents,
    )
    session.add(bill)
    await session.flush()
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=bill_cents,
        source_key=f"bill:{bill.id}",
        effective_on=bill.bill_date,
        bill_id=bill.id,
    )
    text = autopay.authorization_text(ctx, account.number)
    draft, secret = await autopay.start_enrolment(session, ctx, RESIDENT, account=account, text=text, ip="203.0.113.9")
    await session.commit()
    assert secret.startswith(draft.stripe_setup_intent_id)
    await confirm_bank_setup(ctx, draft.stripe_setup_intent_id)
    await autopay.sync_setup_intent(session, ctx, RESIDENT, draft.stripe_setup_intent_id)
    await session.commit()
    return account, bill, draft


async def test_enrolment_keeps_the_authorization_verbatim_and_activates_with_the_mandate(session, payments_ctx) -> None:
    account, _bill, draft = await enrolled_account(session, payments_ctx)
    assert draft.status == BankDraftStatus.ACTIVE
    assert draft.stripe_mandate_id.startswith("mandate_") and draft.last4 == "6789"
    assert draft.authorization_text == autopay.authorization_text(payments_ctx, account.number)
    assert "NACHA" in draft.authorization_text and "$30.00" in draft.authorization_text
    assert draft.authorized_ip == "203.0.113.9" and draft.authorized_at is not None
    # The webhook for the same SetupIntent changes nothing.
    event = {
        "id": "evt_seti",
        "type": "setup_intent.succeeded",
        "data": {"object": {"id": draft.stripe_setup_intent_id}},
    }
    assert await webhooks.handle_event(session, payments_ctx, event) == "active"


async def test_an_inactive_mandate_suspends_the_draft(session, payments_ctx, stripe_clean) -> None:
    _account, _bill, draft = await enrolled_account(session, payments_ctx)
    control(stripe_clean, f"/_test/mandates/{draft.stripe_mandate_id}/inactivate")
    event = {"id": "evt_mandate", "type": "mandate.updated", "data": {"object": {"id": draft.stripe_mandate_id}}}
    assert "1 suspended" in await webhooks.handle_event(session, payments_ctx, event)
    await session.commit()
    await session.refresh(draft)
    assert draft.status == BankDraftStatus.SUSPENDED


async def _intents_at_stripe(ctx) -> int:
    page = await asyncio.to_thread(sdk(ctx).v1.payment_intents.list, params={"limit": 100})
    return len(page.data)


async def test_draft_run_twice_charges_each_account_once(session, engine, payments_ctx) -> None:
    first_account, first_bill, _ = await enrolled_account(session, payments_ctx)
    second_account, second_bill, _ = await enrolled_account(session, payments_ctx, bill_cents=4_480)
    maker = make_sessionmaker(engine)
    early = await autopay.draft_run(maker, payments_ctx, DUE - dt.timedelta(days=1))
    assert early.charged == []
    one = await autopay.draft_run(maker, payments_ctx, DUE)
    two = await autopay.draft_run(maker, payments_ctx, DUE)
    assert len(one.charged) == 2 and two.charged == [] and len(two.skipped) == 2
    await session.commit()
    payments = (await session.scalars(select(OnlinePayment).order_by(OnlinePayment.id))).all()
    assert [(p.account_id, p.amount_cents, p.claim_key) for p in payments] == [
        (first_account.id, 6_120, f"draft:{first_bill.id}"),
        (second_account.id, 4_480, f"draft:{second_bill.id}"),
    ]
    assert await _intents_at_stripe(payments_ctx) == 2
    for payment in payments:
        await wait_for(payments_ctx, payment.intent_id, "succeeded")
        await services.sync_intent(session, payments_ctx, JOB, payment.intent_id)
    await session.commit()
    assert (
        await ledger.balance(session, first_account.id) == 0 and await ledger.balance(session, second_account.id) == 0
    )


async def test_a_claim_left_by_a_crash_is_retried_with_the_same_key(session, engine, payments_ctx) -> None:
    account, bill, draft = await enrolled_account(session, payments_ctx)
    session.add(
        OnlinePayment(
            account_id=account.id,
            claim_key=f"draft:{bill.id}",
            confirmation="CRASHED2",
            method="us_bank_account",
            channel="draft",
            amount_cents=6_120,
            status="created",
            bill_id=bill.id,
            bank_draft_id=draft.id,
        )
    )
    await session.commit()
    report = await autopay.draft_run(make_sessionmaker(engine), payments_ctx, DUE)
    assert report.charged == ["CRASHED2"]
    assert await session.scalar(select(func.count()).select_from(OnlinePayment)) == 1


@pytest.mark.postgres_only
async def test_two_machines_running_the_draft_at_once_charge_each_account_once(
    session, database_url, payments_ctx
) -> None:
    for _ in range(3):
        await enrolled_account(session, payments_ctx)
    engines = [make_engine(database_url) for _ in range(2)]
    try:
        reports = await asyncio.gather(*(autopay.draft_run(make_sessionmaker(e), payments_ctx, DUE) for e in engines))
    finally:
        for e in engines:
            await e.dispose()
    assert sorted(len(r.charged) for r in reports) in ([0, 3], [1, 2])
    assert sum(len(r.charged) for r in reports) == 3
    assert await session.scalar(select(func.count()).select_from(OnlinePayment)) == 3
    assert await _intents_at_stripe(payments_ctx) == 3


async def test_a_drafted_payment_returned_twice_suspends_autopay(session, engine, payments_ctx, stripe_clean) -> None:
    account, bill, draft = await enrolled_account(session, payments_ctx, due=DUE)
    maker = make_sessionmaker(engine)
    await autopay.draft_run(maker, payments_ctx, DUE)
    first = await session.scalar(select(OnlinePayment))
    await wait_for(payments_ctx, first.intent_id, "succeeded")
    await services.sync_intent(session, payments_ctx, JOB, first.intent_id)
    await session.commit()
    control(stripe_clean, f"/_test/charges/{first.charge_id}/return", code="R01")
    event = {
        "id": "evt_ret1",
        "type": "charge.failed",
        "data": {"object": {"id": first.charge_id, "payment_intent": first.intent_id}},
    }
    assert await webhooks.handle_event(session, payments_ctx, event) == "returned"
    await session.commit()
    fees = await session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == LedgerKind.FEE))
    assert fees == 1 and await ledger.balance(session, account.id) == 6_120 + 3_000
    # The next bill is drafted and returned too: autopay is suspended.
    next_bill = Bill(
        account_id=account.id,
        period_start=DUE,
        period_end=DUE + dt.timedelta(days=30),
        bill_date=DUE + dt.timedelta(days=9),
        due_date=DUE + dt.timedelta(days=30),
        total_cents=5_000,
    )
    session.add(next_bill)
    await session.commit()
    await autopay.draft_run(maker, payments_ctx, DUE + dt.timedelta(days=30))
    second = await session.scalar(select(OnlinePayment).where(OnlinePayment.bill_id == next_bill.id))
    await wait_for(payments_ctx, second.intent_id, "succeeded")
    await services.sync_intent(session, payments_ctx, JOB, second.intent_id)
    await session.commit()
    control(stripe_clean, f"/_test/charges/{second.charge_id}/return", code="R01")
    await services.sync_intent(session, payments_ctx, JOB, second.intent_id)
    await session.commit()
    await session.refresh(draft)
    assert draft.status == BankDraftStatus.SUSPENDED and draft.returns_count == 2
    later = await autopay.draft_run(maker, payments_ctx, DUE + dt.timedelta(days=30))
    assert later.charged == []


async def test_the_draft_run_command_runs_twice_and_charges_once(
    session, database_url, payments_ctx, stripe_clean
) -> None:
    await enrolled_account(session, payments_ctx)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "x" * 40,
        "STRIPE_API_KEY": SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_API_BASE": stripe_clean,
    }

    def draft_run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "portal.cli", "draft-run", "--date", DUE.isoformat()],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    outputs = [draft_run(), draft_run()]
    assert [o.returncode for o in outputs] == [0, 0], outputs[0].stderr + outputs[1].stderr
    assert "Drafted 1" in outputs[0].stdout and "already ran" in outputs[1].stdout  # the run ledger refuses the 2nd
    await session.execute(delete(JobRun))  # without the ledger's row, each bill's draft key still charges it once
    await session.commit()
    third = draft_run()
    assert "Drafted 0" in third.stdout and "already drafted" in third.stdout, third.stdout + third.stderr
    assert await session.scalar(select(func.count()).select_from(OnlinePayment)) == 1
    reconciled = subprocess.run(
        [sys.executable, "-m", "portal.cli", "reconcile"], env=env, capture_output=True, text=True, timeout=60
    )
    assert "Reconciliation for" in reconciled.stdout, reconciled.stderr
