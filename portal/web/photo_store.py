"""The app's photo store, made on first use from the settings and kept on the app (an S3 client is worth keeping)."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request

from portal.accounts import photos, problems
from portal.accounts.errors import DomainError
from portal.accounts.policy import Policy
from portal.settings import Settings
from portal.web.forms import Form


def photo_store(app: Any, settings: Settings) -> photos.PhotoStore:
    store = getattr(app.state, "photo_store", None)
    if store is None:
        store = photos.store_from_setting(settings.photo_store)
        app.state.photo_store = store
    return store


async def problem_photo(
    request: Request[Any, Any, Any], policy: Policy, form: Form
) -> tuple[tuple[bytes, str | None] | None, bool]:
    """The photo posted with a problem report (the resident's, and the CSR's for a caller), checked, and whether it
    passed: a refusal is written on the form's photo field. Call after form.validate(), which clears the errors."""
    upload = (await request.form()).get("photo")
    if upload is None or not hasattr(upload, "read"):
        return None, True
    try:
        data, content_type = await upload.read(), getattr(upload, "content_type", None)
        # decoding the image to check it is CPU work: off the event loop
        return await asyncio.to_thread(problems.checked_photo, policy, data, content_type), True
    except DomainError as exc:
        form.add_error("photo", exc.message)
        return None, False
