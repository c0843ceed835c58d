"""The staff console's screens, one module per screen or resource; `ROUTES` gathers their controllers."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from .account import AccountController
from .actions import AccountActionController
from .adjustments import AdjustmentController
from .approvals import ApprovalController
from .collections import CollectionsController
from .cutoff import CutoffController
from .dispatch import DispatchController
from .drawer import CounterController
from .extensions import ExtensionQueueController
from .home import HomeController
from .jobs import JobsController
from .lockbox import LockboxController
from .move import MoveServiceController
from .outages import OutagesController
from .print import PrintController
from .rates import RatesController
from .refunds import ROUTES as REFUND_ROUTES
from .reports import ReportController
from .start import StartServiceController
from .walkin import WalkinController

ROUTES: list[ControllerRouterHandler] = [
    HomeController,
    AccountController,
    AdjustmentController,
    ApprovalController,
    ExtensionQueueController,
    CounterController,
    CollectionsController,
    LockboxController,
    ReportController,
    WalkinController,
    CutoffController,
    DispatchController,
    StartServiceController,
    MoveServiceController,
    AccountActionController,
    RatesController,
    JobsController,
    PrintController,
    OutagesController,
    *REFUND_ROUTES,
]
