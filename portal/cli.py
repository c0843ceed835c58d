"""The `portal` command: demo, serve, migrate, seed, create-staff (and the jobs the other issues add)."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import click

from portal.settings import VAR_DIR, Settings


def _echo(message: str) -> None:
    click.echo(message)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Utility Portal: residents, field technicians and customer-service staff on one app."""
    from portal import mail

    # The jobs (`@click.pass_obj`) hand the outbox to the domain, which is given its Mailer and never imports mail.
    ctx.obj = mail.OUTBOX


@main.command()
def migrate() -> None:
    """Bring the database schema up to date (safe to run any time)."""
    from portal.migrate import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url)
    _echo("Database is up to date.")


async def _seed(settings: Settings, premises: int, seed: int, force: bool) -> bool:
    from portal.accounts.photos import store_from_setting
    from portal.db import make_engine, make_sessionmaker, transaction
    from portal.demo import city as seeding

    engine = make_engine(settings.database_url)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            if not force and not await seeding.is_empty(session):
                _echo("The database already has accounts: not seeding (use --force on an empty database only).")
                return False
            started = time.perf_counter()
            _echo(f"Seeding a city of {premises:,} premises...")
            # The utility's day, not the machine's: on a server in UTC, an evening in Chicago is already tomorrow, and
            # the seeded orders were due a day the technician's list had not reached ("0 orders" after 6 PM).
            rows = seeding.build(dt.datetime.now(ZoneInfo(settings.timezone)).date(), premises=premises, seed=seed)
            await seeding.load(session, rows, _echo, store_from_setting(settings.photo_store))
            _echo(f"Seeded in {time.perf_counter() - started:.1f} s.")
            return True
    finally:
        await engine.dispose()


async def _print_last_bill_run(settings: Settings, processes: int | None = None) -> None:
    """The seeded city's print batch of its last bill run, by the product's make_batch (portal/demo/printing.py);
    after the seed's commit, since make_batch reads and writes in its own transactions. Once: a batch made finds
    itself and does nothing."""
    from portal.db import make_engine, make_sessionmaker
    from portal.demo import printing

    engine = make_engine(settings.database_url)
    try:
        today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
        await printing.print_last_bill_run(make_sessionmaker(engine), settings, today, _echo, processes)
    finally:
        await engine.dispose()


def _print_in_background(settings: Settings) -> threading.Thread:
    """The demo serves at once; the print batch (some 250 pages, 10-30 s of layout on two cores) is made beside it
    and appears on /staff/print when done (the same function the print-batch job runs). Laid out in child processes
    (at least two), never in the app's own: a thread there would hold the GIL the app's requests need."""
    processes = max(2, min(4, os.cpu_count() or 1))

    def run() -> None:
        try:
            asyncio.run(_print_last_bill_run(settings, processes))
        except Exception as exc:  # the demo keeps serving; the print-batch job can make it later
            _echo(f"The demo's print batch was not made: {exc}")

    thread = threading.Thread(target=run, name="demo-print-batch", daemon=True)
    thread.start()
    return thread


@main.command()
@click.option("--premises", default=1500, show_default=True, help="How many premises (and accounts) to create.")
@click.option(
    "--seed", "seed_number", default=42, show_default=True, help="Random seed: the same number gives the same city."
)
@click.option("--force", is_flag=True, help="Seed even if accounts exist (ids may clash: for empty databases).")
def seed(premises: int, seed_number: int, force: bool) -> None:
    """Fill an empty database with realistic demo data (and the print batch of its last bill run)."""
    settings = Settings.from_env()
    if asyncio.run(_seed(settings, premises, seed_number, force)):
        asyncio.run(_print_last_bill_run(settings))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=1, show_default=True)
@click.option(
    "--server",
    type=click.Choice(["uvicorn", "granian"]),
    default="uvicorn",
    show_default=True,
    help="The ASGI server (docs/operations.md#the-server).",
)
def serve(host: str, port: int, workers: int, server: str) -> None:
    """Serve the app (configure with environment variables; see docs/operations.md)."""
    from portal import config, logs

    settings = config.settings_or_exit(workers=workers)  # a wrong configuration never binds the port
    logs.configure(settings.log_renderer, settings.log_level)
    if workers > 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        _prepare_multiprocess_metrics()
    # Forwarded headers count only from TRUSTED_PROXIES (the app applies the same rule to rate limits and audit rows):
    # uvicorn's own default would believe anyone connecting from 127.0.0.1.
    trusted = os.environ.get("TRUSTED_PROXIES", "").strip()
    if server == "granian":
        _serve_granian(host, port, workers)
        return
    import uvicorn

    uvicorn.run(
        "portal.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",  # uvloop and httptools: the C event loop and HTTP parser, about 1.5x the pure-Python pair
        http="httptools",
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        log_config=None,  # uvicorn's messages go through the portal's log format (portal/logs.py)
        access_log=False,  # one line per request comes from the app, with its request id
    )


