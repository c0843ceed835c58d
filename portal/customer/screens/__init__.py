"""Resident pages, one module per screen; each module lists its handlers in ROUTES and this package gathers them."""

from __future__ import annotations

from . import autopay, checkout, pay

ROUTES: list[object] = [*pay.ROUTES, *checkout.ROUTES, *autopay.ROUTES]
