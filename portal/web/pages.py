"""Routes that belong to no side: the language switch, the service worker, the web app manifest, health."""

from __future__ import annotations

import json

from litestar import Request, Response, get
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from portal import i18n
from portal.web.deps import FromPath, FromQuery

from .assets import Assets
from .identity import safe_next, token_without_cookie
from .middleware import LANG_COOKIE
from .urls import url

# What the service worker keeps for offline use: the shell every page needs. The field side adds its own.
SHELL_ASSETS = ["css/app.css", "js/app.js", "js/passkey.js", "icons/icon.svg", "icons/icon-192.png"]
# The pages set no cookie (outside the CSRF middleware, portal/app.py says why).
SHELL_PAGES = ["/offline"]


@get("/lang/{code:str}", name="language")
async def switch_language(request: Request, code: FromPath[str], next: FromQuery[str | None] = None) -> Redirect:
    code = code if code in i18n.SUPPORTED else i18n.DEFAULT
    referer_path = None
    referer = request.headers.get("referer", "")
    if referer.startswith(str(request.base_url).rstrip("/")):
        referer_path = referer[len(str(request.base_url).rstrip("/")) :] or "/"
    target = safe_next(next or referer_path, url(request, "landing"))
    return Redirect(
        target,
        cookies=[Cookie(key=LANG_COOKIE, value=code, max_age=365 * 24 * 3600, samesite="lax", httponly=False)],
    )


@get("/offline", name="offline")
async def offline_page(request: Request) -> Template:
    token_without_cookie(request)
    return Template("offline.html")


@get("/sw.js", include_in_schema=False, name="service_worker")
async def service_worker(request: Request) -> Response:
    assets: Assets = request.app.state.assets
    precache = [assets.url(name) for name in SHELL_ASSETS if name in assets.hashes] + SHELL_PAGES
    source = (assets.root / "js" / "sw.js").read_text()
    header = f"const VERSION = {json.dumps(assets.version)};\nconst PRECACHE = {json.dumps(precache)};\n"
    return Response(
        header + source,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@get("/manifest.webmanifest", include_in_schema=False, name="manifest")
async def manifest(request: Request) -> Response:
    assets: Assets = request.app.state.assets
    settings = request.app.state.settings
    body = {
        "name": settings.utility_name,
        "short_name": "Utilities",
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b4f6c",
        "lang": i18n.current(),
        "icons": [
            {"src": assets.url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": assets.url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": assets.url("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {"src": assets.url("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return Response(body, media_type="application/manifest+json", headers={"Cache-Control": "public, max-age=3600"})


@get("/healthz", include_in_schema=False, name="health")
async def health() -> dict[str, str]:
    """Alive: the process answers. Cheap on purpose (no database): readiness is /readyz (portal/web/observe.py)."""
    return {"status": "ok"}


ROUTES = [switch_language, offline_page, service_worker, manifest, health]
