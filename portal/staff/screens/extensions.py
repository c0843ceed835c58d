"""Residents' payment-extension requests the rule could not grant, waiting for a CSR's decision."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal import mail
from portal.accounts import confirmations, extensions
from portal.accounts.errors import DomainError, NotFound
from portal.i18n import format_date
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, DbSession, FromPath, Today
from portal.web.flash import flash
from portal.web.urls import redirect_to

from .. import services
from ..forms import DecisionForm


class ExtensionQueueController(Controller):
    path = "/staff/extensions"
    guards = [guards.staff]

    @get("/", name="staff.extensions")
    async def queue(self, db_session: DbSession, today: Today) -> Template:
        return Template(
            "staff/extensions.html",
            context={"queue": await services.extension_queue(db_session, today), "form": DecisionForm()},
        )

    @post("/{extension_id:int}/{decision:str}", name="staff.extensions.decide")
    async def decide(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        actor: CurrentActor,
        settings: AppSettings,
        extension_id: FromPath[int],
        decision: FromPath[str],
    ) -> Redirect:
        if decision not in ("approve", "deny"):
            raise NotFound(_("No such decision."))
        extension = await services.extension_request(db_session, extension_id)
        form = await DecisionForm.from_request(request)
        if not form.validate():
            raise DomainError(form.error_list[0][1], field="note")
        await extensions.decide(
            db_session, actor, extension, approve=decision == "approve", note=form.note.data or "", today=today
        )
        await confirmations.extension_answered(db_session, mail.OUTBOX, extension, phone=settings.utility_phone)
        if decision == "approve":
            flash(
                request,
                _(
                    "Extension granted until %(date)s: the account is held off the cut-off list until then.",
                    date=format_date(extension.promised_on),
                ),
                "success",
            )
        else:
            flash(request, _("Extension denied."), "info")
        return redirect_to("staff.extensions")
