"""Request ids, the request log line, /metrics behind its token, /readyz."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import structlog
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY

from portal import logs, metrics
from portal.accounts.models import Role
from portal.app import create_app
from tests.factories import make_user
from tests.http.behind_proxy import BALANCER, BehindProxy
from tests.http.helpers import sign_in

TOKEN = "scrape-token-0123456789abcdef0123456789"


async def test_every_response_carries_a_request_id_and_a_visitor_cannot_choose_it(client) -> None:
    first = await client.get("/healthz", headers={"X-Request-ID": "chosen-by-visitor"})
    second = await client.get("/no/such/page")
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert second.status_code == 404 and len(set(ids)) == 2 and "chosen-by-visitor" not in ids


async def test_a_trusted_proxy_passes_its_request_id_through(settings) -> None:
    app = create_app(replace(settings, trusted_proxies="10.0.0.0/24"))
    async with AsyncTestClient(app=BehindProxy(app, BALANCER), base_url="http://portal.test") as client:
        kept = await client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
        unsafe = await client.get("/healthz", headers={"X-Request-ID": "two\tfields"})
    assert kept.headers["x-request-id"] == "lb-7f3a.42"
    assert unsafe.headers["x-request-id"] != "two\tfields"


async def test_one_log_line_per_request_with_who_but_never_an_email(client, session) -> None:
    user = await make_user(session, Role.CUSTOMER, email="resident.log@riverton.example")
    await session.commit()
    await sign_in(client, session, user)
    with structlog.testing.capture_logs() as lines:
        response = await client.get("/my")
    [line] = [line for line in lines if line["event"] == "request"]
    assert line == {
        "event": "request",
        "log_level": "info",
        "method": "GET",
        "route": "customer.home",
        "status": response.status_code,
        "duration_ms": line["duration_ms"],
        "user_id": user.id,
        "role": "customer",
    }
    assert isinstance(line["duration_ms"], float)
    assert "riverton.example" not in repr(lines).lower()


async def test_the_request_id_is_in_every_line_the_request_logs_and_carries_into_later_work(client) -> None:
    seen: list[dict] = []
    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as lines:
        response = await client.get("/signin")
    [line] = [line for line in lines if line["event"] == "request"]
    assert line["request_id"] == response.headers["x-request-id"]

    with structlog.contextvars.bound_contextvars(request_id="abc123"):
        context = logs.carry()

    async def background() -> None:
        with logs.carried(context):
            seen.append(structlog.contextvars.get_contextvars())

    await asyncio.create_task(background())
    assert seen == [{"request_id": "abc123"}] and structlog.contextvars.get_contextvars() == {}


async def test_metrics_are_hidden_without_a_token_and_need_the_right_one(client, settings) -> None:
    assert (await client.get("/metrics")).status_code == 404
    app = create_app(replace(settings, metrics_token=TOKEN))
    async with AsyncTestClient(app=app, base_url="http://portal.test") as scraper:
        await scraper.get("/signin")
        assert (await scraper.get("/metrics")).status_code == 401
        wrong = await scraper.get("/metrics", headers={"Authorization": "Bearer " + TOKEN[:-1] + "x"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
        scraped = await scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    body = scraped.text
    assert 'portal_http_requests_total{method="GET",route="signin",status="200"}' in body
    assert "portal_http_request_duration_seconds_bucket" in body
    assert "portal_outbox_queued 0.0" in body and "portal_metrics_database_up 1.0" in body


async def test_job_figures_come_from_the_hook_the_job_engine_fills(client, settings) -> None:
    import datetime as dt

    async def figures(session):
        when = dt.datetime(2026, 12, 4, 6, 0, tzinfo=dt.UTC)
        return [metrics.JobRunFigure("late-fees", {"succeeded": 3, "failed": 1}, 12.5, when)]

    metrics.read_job_figures_with(figures)
    try:
        app = create_app(replace(settings, metrics_token=TOKEN))
        async with AsyncTestClient(app=app, base_url="http://portal.test") as scraper:
            body = (await scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text
    finally:
        metrics.read_job_figures_with(metrics.job_ledger_figures)
    assert 'portal_job_runs_total{job="late-fees",outcome="failed"} 1.0' in body
    assert 'portal_job_last_duration_seconds{job="late-fees"} 12.5' in body


async def test_job_figures_by_default_are_the_job_run_ledger(client, settings, session) -> None:
    import datetime as dt

    from portal.accounts.models import JobRun

    started = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
    session.add_all(
        [
            JobRun(
                job="late-fees",
                business_date=dt.date(2026, 12, 3),
                trigger="schedule",
                outcome="ok",
                started_at=started,
                finished_at=started + dt.timedelta(seconds=42),
            ),
            JobRun(
                job="late-fees",
                business_date=dt.date(2026, 12, 4),
                trigger="schedule",
                outcome="running",
                started_at=started,
            ),
            JobRun(
                job="draft-run",
                business_date=dt.date(2026, 12, 4),
                trigger="schedule",
                outcome="failed",
                started_at=started,
                finished_at=started + dt.timedelta(seconds=3),
                error="boom",
            ),
        ]
    )
    await session.commit()
    app = create_app(replace(settings, metrics_token=TOKEN))
    async with AsyncTestClient(app=app, base_url="http://portal.test") as scraper:
        body = (await scraper.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text
    assert 'portal_job_runs_total{job="late-fees",outcome="ok"} 1.0' in body
    assert 'portal_job_runs_total{job="draft-run",outcome="failed"} 1.0' in body
    assert 'portal_job_last_duration_seconds{job="late-fees"} 42.0' in body
    assert 'portal_job_running{job="late-fees"} 1.0' in body
    assert 'portal_job_last_success_timestamp_seconds{job="late-fees"} 1.796385642e+09' in body


def test_field_answers_are_counted_by_outcome_and_channel() -> None:
    def count(outcome: str) -> float:
        return (
            REGISTRY.get_sample_value("portal_field_sync_mutations_total", {"outcome": outcome, "channel": "phone"})
            or 0.0
        )

    before = count("applied"), count("rejected")
    metrics.count_sync_answers([{"status": "applied"}, {"status": "applied"}, {"status": "rejected"}], "phone")
    assert (count("applied"), count("rejected")) == (before[0] + 2, before[1] + 1)


async def test_ready_when_migrated_and_503_with_a_reason_when_not(client, settings, tmp_path) -> None:
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    empty = create_app(replace(settings, database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"))
    async with AsyncTestClient(app=empty, base_url="http://portal.test") as fresh:
        answer = await fresh.get("/readyz")
        alive = await fresh.get("/healthz")
    assert answer.status_code == 503 and answer.json()["status"] == "not ready"
    assert answer.json()["reason"].startswith("migrations not at head (database: none;")
    assert alive.status_code == 200  # alive, just not ready: the balancer waits instead of restarting it


async def test_production_logs_are_json_lines_and_never_carry_an_email_field(client, capsys) -> None:
    import json
    import logging

    capsys.readouterr()
    response = await client.get("/signin")
    logging.getLogger("portal.test").warning("from the standard library")
    logs.get("portal.test").info("careless", email="someone@riverton.example")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    request = next(line for line in lines if line["event"] == "request")
    assert request["request_id"] == response.headers["x-request-id"] and request["route"] == "signin"
    assert {"timestamp", "level", "logger"} <= set(request)
    assert any(line["event"] == "from the standard library" for line in lines)
    assert next(line for line in lines if line["event"] == "careless")["email"] == "[removed]"
