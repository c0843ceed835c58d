"""The public outage page: what is known about open outages, a light list and an SVG map of the affected areas (the
list is the map's text alternative). No sign-in, no script, no form for a visitor (so no cookie): shared caches may
keep a visitor's copy a minute. A signed-in resident who follows "Known outages" sees it in their language with their
menu, never cached (docs/features.md, Outages)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from portal.accounts import outages
from portal.web.deps import DbSession
from portal.web.identity import token_without_cookie

WIDTH, HEIGHT, PAD = 320, 200, 12


def map_shapes(found: list[tuple[Any, list[tuple[float, float]]]]) -> list[dict[str, Any]]:
    """Each outage's premises (and polygon) projected into the SVG's box, one bounding box for all."""
    points = [p for _o, pts in found for p in pts] + [(float(v[0]), float(v[1])) for o, _p in found for v in o.polygon]
    if not points:
        return []
    lat0, lat1 = min(p[0] for p in points), max(p[0] for p in points)
    lon0, lon1 = min(p[1] for p in points), max(p[1] for p in points)
    span_lat, span_lon = (lat1 - lat0) or 0.001, (lon1 - lon0) or 0.001

    def xy(lat: float, lon: float) -> tuple[int, int]:
        x = PAD + (lon - lon0) / span_lon * (WIDTH - 2 * PAD)
        y = PAD + (lat1 - lat) / span_lat * (HEIGHT - 2 * PAD)
        return round(x), round(y)

    shapes = []
    for n, (outage, pts) in enumerate(found, start=1):
        polygon = " ".join("{},{}".format(*xy(float(v[0]), float(v[1]))) for v in outage.polygon)
        shapes.append({"n": n, "utility": outage.utility, "dots": [xy(*p) for p in pts[:500]], "polygon": polygon})
    return shapes


@get("/outages", name="outages.public", cache_control=None)
async def outages_page(request: Request, db_session: DbSession) -> Template:
    cache = request.app.state.get("outage_points")
    if cache is None:  # one per app: a test's app never sees another's
        cache = request.app.state["outage_points"] = {}
    found = await outages.public_view(db_session, cache)
    token_without_cookie(request)  # outside the CSRF middleware: it would set a cookie on a cacheable copy
    return Template(
        "customer/outages.html",
        context={"found": found, "shapes": map_shapes(found), "width": WIDTH, "height": HEIGHT},
        headers={"Cache-Control": "public, max-age=60"},
    )
