"""What the Stripe.js pages share (the resident's, and the CSR's bank step for a caller): the script's origin, the
page's JSON configuration, and the page shown when online payments are off."""

from __future__ import annotations

import json
from typing import Any

from litestar.response import Template

from portal.settings import Settings


def stripe_page_context(settings: Settings) -> dict[str, Any]:
    return {"stripe_js_url": settings.stripe_js_url}


def script_json(value: dict[str, Any]) -> str:
    """JSON for a <script type="application/json"> block: no "</script>" can end it early."""
    return json.dumps(value).replace("<", "\\u003c")


def unavailable() -> Template:
    return Template("payments/unavailable.html", status_code=503)
