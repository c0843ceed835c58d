"""Console pages, one module per screen; each module lists its handlers in ROUTES and this package gathers them."""

from __future__ import annotations

from . import refunds

ROUTES: list[object] = [*refunds.ROUTES]
