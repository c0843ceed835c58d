"""Plain rules of outages (docs/features.md, Outages): which outage a new report joins, which premises an area
covers, and how long service was out. No database: unit tests call them directly."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

UTILITIES = ("water", "power")
# The services an outage of each utility stops (service kinds, portal/accounts/models ServiceKind): a power outage
# the electric service; a water outage the water service and a fire line (fed by the same mains). Sewer, solid
# waste, stormwater and gas go on: a sewer-only account (a private well) has nothing to be told.
SERVICE_KINDS = {"power": ("electric",), "water": ("water", "fire_line")}
# Reports join an outage whose last report is at most this old ...
GROUP_WINDOW = dt.timedelta(hours=3)
# ... and that is on the same street or route, or has a report within this distance (premises with coordinates).
GROUP_DISTANCE_M = 400.0

_SUFFIXES = {
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "lane": "ln",
    "boulevard": "blvd",
    "court": "ct",
    "place": "pl",
    "calle": "calle",
}


def service_kinds(utility: str) -> tuple[str, ...]:
    """The service kinds an outage of `utility` affects: only accounts with one of them are told or counted."""
    return SERVICE_KINDS.get(utility, ())


_ORDINAL = re.compile(r"\d+(st|nd|rd|th)")


def street_of(address: str) -> str:
    """The street of a service address, normalized: "123 N. Oak Street, Apt 4" -> "n oak st"."""
    text = address.split(",")[0].lower()
    text = re.sub(r"[^\w\s]", " ", text)
    words = [w for w in text.split() if w]
    while words and any(ch.isdigit() for ch in words[0]) and not _ORDINAL.fullmatch(words[0]):
        words.pop(0)  # house number (123, 12b, 1/2); a numbered street ("1st", "22nd") stays
    for marker in ("apt", "unit", "ste", "suite"):
        if marker in words:
            words = words[: words.index(marker)]
    return " ".join(_SUFFIXES.get(w, w) for w in words)


def address_key(address: str) -> str:
    """A typed address as one key, house number kept: "12 N. Oak Street" and "12 n oak st" are the same place (how
    a visitor's address is matched to a premise, and how reports from one address are counted)."""
    words = re.sub(r"[^\w\s]", " ", address.split(",")[0].lower()).split()
    for marker in ("apt", "unit", "ste", "suite"):
        if marker in words:
            words = words[: words.index(marker)]
    return " ".join(_SUFFIXES.get(w, w) for w in words)


_KINDS = (set(_SUFFIXES) | set(_SUFFIXES.values())) - {"calle"}


def search_words(address: str) -> str:
    """What to look a typed address up by: its words without the street's kind, which premises spell their own way
    ("12 Oak Street" finds "12 Oak St")."""
    return " ".join(w for w in re.sub(r"[^\w\s]", " ", address.split(",")[0].lower()).split() if w not in _KINDS)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, h)))


@dataclass(frozen=True)
class Place:
    """Where a report (or a report already in an outage) is: its street, route and coordinates when known."""

    street: str
    route: str | None = None
    lat: float | None = None
    lon: float | None = None

    @property
    def point(self) -> tuple[float, float] | None:
        return (self.lat, self.lon) if self.lat is not None and self.lon is not None else None


@dataclass(frozen=True)
class Candidate:
    """An open outage as the grouping rule sees it: its utility, last report time and the places reported."""

    outage_id: int
    utility: str
    last_report_at: dt.datetime
    places: Sequence[Place]
    streets: Sequence[str] = ()
    routes: Sequence[str] = ()


def near(a: Place, b: Place, max_m: float = GROUP_DISTANCE_M) -> bool:
    if a.street and a.street == b.street:
        return True
    if a.route and a.route == b.route:
        return True
    pa, pb = a.point, b.point
    return pa is not None and pb is not None and distance_m(pa, pb) <= max_m


def group_with(
    utility: str,
    place: Place,
    at: dt.datetime,
    candidates: Sequence[Candidate],
    window: dt.timedelta = GROUP_WINDOW,
    max_m: float = GROUP_DISTANCE_M,
) -> int | None:
    """The outage a new report joins: the same utility, its last report within the window, and the same street or
    route as its area or a report, or a report within `max_m` metres. The most recently reported wins; None: a new
    outage."""
    # a report typed in late (before the outage's last report) still joins
    fitting = [c for c in candidates if c.utility == utility and at - c.last_report_at <= window]
    fitting = [
        c
        for c in fitting
        if place.street in c.streets
        or (place.route is not None and place.route in c.routes)
        or any(near(place, other, max_m) for other in c.places)
    ]
    if not fitting:
        return None
    return max(fitting, key=lambda c: (c.last_report_at, c.outage_id)).outage_id


def inside(point: tuple[float, float], polygon: Sequence[Sequence[float]]) -> bool:
    """Ray casting: is (lat, lon) inside the polygon of [lat, lon] vertices (at least 3)?"""
    if len(polygon) < 3:
        return False
    y, x = point
    result = False
    j = len(polygon) - 1
    for i in range(len(polygon)):
        yi, xi = polygon[i][0], polygon[i][1]
        yj, xj = polygon[j][0], polygon[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            result = not result
        j = i
    return result


def in_area(place: Place, streets: Sequence[str], routes: Sequence[str], polygon: Sequence[Sequence[float]]) -> bool:
    """Is a premise in an outage's affected area: on one of its streets or routes, or inside its polygon."""
    if place.street and place.street in streets:
        return True
    if place.route and place.route in routes:
        return True
    return place.point is not None and inside(place.point, polygon)


def minutes_out(started_at: dt.datetime, restored_at: dt.datetime | None, now: dt.datetime) -> int:
    """Whole minutes of the outage: to its restoration, or to now while it lasts; never negative."""
    end = restored_at or now
    return max(0, int((end - started_at).total_seconds() // 60))


def parse_polygon(text: str) -> list[list[float]]:
    """A polygon typed as "lat,lon; lat,lon; lat,lon" -> [[lat, lon], ...]; ValueError with a reason."""
    points: list[list[float]] = []
    for chunk in filter(None, (c.strip() for c in text.split(";"))):
        parts = chunk.split(",")
        if len(parts) != 2:
            raise ValueError("each point is lat,lon")
        lat, lon = float(parts[0]), float(parts[1])
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError("a point is off the map")
        points.append([lat, lon])
    if points and len(points) < 3:
        raise ValueError("a polygon needs at least 3 points")
    if len(points) > 200:
        raise ValueError("at most 200 points")
    return points
