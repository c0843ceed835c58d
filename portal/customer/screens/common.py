"""What every resident screen shares: the account in view and a form page shown again with its errors."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from portal.accounts.errors import NotFound
from portal.accounts.models import Account
from portal.i18n import gettext as _

from .. import services
from ..services import SESSION_ACCOUNT


async def in_view(request: Request, db_session: Any) -> tuple[list[Account], Account]:
    """The login's accounts and the one it is looking at; a login with none answers "not found"."""
    accounts, current = await services.accounts_in_view(
        db_session, request.user.id, request.session.get(SESSION_ACCOUNT)
    )
    if current is None:
        raise NotFound(_("No account is linked to your login yet."))
    return accounts, current


def form_page(template: str, context: dict[str, Any], status: int = 400) -> Template:
    return Template(template, context=context, status_code=status)
