"""The resident's requests (starts, stops, moves, problem reports, extensions) and cancelling one."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal import mail
from portal.accounts import access, confirmations
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, DbSession, FromPath, Today
from portal.web.flash import flash
from portal.web.urls import redirect_to

from .. import forms, service_requests


class RequestsController(Controller):
    path = "/my"
    guards = [guards.customer]

    @get("/requests", name="customer.requests")
    async def requests(self, request: Request, db_session: DbSession) -> Template:
        accounts = await access.linked_accounts(db_session, request.user.id)
        page = await service_requests.requests_view(db_session, [a.id for a in accounts])
        return Template("customer/requests.html", context={**page, "cancel_form": forms.CancelRequestForm()})

    @post("/requests/{request_id:int}/cancel", name="customer.requests.cancel")
    async def cancel(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        actor: CurrentActor,
        request_id: FromPath[int],
    ) -> Redirect:
        form = await forms.CancelRequestForm.from_request(request)
        form.validate()
        cancelled = await service_requests.cancel_request(
            db_session, actor, request.user.id, request_id, form.reason.data, today
        )
        await confirmations.request_cancelled(db_session, mail.OUTBOX, cancelled, phone=settings.utility_phone)
        flash(request, _("Request cancelled."), "success")
        return redirect_to("customer.requests")
