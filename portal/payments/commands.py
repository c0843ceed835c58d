"""Payment jobs: `portal draft-run --date D` (bank drafts due that day; safe to run twice or on two machines at
once) and `portal reconcile --date D` (every difference between the ledger's card/bank payments and Stripe's)."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import click

from portal.accounts.messages import Mailer
from portal.settings import Settings

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _today(settings: Settings) -> dt.date:
    return dt.datetime.now(ZoneInfo(settings.timezone)).date()


def _context(settings: Settings, mailer: Mailer):
    from portal.payments.gateway import Gateway, PaymentsUnavailable
    from portal.payments.services import Context

    try:
        return Context.of(Gateway.from_settings(settings), settings, mailer)
    except PaymentsUnavailable as exc:
        raise click.ClickException("STRIPE_API_KEY is not set: nothing to do without Stripe.") from exc


async def _draft_run(settings: Settings, day: dt.date, mailer: Mailer) -> int:
    from portal.db import make_engine, make_sessionmaker
    from portal.payments.autopay import draft_run

    engine = make_engine(settings.database_url)
    try:
        report = await draft_run(make_sessionmaker(engine), _context(settings, mailer), day, click.echo)
    finally:
        await engine.dispose()
    for line in report.skipped + report.failed:
        click.echo(f"  {line}")
    return 1 if report.failed else 0


@click.command("draft-run")
@click.option("--date", "day", type=DATE, default=None, help="The draft day (YYYY-MM-DD); today when left out.")
@click.pass_obj
def draft_run_command(mailer: Mailer, day: dt.datetime | None) -> None:
    """Charge each autopay account's bill off-session on its draft date (each bill at most once)."""
    settings = Settings.from_env()
    raise SystemExit(asyncio.run(_draft_run(settings, day.date() if day else _today(settings), mailer)))


async def _reconcile(settings: Settings, day: dt.date, mailer: Mailer) -> int:
    from portal.db import make_engine, make_sessionmaker
    from portal.i18n import format_money
    from portal.payments.refunds import reconcile

    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            differences, ours, theirs = await reconcile(session, _context(settings, mailer), day)
    finally:
        await engine.dispose()
    click.echo(f"Reconciliation for {day.isoformat()}: {ours} payment(s) in the ledger, {theirs} at Stripe.")
    for item in differences:
        ledger_amount = format_money(item.ledger_cents) if item.ledger_cents is not None else "-"
        stripe_amount = format_money(item.stripe_cents) if item.stripe_cents is not None else "-"
        click.echo(f"  {item.intent_id}: {item.problem} (ledger {ledger_amount}, Stripe {stripe_amount})")
    click.echo("No differences." if not differences else f"{len(differences)} difference(s).")
    return 1 if differences else 0


@click.command("reconcile")
@click.option("--date", "day", type=DATE, default=None, help="The day to compare (YYYY-MM-DD); today when left out.")
@click.pass_obj
def reconcile_command(mailer: Mailer, day: dt.datetime | None) -> None:
    """List every difference between the ledger's card/bank payments and Stripe's for one day (exit 1 if any)."""
    settings = Settings.from_env()
    raise SystemExit(asyncio.run(_reconcile(settings, day.date() if day else _today(settings), mailer)))


COMMANDS = [draft_run_command, reconcile_command]
