"""Static assets served as assets (docs/operations.md#static-assets): every file read and compressed once at
start-up (gzip and brotli), then answered from memory with a minimal header set. A content-hashed URL
(`/static/css/app.3f2a1b9c0d.css`, from `Assets.url`) is cacheable for a year and immutable; the plain name
(`/static/css/app.css`) answers too, revalidated by its ETag, for anything that names a file without its hash.

It sits in front of the app (`StaticFirst`), so an asset never passes the session, identity, CSRF or compression
layers: no cookie, no CSP, no per-request gzip, no database."""

from __future__ import annotations

import gzip
import mimetypes
import time
from collections.abc import Iterable
from dataclasses import dataclass

import brotli
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal import metrics
from portal.web.assets import Assets

PREFIX = "/static/"
IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"public, no-cache"
# Text compresses; PNGs and the like are compressed already.
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/manifest+json", "image/svg+xml")
MIN_SIZE = 256  # below this a compressed body plus its header saves nothing

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/manifest+json", ".webmanifest")


@dataclass(frozen=True)
class StaticFile:
    content_type: str
    etag: bytes
    plain: bytes
    gzip: bytes | None
    br: bytes | None


# Compressed bodies by content digest: brotli at quality 11 is most of an app's start-up, and a process that builds
# several apps (the test suite builds one per test) compresses each file's content once.
_SQUEEZED: dict[str, tuple[bytes, bytes]] = {}


def _squeezed(digest: str, data: bytes) -> tuple[bytes, bytes]:
    found = _SQUEEZED.get(digest)
    if found is None:
        found = _SQUEEZED[digest] = (gzip.compress(data, compresslevel=9, mtime=0), brotli.compress(data, quality=11))
    return found


def load(assets: Assets) -> dict[str, tuple[StaticFile, bool]]:
    """Every asset by the path after /static/: its hashed name (immutable) and its plain name (revalidated)."""
    table: dict[str, tuple[StaticFile, bool]] = {}
    for name, digest in assets.hashes.items():
        data = (assets.root / name).read_bytes()
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind.endswith(("javascript", "json", "+xml")):
            kind += "; charset=utf-8"
        squeeze = kind.startswith(COMPRESSIBLE) and len(data) >= MIN_SIZE
        zipped, broken = _squeezed(digest, data) if squeeze else (None, None)
        found = StaticFile(
            content_type=kind,
            etag=f'"{digest}"'.encode(),
            plain=data,
            gzip=zipped if zipped is not None and len(zipped) < len(data) else None,
            br=broken if broken is not None and len(broken) < len(data) else None,
        )
        table[assets.hashed_name(name)] = (found, True)
        table[name] = (found, False)
    return table


def _accepts(headers: Iterable[tuple[bytes, bytes]]) -> tuple[set[str], bytes | None]:
    encodings: set[str] = set()
    if_none_match = None
    for key, value in headers:
        if key == b"accept-encoding":
            for part in value.decode("latin-1").split(","):
                token, _, params = part.strip().partition(";")
                if params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
                    encodings.add(token.strip().lower())
        elif key == b"if-none-match":
            if_none_match = value
    return encodings, if_none_match


class StaticApp:
    def __init__(self, assets: Assets) -> None:
        self.table = load(assets)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        method = scope.get("method", "GET")
        entry = self.table.get(path[len(PREFIX) :]) if path.startswith(PREFIX) else None
        if method not in ("GET", "HEAD"):
            await _answer(send, 405, [(b"allow", b"GET, HEAD")], b"")
            return
        if entry is None:
            await _answer(send, 404, [(b"content-type", b"text/plain; charset=utf-8")], b"Not found")
            return
        found, immutable = entry
        encodings, if_none_match = _accepts(scope.get("headers", []))
        headers = [
            (b"cache-control", IMMUTABLE if immutable else REVALIDATE),
            (b"etag", found.etag),
            (b"x-content-type-options", b"nosniff"),
        ]
        if found.gzip is not None or found.br is not None:
            headers.append((b"vary", b"Accept-Encoding"))
        if if_none_match is not None and found.etag in [v.strip() for v in if_none_match.split(b",")]:
            await _answer(send, 304, headers, b"")
            return
        body = found.plain
        if found.br is not None and "br" in encodings:
            body = found.br
            headers.append((b"content-encoding", b"br"))
        elif found.gzip is not None and "gzip" in encodings:
            body = found.gzip
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-type", found.content_type.encode()))
        await _answer(send, 200, headers, b"" if method == "HEAD" else body, length=len(body))


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, length: int = -1) -> None:
    size = len(body) if length < 0 else length
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(size).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


class StaticFirst:
    """In front of the whole app: a request under /static/ is answered here and never reaches the router, the
    middleware (session, identity, CSRF, compression) or the before-send hooks; it is still counted in the metrics
    (route "static"). Everything else goes on to the app."""

    def __init__(self, static: StaticApp, app: ASGIApp) -> None:
        self.static = static
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(PREFIX):
            started = time.perf_counter()
            status = 500

            async def counted(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await self.static(scope, receive, counted)
            finally:
                method = str(scope.get("method", ""))
                metrics.count_request(
                    "static", method if method in ("GET", "HEAD") else "OTHER", status, time.perf_counter() - started
                )
            return
        await self.app(scope, receive, send)
