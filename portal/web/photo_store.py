"""The app's photo store, made on first use from the settings and kept on the app (an S3 client is worth keeping)."""

from __future__ import annotations

from typing import Any

from portal.accounts import photos
from portal.settings import Settings


def photo_store(app: Any, settings: Settings) -> photos.PhotoStore:
    store = getattr(app.state, "photo_store", None)
    if store is None:
        store = photos.store_from_setting(settings.photo_store)
        app.state.photo_store = store
    return store
