"""Billing pages: a resident's bill (HTML and PDF) and the supervisor's rate schedules."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from portal.accounts.models import STAFF_ROLES, Role
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, DbSession, FromPath
from portal.web.flash import flash
from portal.web.identity import actor_of
from portal.web.pdf import render_pdf
from portal.web.urls import redirect_to, url

from . import rate_admin, views

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


def _today(settings: object) -> dt.date:
    return dt.datetime.now(ZoneInfo(settings.timezone)).date()  # type: ignore[attr-defined]


class RatesController(Controller):
    path = "/staff/rates"
    guards = [guards.supervisor]

    @get("/", name="staff.rates")
    async def index(self, db_session: DbSession, settings: AppSettings) -> Template:
        return Template(
            "billing/rates.html",
            context={"schedules": await rate_admin.overview(db_session, _today(settings)), "today": _today(settings)},
        )

    @get("/{code:str}/new", name="staff.rates.new")
    async def new(self, db_session: DbSession, settings: AppSettings, code: FromPath[str]) -> Template:
        form = await rate_admin.blank_form(db_session, code, _today(settings))
        return Template("billing/rate_form.html", context={"form": form})

    @post("/{code:str}", name="staff.rates.create")
    async def create(
        self, request: Request, db_session: DbSession, settings: AppSettings, code: FromPath[str]
    ) -> Template | Redirect:
        data = await request.form()
        form = await rate_admin.blank_form(db_session, code, _today(settings))
        form.fill(dict(data))
        saved = await rate_admin.save(db_session, actor_of(request), form, _today(settings))
        if not saved:
            return Template("billing/rate_form.html", context={"form": form}, status_code=400)
        flash(
            request,
            _("New %(code)s rates take effect on %(date)s.", code=code, date=form.values["effective_on"]),
            "success",
        )
        return redirect_to("staff.rates")


ROUTES = [BillController, RatesController]
