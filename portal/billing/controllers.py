"""Billing pages: a resident's bill (HTML and PDF)."""

from __future__ import annotations

import asyncio

from litestar import Controller, Request, Response, get
from litestar.response import Template

from portal.accounts.models import STAFF_ROLES, Role
from portal.web import guards
from portal.web.deps import AppSettings, DbSession, FromPath
from portal.web.pdf import render_pdf
from portal.web.urls import url

from . import views

readers = guards.roles(Role.CUSTOMER, *STAFF_ROLES)


def _back_url(request: Request, number: str) -> str:
    return url(request, "staff.account" if request.user.role in STAFF_ROLES else "customer.account", number=number)


class BillController(Controller):
    path = "/my/bills"
    guards = [readers]

    @get("/{bill_id:int}", name="billing.bill")
    async def show(self, request: Request, db_session: DbSession, bill_id: FromPath[int]) -> Template:
        bill = await views.bill_for(db_session, request.user.id, request.user.role, bill_id)
        view = await views.bill_view(db_session, bill)
        others = [b for b in await views.bills_of(db_session, bill.account_id, limit=13) if b.id != bill.id][:12]
        return Template(
            "billing/bill.html",
            context={
                "view": view,
                "others": others,
                "back_url": _back_url(request, view.account.number),
                "payer": request.user.role == Role.CUSTOMER,
            },
        )

    @get("/{bill_id:int}/pdf", name="billing.bill.pdf")
    async def pdf(
        self, request: Request, db_session: DbSession, settings: AppSettings, bill_id: FromPath[int]
    ) -> Response:
        bill = await views.bill_for(db_session, request.user.id, request.user.role, bill_id)
        view = await views.bill_view(db_session, bill)
        html = request.app.template_engine.get_template("billing/bill_pdf.html").render(
            view=view, public_url=settings.public_url
        )
        document = await asyncio.to_thread(render_pdf, html)
        filename = f"bill-{view.account.number}-{bill.bill_date.isoformat()}.pdf"
        return Response(
            document,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, no-store"},
        )


ROUTES = [BillController]
