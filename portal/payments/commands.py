"""Payment jobs: `portal draft-run --date D` (bank drafts due that day) and `portal reconcile --date D` (every
difference between the ledger's card/bank payments and Stripe's). Each is a body the schedule runs (JOBS) and a
command that takes the same claim (portal/jobs), so a date's run happens once however it is started."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from portal.accounts.messages import Mailer
from portal.settings import Settings

if TYPE_CHECKING:
    from portal.jobs.engine import JobBody, JobContext
    from portal.payments.services import Context

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _today(settings: Settings) -> dt.date:
    return dt.datetime.now(ZoneInfo(settings.timezone)).date()


def _context(settings: Settings, mailer: Mailer) -> Context:
    from portal.jobs.engine import JobSkipped
    from portal.payments.gateway import Gateway, PaymentsUnavailable
    from portal.payments.services import Context

    try:
        return Context.of(Gateway.from_settings(settings), settings, mailer)
    except PaymentsUnavailable as exc:
        raise JobSkipped("STRIPE_API_KEY is not set: nothing to do without Stripe.") from exc


async def draft_run_job(ctx: JobContext) -> Mapping[str, Any]:
    from portal.payments.autopay import draft_run

    report = await draft_run(ctx.maker, _context(ctx.settings, ctx.mailer), ctx.day, ctx.progress)
    for line in report.skipped + report.failed:
        ctx.echo(f"  {line}")
    return {"charged": len(report.charged), "skipped": len(report.skipped), "failed": len(report.failed)}


async def reconcile_job(ctx: JobContext) -> Mapping[str, Any]:
    from portal.i18n import format_money
    from portal.payments.refunds import reconcile

    async with ctx.maker() as session:
        differences, ours, theirs = await reconcile(session, _context(ctx.settings, ctx.mailer), ctx.day)
    ctx.echo(f"Reconciliation for {ctx.day.isoformat()}: {ours} payment(s) in the ledger, {theirs} at Stripe.")
    for item in differences:
        ledger_amount = format_money(item.ledger_cents) if item.ledger_cents is not None else "-"
        stripe_amount = format_money(item.stripe_cents) if item.stripe_cents is not None else "-"
        ctx.echo(f"  {item.intent_id}: {item.problem} (ledger {ledger_amount}, Stripe {stripe_amount})")
    ctx.echo("No differences." if not differences else f"{len(differences)} difference(s).")
    return {"ledger": ours, "stripe": theirs, "differences": len(differences)}


JOBS: dict[str, JobBody] = {"draft-run": draft_run_job, "reconcile": reconcile_job}


def _exit(name: str, day: dt.date, mailer: Mailer, problem: str) -> None:
    """Run through the claim; exit 1 when the run failed, was skipped, or found `problem` (a failed draft, a
    difference), as the commands did before the schedule."""
    from portal.jobs.command import run_from_cli

    outcome = run_from_cli(name, day, mailer)
    bad = outcome.claimed and (outcome.outcome != "ok" or outcome.counts.get(problem, 0))
    raise SystemExit(1 if bad else 0)


@click.command("draft-run")
@click.option("--date", "day", type=DATE, default=None, help="The draft day (YYYY-MM-DD); today when left out.")
@click.pass_obj
def draft_run_command(mailer: Mailer, day: dt.datetime | None) -> None:
    """Charge each autopay account's bill off-session on its draft date (each bill at most once)."""
    _exit("draft-run", day.date() if day else _today(Settings.from_env()), mailer, "failed")


@click.command("reconcile")
@click.option("--date", "day", type=DATE, default=None, help="The day to compare (YYYY-MM-DD); today when left out.")
@click.pass_obj
def reconcile_command(mailer: Mailer, day: dt.datetime | None) -> None:
    """List every difference between the ledger's card/bank payments and Stripe's for one day (exit 1 if any)."""
    _exit("reconcile", day.date() if day else _today(Settings.from_env()), mailer, "differences")


COMMANDS = [draft_run_command, reconcile_command]
