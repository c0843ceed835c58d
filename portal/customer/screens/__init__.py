"""Resident pages: the public landing page and everything a signed-in resident does with their accounts, one
module per screen.

Every form posts and answers with a 303 redirect (or the form again with an error summary); every page finds the
account through the login's links, so another resident's account answers "not found".
"""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from .autopay import ROUTES as AUTOPAY_ROUTES
from .bills import BillsController
from .checkout import ROUTES as CHECKOUT_ROUTES
from .extension import ExtensionController
from .home import HomeController
from .landing import landing
from .outage_report import OutageReportController
from .outage_visitor import VisitorOutageController
from .outages_public import outages_page
from .pay import ROUTES as PAY_ROUTES
from .preferences import PreferencesController, unsubscribe, unsubscribe_page
from .report import ReportController
from .requests import RequestsController
from .start_move import StartMoveController
from .stop import StopController
from .usage import UsageController

ROUTES: list[ControllerRouterHandler] = [
    landing,
    outages_page,
    VisitorOutageController,
    HomeController,
    BillsController,
    UsageController,
    StartMoveController,
    StopController,
    RequestsController,
    ExtensionController,
    ReportController,
    OutageReportController,
    PreferencesController,
    unsubscribe_page,
    unsubscribe,
    *PAY_ROUTES,
    *CHECKOUT_ROUTES,
    *AUTOPAY_ROUTES,
]
