"""Technician pages (today's orders, one order with its action forms), the phone's sync API and its photo
uploads, one module per screen or resource."""

from __future__ import annotations

from .orders import OrdersController
from .photos import PhotosController
from .sync_api import SyncController

ROUTES = [OrdersController, SyncController, PhotosController]
