"""Payment pages and the Stripe webhook (built by the payments issue)."""

from __future__ import annotations

ROUTES: list[object] = []