def _serve_granian(host: str, port: int, workers: int) -> None:
    """Granian (Rust HTTP, the app on uvloop). It rewrites no forwarded headers: the app reads X-Forwarded-For
    against TRUSTED_PROXIES itself (portal/web/identity.client_ip), and links are built from PUBLIC_URL."""
    from granian.constants import Interfaces, Loops
    from granian.server import Server

    Server(
        "portal.app:create_app",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        loop=Loops.uvloop,
        websockets=False,
        factory=True,
        log_enabled=False,  # one line per request comes from the app; startup errors still reach stderr
    ).serve()


def _prepare_multiprocess_metrics() -> None:
    """Workers count into files in PROMETHEUS_MULTIPROC_DIR so a scrape of any one adds up all (portal/metrics.py).
    The folder must start empty: a given one is emptied, otherwise a fresh temporary one is made."""
    import tempfile

    from portal.metrics import MULTIPROC_ENV

    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()
    else:
        import atexit
        import shutil

        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="portal-metrics-")
        atexit.register(shutil.rmtree, os.environ[MULTIPROC_ENV], ignore_errors=True)


@main.command("check-config")
@click.option("--workers", default=1, show_default=True, help="As `portal serve --workers` would be given.")
def check_config(workers: int) -> None:
    """Print every setting, its value (secrets masked) and where it came from; exit 2 if serving would be refused."""
    from portal import config

    try:
        settings = config.from_env()
    except ValueError as exc:
        raise click.ClickException(f"A number setting (INSTANCES, SMTP_PORT) is not a whole number: {exc}") from exc
    rows = config.describe(settings, os.environ)
    width = max(len(row.name) for row in rows)
    for row in rows:
        _echo(f"{row.name:<{width}}  {row.value}  [{row.source}]")
    found = config.problems(settings, os.environ, workers)
    _echo("")
    if found:
        click.echo(config.refusal_message(found), err=True)
        sys.exit(config.EXIT_REFUSED)
    _echo("The configuration is complete: `portal serve` would start.")


def _port_free_or_exit(port: int) -> None:
    """A second demo (or anything else) on the port: say so plainly instead of uvicorn's bind error at the end."""
    import socket

    with socket.socket() as sock:
        # As uvicorn binds: connections of a demo just stopped (TIME_WAIT) do not hold the port, a listener does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise click.ClickException(
                f"Port {port} is in use (another demo?): stop it, or start this one with --port, e.g. --port {port + 1}."
            ) from exc


@main.command()
@click.option("--port", default=8000, show_default=True)
def demo(port: int) -> None:
    """One command for a fresh machine: migrate, seed a demo city, serve on http://localhost:PORT."""
    import uvicorn

    from portal.demo import twilio_stand_in
    from portal.demo.city import DEMO_PREMISES, PERSONAS
    from portal.demo.stripe_stand_in import start_for_demo
    from portal.migrate import upgrade

    _port_free_or_exit(port)  # before a minute of seeding, not after it
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["PORTAL_DEMO"] = "1"
    os.environ.setdefault("PUBLIC_URL", f"http://localhost:{port}")
    start_for_demo(port, _echo)  # a local Stripe stand-in when no STRIPE_API_KEY is set
    twilio_stand_in.start_for_demo(_echo)  # and a Twilio one when no TWILIO_ACCOUNT_SID is set
    # Stopped by SIGTERM, uvicorn raises it again once it has shut down; the signal's default action would skip atexit
    # and leave the stand-in running, so exit normally instead.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    from portal import config

    settings = config.settings_or_exit()  # demo mode: only what the demo cannot supply (policy numbers, formats)
    upgrade(settings.database_url)
    asyncio.run(_seed(settings, DEMO_PREMISES, 42, force=False))
    _print_in_background(settings)  # also on a later start, if the first one stopped before the batch was made
    url = f"http://localhost:{port}"
    _echo("")
    _echo(f"Utility Portal demo: {url}")
    _echo("Sign in at /signin with the demo buttons, as:")
    for key, (email, label) in PERSONAS.items():
        _echo(f"  {str(label):<40} {email}  ({key})")
    _echo(f"Sign-in codes and notices land in the demo mailbox: {url}/demo/mailbox")
    _echo("Passkeys work on http://localhost (browsers refuse them on 127.0.0.1).")
    _echo("")
    sys.stdout.flush()
    uvicorn.run(
        "portal.app:create_app", factory=True, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False
    )


@main.command("create-staff")
@click.argument("email")
@click.option("--name", required=True, help="Full name as colleagues know it.")
@click.option("--role", type=click.Choice(["field", "csr", "supervisor", "admin"]), required=True)
def create_staff(email: str, name: str, role: str) -> None:
    """Create a staff login; they sign in with an emailed code and then add a passkey."""
    from portal.accounts.actor import Actor
    from portal.accounts.errors import Conflict
    from portal.accounts.models import Role
    from portal.auth import services
    from portal.db import make_engine, make_sessionmaker, transaction

    async def run() -> None:
        engine = make_engine(Settings.from_env().database_url)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                user = await services.create_staff(session, Actor.cli("create-staff"), email, name, Role(role))
                _echo(f"Created {role} login {user.email} (id {user.id}). They sign in at /signin with an email code.")
        except Conflict as exc:
            raise click.ClickException(exc.message) from exc
        finally:
            await engine.dispose()

    asyncio.run(run())


