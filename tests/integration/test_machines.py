"""Several machines on one PostgreSQL: `portal migrate` once, two `portal serve` instances (INSTANCES=2, photos in
S3 through moto's server), two `portal worker`s and an SMTP sink. Writes go through both instances as a balancer
would send them (field sync batches with mutation ids, photo uploads, counter payments), the jobs are queued twice
over; one instance is SIGKILLed mid-stream and one worker mid-run. Then: every acknowledged write is in the database
(and every acknowledged photo in the bucket), no job ran twice for a business date (the killed worker's run was taken
again once its claim went stale), and no message went out twice. docs/operations.md records a run's figures, and
why it once failed 2 runs in 6 (this process's tick judged staleness with 15 minutes, not the workers' 12 s).
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import email
import hashlib
import os
import re
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from portal.accounts.models import Role, WorkOrderKind
from tests.conftest import PG_URL

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.slow,
]

ROOT = Path(__file__).resolve().parents[2]
HELD_JOB = "deposits-check"
STALE_SECONDS = 12
SECRET = "machines-test-secret-0123456789abcdef0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpSink(socketserver.ThreadingTCPServer):
    """Just enough SMTP for smtplib (no STARTTLS on a port other than 587): keeps each message received."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.received: list[tuple[str, str]] = []
        self.lock = threading.Lock()


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: SmtpSink

    def handle(self) -> None:
        self.wfile.write(b"220 sink\r\n")
        while line := self.rfile.readline():
            verb = line.strip().split(b" ")[0].upper()
            if verb == b"DATA":
                self.wfile.write(b"354 go\r\n")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                message = email.message_from_bytes(body)
                with self.server.lock:
                    self.server.received.append((str(message["To"]), str(message["Subject"])))
                self.wfile.write(b"250 kept\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def sql(url: str, statement: str, **params: object) -> list[tuple]:
    async def go() -> list[tuple]:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                return [tuple(row) for row in await conn.execute(text(statement), params)]
        finally:
            await engine.dispose()

    return asyncio.run(go())


@pytest.fixture
def cluster_url() -> Iterator[str]:
    url = f"{PG_URL}_cluster"
    name = make_url(url).database

    async def fresh() -> None:
        admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            if not await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(fresh())
    yield url


@dataclass
class World:
    tech: str
    csr: str
    orders: list[int]
    account: tuple[int, str]


async def _arrange(url: str) -> World:
    """A technician with orders, a CSR, an account to pay on."""
    from portal.db import make_engine, make_sessionmaker
    from tests import factories
    from tests.field_world import make_field_order

    engine = make_engine(url)
    async with make_sessionmaker(engine)() as session, session.begin():
        tech = await factories.make_user(session, Role.FIELD, email="tech@riverton.example")
        csr = await factories.make_user(session, Role.CSR, email="csr@riverton.example")
        orders = [(await make_field_order(session, tech, WorkOrderKind.DISCONNECT)).id for _ in range(24)]
        account = await factories.make_account(session)
        found = World(tech.email, csr.email, orders, (account.id, account.number))
    await engine.dispose()
    return found


class Balancer:
    """One client (one cookie jar) spreading requests over the live instances, as a load balancer does; an instance
    that stops answering is taken out, and the caller decides whether to send again."""

    def __init__(self, ports: list[int]) -> None:
        self.live = [f"http://127.0.0.1:{port}" for port in ports]
        self.client = httpx.Client(timeout=20)
        self.turn = 0
        self.lock = threading.Lock()

    def pick(self) -> str:
        with self.lock:
            self.turn += 1
            return self.live[self.turn % len(self.live)]

    def drop(self, base: str) -> None:
        with self.lock:
            if base in self.live and len(self.live) > 1:
                self.live.remove(base)

    def request(self, method: str, path: str, **kwargs: object) -> httpx.Response | None:
        base = self.pick()
        try:
            return self.client.request(method, base + path, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError:
            self.drop(base)
            return None

    def csrf(self) -> str:
        if "csrftoken" not in self.client.cookies:
            self.request("GET", "/signin")
        return str(self.client.cookies["csrftoken"])

    def form(self, path: str, data: dict[str, str]) -> httpx.Response | None:
        return self.request("POST", path, data={**data, "_csrf_token": self.csrf()}, follow_redirects=False)


def sign_in(balancer: Balancer, url: str, address: str) -> None:
    response = balancer.form("/signin/code", {"email": address})
    assert response is not None and response.status_code in (302, 303), response and response.text
    (body,) = sql(url, "SELECT text_body FROM mail_message WHERE to_addr = :a ORDER BY id DESC LIMIT 1", a=address)[0]
    code = re.search(r"\b(\d{6})\b", body).group(1)  # type: ignore[union-attr]
    response = balancer.form("/signin/code/verify", {"email": address, "code": code})
    assert response is not None and response.status_code in (302, 303), response and response.text


def wait_for(check: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_instances_and_two_workers_survive_a_sigkill_each(
    cluster_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.server import ThreadedMotoServer

    from portal.jobs import runs as job_runs

    # The test's own tick (below) must judge staleness as the workers do.
    monkeypatch.setattr(job_runs, "STALE_AFTER", dt.timedelta(seconds=STALE_SECONDS))

    started = time.monotonic()
    moto_port = free_port()
    s3_server = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    s3_server.start()
    sink = SmtpSink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    hold = tmp_path / "hold"
    hold.mkdir()
    (hold / HELD_JOB).touch()
    ports = [free_port(), free_port()]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": cluster_url,
        "SECRET_KEY": SECRET,
        "PUBLIC_URL": "http://portal.test",
        "INSTANCES": "2",
        "PHOTO_STORE": f"s3://photos/city?endpoint=http://127.0.0.1:{moto_port}&region=us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(sink.server_address[1]),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "PORTAL_JOB_STALE_SECONDS": str(STALE_SECONDS),
        "PORTAL_TEST_JOB_HOLD": str(hold),
    }
    env.pop("PORTAL_DEMO", None)
    processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(name: str, *args: str) -> None:
        log = (tmp_path / f"{name}.log").open("wb")
        own = {**env, "LOG_LEVEL": "INFO"} if args[0] == "worker" else env  # a worker logs each run it finishes
        processes[name] = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "portal.cli", *args], cwd=ROOT, env=own, stdout=log, stderr=subprocess.STDOUT
        )

    try:
        import boto3

        s3 = boto3.client(
            "s3", endpoint_url=f"http://127.0.0.1:{moto_port}", region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )  # fmt: skip
        s3.create_bucket(Bucket="photos")
        migrated = subprocess.run(  # noqa: S603 - migrations once, before any instance starts
            [sys.executable, "-m", "portal.cli", "migrate"], cwd=ROOT, env=env, capture_output=True, check=False
        )
        assert migrated.returncode == 0, migrated.stderr.decode()
        world = asyncio.run(_arrange(cluster_url))
        for n, port in enumerate(ports):
            start(f"serve-{n}", "serve", "--port", str(port))
        start("worker-0", "worker")
        start("worker-1", "worker")

        def ready() -> bool:
            try:
                return all(httpx.get(f"http://127.0.0.1:{p}/readyz", timeout=2).status_code == 200 for p in ports)
            except httpx.TransportError:
                return False

        wait_for(ready, 40, "both instances ready")

        # The jobs: each run deferred twice (two deliveries racing on two workers), the held one among them.
        today = dt.datetime.now(ZoneInfo("America/Chicago")).date()
        wanted = [(job, today - dt.timedelta(days=back)) for back in range(3) for job in
                  ("extensions-check", "arrangements-check", "late-fees", "close-settled")]  # fmt: skip
        wanted += [(HELD_JOB, today), ("bill-run-cycle-1", dt.date(2026, 12, 3))]
        asyncio.run(_defer(cluster_url, wanted, copies=2))

        # The writes: a technician's phone and a cashier, through the balancer, while instance 0 is killed.
        tech, cashier = Balancer(ports), Balancer(ports)
        sign_in(tech, cluster_url, world.tech)
        sign_in(cashier, cluster_url, world.csr)
        response = cashier.form("/staff/drawer/open", {"opening_float": "100.00"})
        assert response is not None and response.status_code == 303
        acked_mutations: dict[str, int] = {}
        acked_photos: dict[str, str] = {}
        acked_receipts: list[int] = []
        unanswered = collections.Counter[str]()

        def phone() -> None:
            from tests.field_world import Phone
            from tests.unit.test_photos import jpeg

            device = Phone()
            for n, order_id in enumerate(world.orders):
                batch = device.batch(device.action("add_note", order_id, {"note": f"note {n}"}))
                while True:  # the phone sends the same batch (same mutation id) until it gets an answer
                    token = tech.csrf()
                    reply = tech.request("POST", "/field/sync", json=batch,
                                         headers={"x-csrftoken": token, "accept": "application/json"})  # fmt: skip
                    if reply is not None and reply.status_code in (200, 201):
                        answer = reply.json()["answers"][0]
                        assert answer["status"] in ("applied", "duplicate"), answer
                        acked_mutations[batch["mutations"][0]["mutation_id"]] = order_id
                        break
                    assert reply is None or reply.status_code >= 500, reply.text
                    unanswered["sync"] += 1
                    last["sync"] = None if reply is None else f"{reply.status_code} {reply.text[:300]}"
                if n % 3 == 0:
                    data = jpeg(640 + n, 480)
                    digest, client_id = hashlib.sha256(data).hexdigest(), str(uuid.uuid4())
                    while True:
                        token = tech.csrf()
                        reply = tech.request(
                            "PUT", f"/field/photos/{client_id}?order_id={order_id}&sha256={digest}", content=data,
                            headers={"x-csrftoken": token, "content-type": "image/jpeg", "accept": "application/json"},
                        )  # fmt: skip
                        if reply is not None and reply.status_code in (200, 201):
                            acked_photos[client_id] = digest
                            break
                        assert reply is None or reply.status_code >= 500, reply.text
                        unanswered["photo"] += 1
                        last["photo"] = None if reply is None else f"{reply.status_code} {reply.text[:300]}"

        def counter() -> None:
            account_id, number = world.account
            for n in range(16):
                reply = cashier.form(
                    "/staff/drawer/payments",
                    {"account_number": str(number), "account_id": str(account_id), "tender": "cash",
                     "amount": f"{10 + n}.25", "check_number": ""},
                )  # fmt: skip
                if reply is not None and reply.status_code == 303:
                    acked_receipts.append(int(reply.headers["location"].rsplit("/", 1)[1]))
                else:  # a cashier without a receipt looks the payment up before taking it again: not resent here
                    unanswered["payment"] += 1

        failures: list[BaseException] = []
        last: dict[str, str | None] = {}

        def guarded(body: Callable[[], None]) -> Callable[[], None]:
            def run() -> None:
                try:
                    body()
                except BaseException as exc:  # shown by the main thread
                    failures.append(exc)

            return run

        drivers = [threading.Thread(target=guarded(phone)), threading.Thread(target=guarded(counter))]
        for driver in drivers:
            driver.start()
        try:
            wait_for(lambda: len(acked_mutations) >= 6 or failures, 30, "the first writes")
        except AssertionError:
            raise AssertionError(f"no writes: {last}, {dict(unanswered)}") from None
        assert not failures, failures
        processes["serve-0"].send_signal(signal.SIGKILL)  # instance 0 dies mid-stream
        killed_instance_at = time.monotonic() - started

        # Worker kill: the worker holding the held run dies mid-run; its claim is taken again once stale.
        def held_by() -> int | None:
            rows = sql(cluster_url, "SELECT progress FROM job_run WHERE job = :j AND business_date = :d",
                       j=HELD_JOB, d=today)  # fmt: skip
            if rows and rows[0][0] and "pid " in rows[0][0]:
                return int(rows[0][0].rsplit("pid ", 1)[1].rstrip(")"))
            return None

        wait_for(lambda: held_by() is not None, 30, "the held run's heartbeat")
        victim = next(name for name, p in processes.items() if p.pid == held_by())
        ((attempts_at_kill,),) = sql(cluster_url, "SELECT attempts FROM job_run WHERE job = :j AND business_date = :d",
                                    j=HELD_JOB, d=today)  # fmt: skip
        processes[victim].send_signal(signal.SIGKILL)
        (hold / HELD_JOB).unlink()
        for driver in drivers:
            driver.join(60)
        assert not failures, failures
        time.sleep(STALE_SECONDS + 1)
        asyncio.run(_tick(cluster_url, env))  # the scheduler's tick: a stale claim is owed again as a retry
        wait_for(
            lambda: sql(cluster_url, "SELECT outcome FROM job_run WHERE job = :j AND business_date = :d",
                        j=HELD_JOB, d=today) == [("ok",)],
            30, "the held run taken again and finished",
        )  # fmt: skip

        def settled() -> bool:
            return not sql(cluster_url, "SELECT 1 FROM job_run WHERE outcome = 'running'") and not sql(
                cluster_url, "SELECT 1 FROM mail_message WHERE sent_at IS NULL AND error IS NULL"
            )

        wait_for(settled, 30, "every run finished and every message sent")

        # 1. No acknowledged write lost.
        applied = dict(sql(cluster_url, "SELECT mutation_id, status FROM sync_mutation"))
        assert all(applied.get(m) == "applied" for m in acked_mutations), "an acknowledged field action is missing"
        notes = sql(cluster_url, "SELECT id, result FROM work_order")
        per_order = {order_id: len((result or {}).get("notes", [])) for order_id, result in notes}
        assert all(per_order[o] == 1 for o in acked_mutations.values()), "a field action applied twice or not at all"
        stored = dict(sql(cluster_url, "SELECT client_id, storage_key FROM photo"))
        for client_id in acked_photos:
            body = s3.get_object(Bucket="photos", Key=f"city/{stored[client_id]}")["Body"].read()
            assert body[:2] == b"\xff\xd8"  # the re-encoded JPEG is in the shared bucket
        receipts = dict(sql(cluster_url, "SELECT source_key, amount_cents FROM ledger_entry WHERE kind = 'payment'"))
        assert all(f"receipt:{n}" in receipts for n in acked_receipts), "an acknowledged payment is missing"
        # 2. No job ran twice for a business date; the killed worker's run was taken again exactly once.
        runs = sql(cluster_url, "SELECT job, business_date, outcome, attempts FROM job_run")
        assert len({(job, day) for job, day, _o, _a in runs}) == len(runs)
        by_key = {(job, day): (outcome, attempts) for job, day, outcome, attempts in runs}
        # A run may first be a baseline row (a worker's minute tick on a new ledger records it skipped) that the
        # queued run takes again: so runs are counted from the workers' logs, one line per run that finished.
        finished = collections.Counter(
            (found.group(1), found.group(2))
            for name in ("worker-0", "worker-1")
            for found in re.finditer(r"job (\S+) for (\d{4}-\d\d-\d\d): (?:ok|failed|skipped)",
                                     (tmp_path / f"{name}.log").read_text())
        )  # fmt: skip
        assert all(count == 1 for count in finished.values()), finished
        assert all(finished[(job, day.isoformat())] == 1 for job, day in wanted), finished
        assert by_key[(HELD_JOB, today)] == ("ok", attempts_at_kill + 1)
        assert all(by_key[key][0] in ("ok", "skipped") for key in wanted), by_key
        # 3. No message sent twice: what the sink received is exactly the sent rows.
        sent = collections.Counter(
            (to, subject) for to, subject in sql(cluster_url, "SELECT to_addr, subject FROM mail_message")
        )
        assert collections.Counter(sink.received) == sent

        figures = (
            f"{len(acked_mutations)} field actions, {len(acked_photos)} photos, {len(acked_receipts)} payments "
            f"acknowledged ({dict(unanswered)} unanswered and sent again or left); instance killed at "
            f"{killed_instance_at:.1f} s; worker {victim} killed mid-run; {len(runs)} job runs, {len(wanted)} deferred "
            f"twice, the killed one retaken (attempt {attempts_at_kill + 1}); {len(sink.received)} messages, none twice; "
            f"{time.monotonic() - started:.1f} s in all"
        )
        print(figures)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        sink.shutdown()
        s3_server.stop()


async def _defer(url: str, wanted: list[tuple[str, dt.date]], copies: int) -> None:
    from portal.jobs import queue

    app = queue.make_app(queue.connector(url, min_size=1, max_size=2))
    async with app.open_async():
        for _ in range(copies):
            for job, day in wanted:  # no queueing lock: the copies really are two deliveries of one run
                await app.configure_task(queue.RUN).defer_async(
                    job=job, business_date=day.isoformat(), trigger="manual", requested_by="test"
                )


async def _tick(url: str, env: dict[str, str]) -> None:
    """What `portal.jobs.tick` does each minute, now rather than at the next minute: queue what is owed. With the
    workers' stale window (PORTAL_JOB_STALE_SECONDS): this process read its own (15 minutes) at import, and with it
    the tick found no stale claim, so the retake waited for a worker's own minute tick (the flaky 2 of 6)."""
    from portal import mail
    from portal.accounts.policy import current_policy
    from portal.db import make_engine, make_sessionmaker
    from portal.jobs import catalog, engine, queue, runs
    from portal.settings import Settings

    assert runs.STALE_AFTER == dt.timedelta(seconds=float(env["PORTAL_JOB_STALE_SECONDS"])), runs.STALE_AFTER

    settings = Settings(database_url=url, secret_key=SECRET, public_url="http://portal.test")
    db = make_engine(url)
    try:
        jobs_env = engine.Env(make_sessionmaker(db), settings, current_policy(), mail.OUTBOX, catalog.bodies())
        app = queue.make_app(queue.connector(url, min_size=1, max_size=2))
        async with app.open_async():
            for item in await engine.owed(jobs_env):
                if item.job == HELD_JOB or item.trigger == "retry":
                    await queue.defer_run(app, item.job, item.day, item.trigger, "job:schedule")
    finally:
        await db.dispose()
