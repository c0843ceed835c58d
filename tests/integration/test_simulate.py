"""`portal simulate`: the schedule over simulated days through the engine's claim: each job once on each of its days
(a weekend and a cycle's bill day in the span), nothing doubled, and the same days delivered again run nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from portal import mail
from portal.accounts.policy import current_policy
from portal.db import make_engine, make_sessionmaker
from portal.jobs import catalog, simulate
from portal.jobs.engine import Env
from tests import factories


async def test_five_simulated_days_run_each_job_on_its_days_once(database_url, settings) -> None:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await factories.make_account(session)
        env = Env(make_sessionmaker(engine), settings, current_policy(), mail.OUTBOX, catalog.bodies())
        report = await simulate.simulate(env, dt.date(2026, 12, 9), 5)  # Wednesday to Sunday; cycle 2 bills the 10th
        assert report.ok, report.problems
        assert report.by_job["bill-run-cycle-2"] == (1, 1)
        assert report.by_job["bill-run-cycle-3"] == (0, 0)
        assert report.by_job["late-fees"] == (3, 3)  # Wed, Thu, Fri
        assert report.by_job["reconcile"] == (5, 5)
        assert report.second_pass_runs == 0
        assert "Every job ran once" in report.lines()[-1]
        with pytest.raises(ValueError, match="already has runs"):
            await simulate.simulate(env, dt.date(2026, 12, 9), 2)
    finally:
        await engine.dispose()