@main.command()
@click.option(
    "--concurrency",
    type=click.IntRange(2, 32),
    default=2,
    show_default=True,
    help="Tasks at once (at least 2: the minute's tick never waits behind a long bill run).",
)
@click.pass_obj
def worker(mailer: object, concurrency: int) -> None:
    """Run the scheduled jobs (PostgreSQL, procrastinate): start one or more on any machines; each run happens once."""

    from portal import config, logs, mail
    from portal.accounts.messages import Mailer
    from portal.accounts.policy import current_policy
    from portal.db import make_engine, make_sessionmaker
    from portal.jobs import catalog, queue
    from portal.jobs.engine import Env

    settings = config.settings_or_exit()  # a worker refuses a wrong configuration as the app does
    logs.configure(settings.log_renderer, settings.log_level)  # each run's outcome in the worker's log lines
    if settings.is_sqlite:
        raise click.ClickException(
            "`portal worker` needs PostgreSQL; with SQLite the app runs the schedule itself (docs/operations.md)."
        )

    async def run() -> None:
        engine = make_engine(settings.database_url)
        env = Env(make_sessionmaker(engine), settings, current_policy(), cast("Mailer", mailer), catalog.bodies())
        app = queue.make_app(queue.connector(settings.database_url), lambda: env)
        try:
            async with app.open_async():
                _echo(f"Worker started ({concurrency} at once); the schedule is in docs/operations.md. Ctrl-C stops.")
                # The outbox's sender beside the queue: every worker sends, rows are claimed (portal/mail.py).
                sender = asyncio.create_task(mail.run_sender(env.maker, settings))
                try:
                    await app.run_worker_async(concurrency=concurrency, install_signal_handlers=True)
                finally:
                    sender.cancel()
        finally:
            await engine.dispose()

    asyncio.run(run())


@main.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(archive: Path) -> None:
    """Write the database (pg_dump or SQLite's backup) and every photo into one archive with a manifest."""
    from portal import backup

    settings = Settings.from_env()
    try:
        backup.backup(settings.database_url, settings.photo_store, archive, _echo)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Restore over a database that has accounts or users (replaces them).")
def restore_command(archive: Path, force: bool) -> None:
    """Restore a `portal backup` archive into DATABASE_URL (empty, at the same migration head) and PHOTO_STORE."""
    from portal import backup

    settings = Settings.from_env()
    try:
        backup.restore(settings.database_url, settings.photo_store, archive, force=force, echo=_echo)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--days", type=click.IntRange(1, 366), default=31, show_default=True)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="The first simulated day (default: tomorrow).")
@click.option("--seed-premises", type=int, default=300, show_default=True, help="Seed a city of this size when empty.")
@click.option("--yes", is_flag=True, help="Outside demo mode: yes, write a simulated month into DATABASE_URL.")
@click.pass_obj
def simulate(mailer: object, days: int, start: dt.datetime | None, seed_premises: int, yes: bool) -> None:
    """Run the job schedule over simulated days on a seeded city; check every job ran on its business days and
    nothing was charged or sent twice (exit 1 when not). It writes: use a scratch database."""

    from portal.accounts.messages import Mailer
    from portal.accounts.policy import current_policy
    from portal.db import make_engine, make_sessionmaker
    from portal.jobs import catalog
    from portal.jobs import simulate as simulation
    from portal.jobs.engine import Env

    settings = Settings.from_env()
    if not settings.demo and not yes:
        raise click.ClickException("simulate writes a month of jobs into DATABASE_URL: use a scratch database, --yes")
    first = start.date() if start else dt.datetime.now(ZoneInfo(settings.timezone)).date() + dt.timedelta(days=1)
    asyncio.run(_seed(settings, seed_premises, 42, force=False))

    async def run() -> simulation.Report:
        engine = make_engine(settings.database_url)
        try:
            env = Env(make_sessionmaker(engine), settings, current_policy(), cast("Mailer", mailer), catalog.bodies())
            return await simulation.simulate(env, first, days, _echo)
        finally:
            await engine.dispose()

    try:
        report = asyncio.run(run())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in report.lines():
        _echo(line)
    if not report.ok:
        sys.exit(1)


# Each side adds its jobs (bill-run, draft-run, cutoff-list...) as click commands in `portal/<side>/commands.py`,
# listed in that module's COMMANDS; they appear here as `portal <name>`.
SIDE_COMMANDS = (
    "portal.accounts.commands",
    "portal.billing.commands",
    "portal.customer.commands",
    "portal.field.commands",
    "portal.payments.commands",
    "portal.staff.commands",
    "portal.mail_commands",
)


def _register_side_commands() -> None:
    for module_name in SIDE_COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        for command in getattr(module, "COMMANDS", []):
            main.add_command(command)


_register_side_commands()

if __name__ == "__main__":
    main()
