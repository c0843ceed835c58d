"""The application factory: one Litestar app serving residents, technicians and staff from one database."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.template import TemplateConfig
from litestar.types import ControllerRouterHandler

from portal import config, logs, mail
from portal.auth.screens import ROUTES as AUTH_ROUTES
from portal.customer.screens import ROUTES as CUSTOMER_ROUTES
from portal.db import make_engine, make_sessionmaker
from portal.field.screens import ROUTES as FIELD_ROUTES
from portal.mail_routes import ROUTES as MAIL_ROUTES
from portal.payments.routes import ROUTES as PAYMENT_ROUTES
from portal.settings import Settings
from portal.sms_routes import ROUTES as SMS_ROUTES
from portal.staff.screens import ROUTES as STAFF_ROUTES
from portal.web import deps, errors, observe, pages, params, photo_routes, static_files, templating
from portal.web.assets import Assets
from portal.web.identity import CsrfRotation, IdentityMiddleware, parse_trusted_proxies
from portal.web.kiosk import KioskMiddleware
from portal.web.middleware import LocaleMiddleware, SecurityHeaders, content_security_policy
from portal.web.sessions import QuietCookieConfig

log = logging.getLogger("portal")

# Signed webhooks prove themselves with their signature; they are the only routes without a CSRF token.
# The public outage page is GET only and sets no cookie, so a shared cache may keep a visitor's copy; it still reads
# the session, so a signed-in resident sees it in their own language with their own menu (never cached).
# What the browser fetches on its own (the worker script, the manifest, the worker's offline page) sets no cookie: it
# runs beside the visitor's first form page, and a CSRF cookie landing after that page's own would void its token.
CSRF_EXEMPT = ["/payments/webhook", "^/outages$", "^/offline$", "^/sw.js$", "^/manifest.webmanifest$"]


def _key(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def create_app(settings: Settings | None = None) -> Litestar:
    # Read from the environment (uvicorn's factory call, every worker): a wrong configuration stops here, with a
    # message (portal/config.py). Settings handed in were built on purpose (tests, benchmarks).
    settings = settings or config.settings_or_exit()
    logs.configure(settings.log_renderer, settings.log_level)
    deps.resolve_dependencies_in_turn()
    parse_trusted_proxies(settings.trusted_proxies)  # a mistyped TRUSTED_PROXIES stops the start, not a request
    assets = Assets()
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)
    db_config = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_maker=sessionmaker,
        before_send_handler="autocommit_include_redirects",
        session_dependency_key="db_session",
        create_all=False,
    )
    templates = templating.make_engine(settings, assets)
    template_config = TemplateConfig(engine=templates)
    sessions = QuietCookieConfig(
        secret=_key(settings.secret_key, "session"),
        key="portal_session",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_max_age,
        exclude=["/sw.js", "/manifest.webmanifest", *observe.PROBE_PATHS],
    )
    stripe_origins = [o for o in {_origin(settings.stripe_js_url)} if o]
    csp = content_security_policy(
        extra_script=[assets.import_map_csp_hash, assets.boot_script_csp_hash, *stripe_origins],
        extra_frame=stripe_origins + (["https://hooks.stripe.com"] if "stripe.com" in settings.stripe_js_url else []),
        extra_connect=[o for o in {_origin(settings.stripe_api_base) or "https://api.stripe.com"} if o],
    )

    csrf_config = CSRFConfig(
        secret=_key(settings.secret_key, "csrf").hex(),
        cookie_secure=settings.secure_cookies,
        cookie_samesite="lax",
        exclude=CSRF_EXEMPT,
    )

    route_handlers: list[ControllerRouterHandler] = [
        *AUTH_ROUTES,
        *pages.ROUTES,
        *CUSTOMER_ROUTES,
        *FIELD_ROUTES,
        *PAYMENT_ROUTES,
        *SMS_ROUTES,
        *MAIL_ROUTES,
        *STAFF_ROUTES,
        *observe.ROUTES,
        *photo_routes.ROUTES,
    ]
    if settings.demo:
        # Demo code is imported in demo mode only: production never loads it (tests/unit/test_layers.py).
        from portal.demo import signin as demo_signin

        demo_signin.install(route_handlers, templates)

    @contextlib.asynccontextmanager
    async def mail_sender(app: Litestar) -> AsyncIterator[None]:
        """The outbox's sender in this process where the jobs run in process too (SQLite, the demo); on PostgreSQL
        `portal worker` runs it beside the job queue (portal/mail.py)."""
        if not settings.jobs_in_process:
            yield
            return
        task = asyncio.create_task(mail.run_sender(sessionmaker, settings))
        try:
            yield
        finally:
            task.cancel()

    @contextlib.asynccontextmanager
    async def job_runner(app: Litestar) -> AsyncIterator[None]:
        """The schedule in this process when the database is SQLite (no procrastinate there); "run now" goes here
        too. On PostgreSQL `portal worker`s run the jobs and "run now" queues the run for them."""
        if not settings.is_sqlite:
            from portal.jobs.queue import QueueDispatcher

            app.state.jobs = QueueDispatcher(settings.database_url)
            yield
            return
        from portal.accounts.policy import current_policy
        from portal.jobs import catalog
        from portal.jobs.engine import Env, InProcessRunner

        runner = InProcessRunner(Env(sessionmaker, settings, current_policy(), mail.OUTBOX, catalog.bodies()))
        app.state.jobs = runner
        task = asyncio.create_task(runner.loop()) if settings.jobs_in_process else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
            await runner.idle()

    params.bound_int_path_params()  # before the routes are built: an id no row can have is a 404, not a 500
    app = Litestar(
        route_handlers=route_handlers,
        dependencies=deps.app_dependencies(settings),
        plugins=[SQLAlchemyPlugin(config=db_config)],
        template_config=template_config,
        logging_config=None,  # portal/logs.py formats every log line; Litestar's own config would replace it
        csrf_config=csrf_config,
        middleware=[
            sessions.middleware,
            DefineMiddleware(
                IdentityMiddleware,
                exclude=[
                    "^/sw.js",
                    "^/manifest.webmanifest",
                    *(f"^{path}" for path in observe.PROBE_PATHS),
                ],
            ),
            DefineMiddleware(LocaleMiddleware),
            DefineMiddleware(KioskMiddleware),  # after identity: it needs the signed-in person
        ],
        compression_config=CompressionConfig(backend="gzip", minimum_size=500, gzip_compress_level=6),
        before_send=[SecurityHeaders(csp=csp, hsts=settings.secure_cookies), CsrfRotation(csrf_config)],
        exception_handlers=errors.HANDLERS,
        before_request=params.refuse_nul,
        lifespan=[mail_sender, job_runner],
        debug=settings.debug,
        openapi_config=None,
    )
    app.state.settings = settings
    app.state.assets = assets
    app.state.sessionmaker = sessionmaker
    app.state.engine = engine
    observe.install(app, settings.trusted_proxies)  # request ids, request log lines and metrics
    # Assets in front of everything: read and compressed once, no session, cookie or CSP (portal/web/static_files.py)
    app.asgi_handler = static_files.StaticFirst(static_files.StaticApp(assets), app.asgi_handler)
    return app
