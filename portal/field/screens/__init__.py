"""Technician pages (today's orders, one order with its action forms), the phone's sync API and its photo
uploads, one module per screen or resource."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from .orders import OrdersController
from .photos import PhotosController
from .sync_api import SyncController

ROUTES: list[ControllerRouterHandler] = [OrdersController, SyncController, PhotosController]
