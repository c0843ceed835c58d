"""The resident's water use, month by month, beside the same month a year before; electric (kWh) and gas (therms)
in their own charts when the account has them."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template

from portal.web import guards
from portal.web.deps import DbSession, Today

from .. import services
from .common import in_view


class UsageController(Controller):
    path = "/my"
    guards = [guards.customer]

    @get("/usage", name="customer.usage")
    async def usage(self, request: Request, db_session: DbSession, today: Today) -> Template:
        accounts, current = await in_view(request, db_session)
        months = await services.usage_months(db_session, current, today)
        return Template(
            "customer/usage.html",
            context={
                "accounts": accounts,
                "account": current,
                "chart": services.usage_chart(months),
                "energy": [(kind, services.energy_chart(months, kind)) for kind in services.energy_kinds(months)],
                "months": list(reversed(months)),
                "latest": months[-1] if months else None,
            },
        )
