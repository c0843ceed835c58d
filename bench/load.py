"""The cost of one request under load: `portal serve --workers 2` on PostgreSQL with the seeded city, driven by wrk.

Prints, for 20 and 100 concurrent users: requests/s and p50/p95/p99 for /healthz, the resident home, a bill page,
the field list and a staff search, each page's ratio to /healthz in the same run, and the load average before and
after. Every page is fetched signed in as its role (cookies from a real code sign-in), so each request does the work
a person's does: session, identity, CSRF, queries, template.

    .venv/bin/python bench/load.py                          # seed a fresh city in portal_load, then measure
    .venv/bin/python bench/load.py --reuse                  # the city already seeded: measure only
    .venv/bin/python bench/load.py --reuse --code DIR       # serve another checkout's code (before and after)
    .venv/bin/python bench/load.py --reuse --server granian # the same run on granian instead of uvicorn
    .venv/bin/python bench/load.py --reuse --server uvicorn,granian --rounds 3 --pages healthz,home
                                                            # the servers taken in turn, three times, in one run

Needs wrk (Debian: apt-get install wrk). The load generator shares the machine's two cores with the server, as a
proxy in front of it would."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import free_port, fresh_database, loadavg, start_server, tree_cpu_seconds, wait_ready  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/portal_load"
RESIDENT = "maria.resident@example.com"
TECHNICIAN = "tech1@riverton.example"
CSR = "csr1@riverton.example"
REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\n@@{"requests":%d,"seconds":%.3f,"errors":%d,"bad_status":%d,'
    .. '"p50":%.2f,"p95":%.2f,"p99":%.2f}\\n', summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


async def cookies_for(base: str, url: str, email: str) -> str:
    """A real sign-in by emailed code (read from the outbox table), as bench/sync.py does."""
    import asyncpg

    async with httpx.AsyncClient(base_url=base) as client:
        await client.get("/signin")
        token = client.cookies["csrftoken"]
        sent = await client.post("/signin/code", data={"email": email, "_csrf_token": token})
        assert sent.status_code in (302, 303), (sent.status_code, sent.text[:300])
        connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
        try:
            body = await connection.fetchval(
                "SELECT text_body FROM mail_message WHERE to_addr = $1 ORDER BY id DESC LIMIT 1", email
            )
        finally:
            await connection.close()
        code = re.search(r"\b(\d{6})\b", body).group(1)
        answer = await client.post("/signin/code/verify", data={"email": email, "code": code, "_csrf_token": token})
        assert answer.status_code in (302, 303), answer.text[:300]
        for _ in range(2):  # the first pages consume the sign-in's one-time notices: measure the steady session
            await client.get(answer.headers["location"])
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


async def targets(base: str, url: str) -> list[tuple[str, str, str | None]]:
    """(label, path, cookie header) for each page measured."""
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await connection.execute("DELETE FROM throttle_hit")  # this database's earlier runs signed in many times
        resident, technician, csr = [await cookies_for(base, url, e) for e in (RESIDENT, TECHNICIAN, CSR)]
        bill_id = await connection.fetchval(
            "SELECT b.id FROM bill b JOIN user_account ua ON ua.account_id = b.account_id "
            "JOIN app_user u ON u.id = ua.user_id WHERE u.email = $1 ORDER BY b.id DESC LIMIT 1",
            RESIDENT,
        )
    finally:
        await connection.close()
    return [
        ("/healthz", "/healthz", None),
        ("resident home", "/my", resident),
        ("bill page", f"/my/bills/{bill_id}", resident),
        ("field list", "/field", technician),
        ("staff search", "/staff/accounts?q=Oak", csr),
    ]


def run_wrk(base: str, path: str, cookie: str | None, users: int, seconds: int, script: str) -> dict[str, float]:
    command = ["wrk", f"-t{min(2, users)}", f"-c{users}", f"-d{seconds}s", "--timeout", "10s", "-s", script]
    command += ["-H", "Accept-Encoding: gzip, br"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*command, base + path], capture_output=True, text=True, check=True).stdout
    found = json.loads(out.split("@@", 1)[1].strip())
    found["rps"] = found["requests"] / found["seconds"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="the database is seeded already")
    parser.add_argument("--users", default="20,100", help="concurrent users, comma-separated")
    parser.add_argument("--seconds", type=int, default=10, help="per page and user count")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server", default="uvicorn", help="uvicorn, granian, or both comma-separated (taken in turn)")
    parser.add_argument("--rounds", type=int, default=1, help="how many times each server is measured, in turn")
    parser.add_argument("--pages", default="", help="labels to measure (first words, comma-separated); all if empty")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose code is served")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    if not args.reuse:
        print(f"Seeding a fresh city into {args.url} ...", flush=True)
        asyncio.run(fresh_database(args.url))
        env = {**os.environ, "DATABASE_URL": args.url}
        seed = [sys.executable, "-c", "from portal.cli import main; main()", "seed"]
        subprocess.run(seed, env=env, cwd=ROOT, check=True)
    servers = [name.strip() for name in args.server.split(",")]
    if not set(servers) <= {"uvicorn", "granian"}:
        raise SystemExit("--server takes uvicorn, granian or both")
    wanted = [p.strip() for p in args.pages.split(",") if p.strip()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(REPORT)
    totals: dict[tuple[str, str, int], list[float]] = {}
    cpu_totals: dict[tuple[str, str, int], list[float]] = {}
    for round_number in range(1, args.rounds + 1):
        for kind in servers:
            measure_server(kind, args, script.name, wanted, (totals, cpu_totals), round_number)
    if args.rounds > 1 or len(servers) > 1:
        print("\nmedians over the rounds: req/s (each round), server CPU ms a request (each round)")
        for key, values in totals.items():
            kind, label, users = key
            cpu = sorted(cpu_totals[key])
            values = sorted(values)
            print(
                f"{kind:<8} {label:<14} {users:>5} {values[len(values) // 2]:>8.0f} "
                f"({', '.join(f'{v:.0f}' for v in values)})  {cpu[len(cpu) // 2]:.2f} "
                f"({', '.join(f'{v:.2f}' for v in cpu)})"
            )


def measure_server(
    kind: str,
    args: argparse.Namespace,
    script: str,
    wanted: list[str],
    both_totals: tuple[dict[tuple[str, str, int], list[float]], dict[tuple[str, str, int], list[float]]],
    round_number: int,
) -> None:
    totals, cpu_totals = both_totals
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(kind, args.url, port, args.workers, args.code.resolve())
    try:
        asyncio.run(wait_ready(base, server))
        pages = asyncio.run(targets(base, args.url))
        if wanted:
            pages = [page for page in pages if page[0].lstrip("/").split()[0] in wanted]
        print(
            f"\n{kind}, --workers {args.workers}, round {round_number}, code {args.code}, {args.seconds} s a page; "
            f"load {loadavg()}"
        )
        print(
            f"{'page':<14} {'users':>5} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'x healthz':>9} "
            f"{'cpu ms':>6} bad"
        )
        for users in [int(u) for u in args.users.split(",")]:
            health = 0.0
            for label, path, cookie in pages:
                run_wrk(base, path, cookie, users, 2, script)  # warm up: connections, caches, JIT-less paths
                cpu_before = tree_cpu_seconds(server.pid)
                got = run_wrk(base, path, cookie, users, args.seconds, script)
                cpu_ms = 1000 * (tree_cpu_seconds(server.pid) - cpu_before) / max(1, got["requests"])
                cpu_totals.setdefault((kind, label, users), []).append(cpu_ms)
                health = got["rps"] if path == "/healthz" else health
                ratio = got["rps"] / health if health else 0.0
                totals.setdefault((kind, label, users), []).append(got["rps"])
                print(
                    f"{label:<14} {users:>5} {got['rps']:>8.0f} {got['p50']:>7.1f} {got['p95']:>7.1f} "
                    f"{got['p99']:>7.1f} {ratio:>9.2f} {cpu_ms:>6.2f} {got['bad_status'] + got['errors']}",
                    flush=True,
                )
        print(f"load after: {loadavg()}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
