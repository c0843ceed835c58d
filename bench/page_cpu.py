"""CPU per request of one page, in process (no HTTP server, no load generator sharing the cores): the real app on the
load benchmark's seeded PostgreSQL city (`bench/load.py` seeds `portal_load`), signed in by emailed code as a person
of that role, the page fetched N times through an in-process ASGI client. Prints the process CPU per request beside
`/healthz`'s, and with --profile the functions where the time went (cProfile).

    .venv/bin/python bench/page_cpu.py                                  # the resident home, this checkout
    .venv/bin/python bench/page_cpu.py --code /tmp/before               # another checkout's code, same database
    .venv/bin/python bench/page_cpu.py --page /field --email tech1@riverton.example --profile
    .venv/bin/python bench/page_cpu.py --floor                          # also what a page doing nothing costs

--floor registers, in this process only, a signed-in page and a signed-in JSON POST (CSRF header, as the phone's
sync sends) that do nothing: the cost of the session, identity, CSRF, locale, kiosk, guard and response plumbing that
every page pays before its own work. No page of this stack can be cheaper than that floor.

CPU time is far steadier than requests/s on this shared machine (it counts this process only), but contention still
moves it by 10-20%: compare runs taken in turn."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from litestar import Request, Response, get, post  # the floor's routes resolve their hints from here

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/portal_load"


async def measure(args: argparse.Namespace) -> None:
    import asyncpg
    import httpx

    from portal.app import create_app

    app = create_app()
    if args.floor:
        register_floor(app)
    transport = httpx.ASGITransport(app=app)
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client:
        connection = await asyncpg.connect(args.url.replace("postgresql+asyncpg", "postgresql"))
        try:
            await connection.execute("DELETE FROM throttle_hit")  # earlier runs signed in many times
            await client.get("/signin")
            token = client.cookies["csrftoken"]
            await client.post("/signin/code", data={"email": args.email, "_csrf_token": token})
            body = await connection.fetchval(
                "SELECT text_body FROM mail_message WHERE to_addr = $1 ORDER BY id DESC LIMIT 1", args.email
            )
        finally:
            await connection.close()
        code = re.search(r"\b(\d{6})\b", body).group(1)
        await client.post("/signin/code/verify", data={"email": args.email, "code": code, "_csrf_token": token})
        for _ in range(50):  # the sign-in's one-time notices, caches, the pool
            answer = await client.get(args.page)
        if answer.status_code != 200:
            raise SystemExit(f"{args.page} answered {answer.status_code}")

        async def cpu_ms(path: str) -> float:
            started = time.process_time()
            for _ in range(args.n):
                await client.get(path)
            return 1000 * (time.process_time() - started) / args.n

        page, health = await cpu_ms(args.page), await cpu_ms("/healthz")
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        print(f"code {args.code}: {args.page} {page:.2f} ms CPU a request, /healthz {health:.2f} ms; load {load}")
        if args.floor:
            await floor(client, cpu_ms, page, health)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.n):
                await client.get(args.page)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(40)


def register_floor(app: Any) -> None:
    """Two routes that do nothing but what every signed-in request does before its handler's own work."""
    from portal.web import guards

    @get("/bench/floor", guards=[guards.signed_in], sync_to_thread=False)
    def page(request: Request) -> Response:
        return Response(
            f"<!doctype html><title>floor</title><p>{request.user.display_name}</p>", media_type="text/html"
        )

    @post("/bench/floor", guards=[guards.signed_in], sync_to_thread=False)
    def action(request: Request) -> Response:
        return Response({"answers": []})

    app.register(page)
    app.register(action)


async def floor(client: Any, cpu_ms: Any, page: float, health: float) -> None:
    """The floor beside the page and /healthz, taken in turn, and the same for the JSON POST."""
    empty_page = await cpu_ms("/bench/floor")
    headers = {"x-csrftoken": client.cookies["csrftoken"], "accept": "application/json"}
    answer = await client.post("/bench/floor", json={"actions": []}, headers=headers)
    if answer.status_code != 201:
        raise SystemExit(f"the floor's POST answered {answer.status_code}: {answer.text[:200]}")
    started = time.process_time()
    for _ in range(300):
        await client.post("/bench/floor", json={"actions": []}, headers=headers)
    empty_post = 1000 * (time.process_time() - started) / 300
    # The in-process client costs CPU too; /healthz pays it with nothing under it, so subtracting /healthz from each
    # leaves what the app does above a probe.
    print(
        f"floor: a signed-in page doing nothing {empty_page:.2f} ms, a signed-in JSON POST doing nothing "
        f"{empty_post:.2f} ms; above /healthz: the floor page {empty_page - health:.2f} ms, the page "
        f"{page - health:.2f} ms, the POST {empty_post - health:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--page", default="/my")
    parser.add_argument("--email", default="maria.resident@example.com")
    parser.add_argument("-n", type=int, default=300, help="requests measured")
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--floor", action="store_true", help="also measure a signed-in page and POST doing nothing")
    parser.add_argument("--sort", default="tottime", help="the profile's order: tottime or cumulative")
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))  # before the installed checkout: --code serves that code
    os.environ.update(
        DATABASE_URL=args.url,
        SECRET_KEY=secrets.token_hex(32),
        PUBLIC_URL="http://bench.local",
        SMTP_HOST="localhost",
        LOG_LEVEL="WARNING",
    )
    os.environ.pop("PORTAL_DEMO", None)
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
