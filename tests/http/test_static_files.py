"""Assets served as assets (portal/web/static_files.py): hashed URLs cached for a year, compressed once (brotli,
gzip), a minimal header set with no cookie and no CSP, revalidation by ETag, and nothing else under /static."""

from __future__ import annotations

import re

from portal.web.assets import Assets


async def _css_url(client) -> str:
    page = await client.get("/signin")
    found = re.search(r'href="(/static/css/app\.[0-9a-f]{10}\.css)"', page.text)
    assert found, "the stylesheet's hashed URL is on the page"
    return found.group(1)


async def test_a_hashed_asset_is_immutable_compressed_once_and_carries_no_cookie(client) -> None:
    url = await _css_url(client)
    plain = (Assets().root / "css" / "app.css").read_bytes()
    for accept in ("br", "gzip", "identity"):
        answer = await client.get(url, headers={"Accept-Encoding": accept})  # the client decodes what it is sent
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.headers["content-type"] == "text/css; charset=utf-8"
        assert answer.headers.get("content-encoding") == (None if accept == "identity" else accept)
        assert answer.headers["vary"] == "Accept-Encoding"
        assert answer.content == plain
        sent = int(answer.headers["content-length"])
        assert sent == len(plain) if accept == "identity" else sent < len(plain) / 3, (accept, sent)
        # Only what an asset needs: no session or CSRF cookie, no CSP, no per-person cache rule.
        assert "set-cookie" not in answer.headers and "content-security-policy" not in answer.headers
        assert set(answer.headers) <= {
            "cache-control",
            "etag",
            "x-content-type-options",
            "vary",
            "content-encoding",
            "content-type",
            "content-length",
        }, answer.headers


async def test_a_plain_name_revalidates_and_an_etag_match_is_a_304(client) -> None:
    hashed = await client.get(await _css_url(client))
    plain = await client.get("/static/css/app.css")
    assert plain.status_code == 200 and plain.headers["cache-control"] == "public, no-cache"
    assert plain.headers["etag"] == hashed.headers["etag"]
    again = await client.get("/static/css/app.css", headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


async def test_images_are_not_compressed_again_and_head_answers_without_a_body(client) -> None:
    icon = Assets().url("icons/icon-512.png")
    answer = await client.get(icon, headers={"Accept-Encoding": "gzip, br"})
    assert answer.status_code == 200 and "content-encoding" not in answer.headers
    assert answer.headers["content-type"] == "image/png"
    head = await client.head(icon)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 1000


async def test_unknown_files_a_stale_hash_and_other_methods_are_refused(client) -> None:
    assert (await client.get("/static/css/nope.css")).status_code == 404
    assert (await client.get("/static/css/app.0000000000.css")).status_code == 404
    assert (await client.get("/static/../portal/settings.py")).status_code == 404
    assert (await client.post("/static/css/app.css")).status_code == 405


async def test_q_zero_refuses_an_encoding(client) -> None:
    answer = await client.get(await _css_url(client), headers={"Accept-Encoding": "br;q=0, gzip"})
    assert answer.headers["content-encoding"] == "gzip"
