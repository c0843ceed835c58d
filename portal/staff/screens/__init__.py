"""The staff console's screens, one module per screen or resource; `ROUTES` gathers their controllers."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from .account import AccountController
from .actions import AccountActionController
from .adjustments import AdjustmentController
from .approvals import ApprovalController
from .bank_draft import BankDraftController
from .caller import CallerController
from .cases import CaseController
from .collections import CollectionsController
from .credit_letter import CreditLetterController
from .cutoff import CutoffController
from .dispatch import DispatchController
from .drawer import CounterController
from .extensions import ExtensionQueueController
from .finance import FinanceController
from .home import HomeController
from .jobs import JobsController
from .lockbox import LockboxController
from .move import MoveServiceController
from .outages import OutagesController
from .placements import PlacementsController
from .premises import PremiseController
from .print import PrintController
from .rates import RatesController
from .rebills import ReadsController, RebillApprovalController
from .records import RecordsController
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
    CaseController,
    CounterController,
    CollectionsController,
    LockboxController,
    ReportController,
    FinanceController,
    CreditLetterController,
    WalkinController,
    CutoffController,
    DispatchController,
    StartServiceController,
    PremiseController,
    MoveServiceController,
    AccountActionController,
    BankDraftController,
    CallerController,
    RatesController,
    JobsController,
    PrintController,
    OutagesController,
    PlacementsController,
    RecordsController,
    ReadsController,
    RebillApprovalController,
    *REFUND_ROUTES,
]
