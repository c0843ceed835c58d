"""Sign-in, sign-up, each person's own settings (passkeys) and sign-out, one module per screen; the passkey JSON
endpoints sit with the screen whose script calls them."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from .kiosk import KioskExitController
from .settings import SettingsController
from .signin import SignInController
from .signout import signout
from .signup import SignUpController

ROUTES: list[ControllerRouterHandler] = [
    SignInController,
    SignUpController,
    SettingsController,
    KioskExitController,
    signout,
]
