"""A resident's bills: the list, one bill's page and its PDF. Staff read the same bill page and PDF from an
account (the route names and paths are shared), with a way back to the account in the console."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.response import Template

from portal.accounts.models import STAFF_ROLES, Role
from portal.billing import corrections
from portal.billing.energy_use import water_estimated
from portal.web import guards
from portal.web.deps import AppSettings, DbSession, FromPath
from portal.web.pdf import pdf_response
from portal.web.urls import url

from .. import bill_view, services
from .common import in_view

readers = guards.roles(Role.CUSTOMER, *STAFF_ROLES)  # staff read a bill from an account in the console
residents = guards.customer


def _back_url(request: Request, number: str) -> str:
    return url(request, "staff.account" if request.user.role in STAFF_ROLES else "customer.account", number=number)


class BillsController(Controller):
    path = "/my/bills"
    guards = [readers]

    @get("/", name="customer.bills", guards=[residents])
    async def bills(self, request: Request, db_session: DbSession) -> Template:
        accounts, current = await in_view(request, db_session)
        bills = await services.bills(db_session, current.id)
        return Template(
            "customer/bills.html",
            context={
                "accounts": accounts,
                "account": current,
                "bills": bills,
                # the gallons column says "estimated" when water's use was (a bill is estimated when any meter was)
                "water_estimated": {b.id for b in bills if water_estimated(b.estimated, b.document)},
                "notices": await corrections.notices(db_session, bills),
            },
        )

    @get("/{bill_id:int}", name="billing.bill")
    async def show(self, request: Request, db_session: DbSession, bill_id: FromPath[int]) -> Template:
        loaded = await bill_view.bill_for(db_session, request.user.id, request.user.role, bill_id)
        view = await bill_view.bill_view(db_session, loaded)
        return Template(
            "billing/bill.html",
            context={
                "view": view,
                "notice": (await corrections.notices(db_session, [view.bill])).get(view.bill.id),
                "others": view.others,
                "back_url": _back_url(request, view.account.number),
                "payer": request.user.role == Role.CUSTOMER,
                "balance_now": loaded.balance_now_cents,
            },
        )

    @get("/{bill_id:int}/pdf", name="billing.bill.pdf")
    async def pdf(
        self, request: Request, db_session: DbSession, settings: AppSettings, bill_id: FromPath[int]
    ) -> Response:
        loaded = await bill_view.bill_for(db_session, request.user.id, request.user.role, bill_id)
        view = await bill_view.bill_view(db_session, loaded)
        bill = view.bill
        engine = request.app.template_engine
        assert engine is not None  # the app is always built with its template config
        notice = (await corrections.notices(db_session, [bill])).get(bill.id)
        html = engine.get_template("billing/bill_pdf.html").render(
            view=view, public_url=settings.public_url, notice=notice
        )
        filename = f"bill-{view.account.number}-{bill.bill_date.isoformat()}.pdf"
        return await pdf_response(html, filename)
