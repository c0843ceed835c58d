"""Structured logs (structlog): one JSON object a line in production, readable lines in the demo and in debug.

Everything goes through the standard library's root logger, so the portal's own `logging.getLogger(...)` calls,
uvicorn's and SQLAlchemy's messages come out in the same format as structlog's events, and every line carries the
context bound with `structlog.contextvars` (the request id, from portal/web/observe.py).

Carrying the request id into background work: an `asyncio` task started during a request inherits the context by
itself. Work that runs elsewhere (a job queued for a worker process, a thread pool) takes `carry()` with it and
runs under `carried(context)`:

    job.defer(order_id=..., log_context=logs.carry())         # in the request
    with logs.carried(log_context): ...                       # in the job
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import structlog

# Fields no log line may carry (docs/security.md): they are dropped wherever they come from.
NEVER_LOGGED = frozenset(
    {"password", "sign_in_code", "card", "card_number", "account_number", "routing_number", "email", "token", "secret"}
)


def _drop_never_logged(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    for key in NEVER_LOGGED.intersection(event):
        event[key] = "[removed]"
    return event


SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _drop_never_logged,
]


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (test runners and click swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure(renderer: str = "json", level: str = "INFO") -> None:
    """Route structlog and the standard library into one handler on stderr; safe to call again (it replaces its own
    handler, never another's)."""
    structlog.configure(
        processors=[*SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,  # structlog.testing.capture_logs must still see the loggers
    )
    final: Any = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if renderer == "console"
        else structlog.processors.JSONRenderer()
    )
    # JSON turns a traceback into a string field; the console renderer prints it as it is.
    steps: list[Any] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if renderer == "json":
        steps.append(structlog.processors.format_exc_info)
    formatter = structlog.stdlib.ProcessorFormatter(foreign_pre_chain=SHARED, processors=[*steps, final])
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Each request is logged once by portal/web/observe.py; uvicorn's access line would repeat it without the id.
    logging.getLogger("uvicorn.access").disabled = True
    # weasyprint says "Step 5 - Creating layout - Page N" at INFO for every page: a print batch laid out in the app
    # (the demo, SQLite's in-process jobs) would write a line per page.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    # The Twilio SDK logs every request's headers and body at INFO (phone numbers and message text included): the
    # outbox logs each text it sends once, with its id, so the SDK's own lines are kept to warnings.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


def get(name: str) -> Any:
    return structlog.stdlib.get_logger(name)


def carry() -> dict[str, Any]:
    """The log context of this moment (request id, user), to hand to work that runs later or elsewhere."""
    return dict(structlog.contextvars.get_contextvars())


@contextmanager
def carried(context: Mapping[str, Any] | None) -> Iterator[None]:
    """Run a block with a carried log context bound, restoring the previous one afterwards."""
    with structlog.contextvars.bound_contextvars(**dict(context or {})):
        yield
