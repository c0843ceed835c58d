"""The collection agency (/staff/placements; /staff/collections is the day's cash): the final accounts due for the
agency with their totals, the supervisor's "make the placement file" button, past files with their CSV, and each
placement with what the agency collected, its recovery form and its recall; the payments made to the utility on placed
accounts since the last file, "paid directly: tell the agency" (portal/accounts/agency_direct.py) (docs/features.md, Collection agency).
Anyone on staff reads; a supervisor makes the file, downloads it, records a recovery or recalls."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from portal.accounts import agency_direct, audit, collection_rules, collections
from portal.accounts.errors import DomainError
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, Today
from portal.web.flash import flash
from portal.web.forms import DateField, DollarsField, Form, filled
from portal.web.urls import redirect_to

from .. import navigation

PRIVATE = "private, no-store"
SUPERVISOR = guards.supervisor  # the class body's `guards` list hides the module there


class RecoveryForm(Form):
    gross = DollarsField(
        lazy_gettext("Collected from the customer ($)"),
        validators=[InputRequired(message=lazy_gettext("Enter the amount the agency collected, like 120.00."))],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    fee = DollarsField(
        lazy_gettext("The agency's fee ($)"),
        validators=[InputRequired(message=lazy_gettext("Enter the agency's fee, 0 if none."))],
        description=lazy_gettext("Paid by the utility, not charged to the customer."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    reference = StringField(
        lazy_gettext("Remittance reference"),
        validators=[DataRequired(message=lazy_gettext("Enter the agency's reference.")), Length(max=64)],
        render_kw={"autocomplete": "off"},
    )
    received_on = DateField(
        lazy_gettext("Received on"), validators=[InputRequired(message=lazy_gettext("Enter the date received."))]
    )


class RecallForm(Form):
    reason = TextAreaField(
        lazy_gettext("Why the account is recalled"),
        validators=[DataRequired(message=lazy_gettext("Say why.")), Length(max=300)],
        render_kw={"rows": "2"},
    )


def _cents(value: object) -> int:
    return int(value * 100) if value is not None else 0  # type: ignore[operator]


class PlacementsController(Controller):
    path = "/staff/placements"
    guards = [guards.staff]

    @get("/", name="staff.placements")
    async def page(self, request: Request, db_session: DbSession, policy: CurrentPolicy, today: Today) -> Template:
        found = await collections.candidates(db_session, policy, today)
        eligible = [c for c in found if c.refusal is None]
        held = [c for c in found if c.refusal is not None]
        placed = await collections.placements(db_session)
        # the recent files, newest first: the last one and today's are among them (one file a business date)
        batches = await collections.recent_batches(db_session)
        last_file = batches[0] if batches else None
        direct = await agency_direct.direct_since(db_session, last_file)
        return Template(
            "staff/placements.html",
            context={
                "eligible": eligible,
                "held": held,
                "eligible_total": sum(c.balance_cents for c in eligible),
                "batches": batches,
                "placements": placed,
                "today_batch": next((batch for batch in batches if batch.made_on == today), None),
                "last_file": last_file,
                "direct": direct,
                "policy": policy,
                "refusal_words": lambda code: collection_rules.refusal_words(code, policy),
                "today": today,
                "supervisor": request.user.role in navigation.SUPERVISORS,
            },
        )

    @post("/file", name="staff.placements.make", guards=[SUPERVISOR])
    async def make(
        self, request: Request, db_session: DbSession, actor: CurrentActor, policy: CurrentPolicy, today: Today
    ) -> Redirect:
        try:
            made = await collections.make_batch(db_session, actor, policy, today)
        except DomainError as exc:
            flash(request, exc.message, "error")
            return redirect_to("staff.placements")
        if made.created:
            flash(
                request,
                _(
                    "Placement file made: %(count)s accounts placed with %(agency)s.",
                    count=made.batch.count,
                    agency=made.batch.agency,
                ),
                "success",
            )
        else:
            flash(request, _("Today's placement file was made already; nothing changed."), "info")
        return redirect_to("staff.placements", anchor="batches")

    @get("/files/{batch_id:int}/csv", name="staff.placements.csv", guards=[SUPERVISOR])
    async def csv_file(self, db_session: DbSession, actor: CurrentActor, batch_id: FromPath[int]) -> Response:
        batch = await collections.batch_with_file(db_session, batch_id)
        if batch is None:
            raise NotFoundException(_("No such placement file."))
        await audit.record(db_session, actor, "placement_batch.download", "placement_batch", batch.id)
        return Response(
            batch.csv_text,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{collections.file_name(batch)}"',
                "Cache-Control": PRIVATE,
            },
        )

    async def _placement_page(
        self,
        request: Request,
        db_session: DbSession,
        placement_id: int,
        today: dt.date,
        recovery: RecoveryForm | None = None,
        recall: RecallForm | None = None,
        status_code: int = 200,
    ) -> Template:
        view = await collections.placement_view(db_session, placement_id)
        return Template(
            "staff/placement.html",
            context={
                "view": view,
                "recovery_form": recovery or RecoveryForm(data={"fee": 0, "received_on": today}),
                "recall_form": recall or RecallForm(),
                "supervisor": request.user.role in navigation.SUPERVISORS,
            },
            status_code=status_code,
        )

    @get("/{placement_id:int}", name="staff.placement")
    async def placement(
        self, request: Request, db_session: DbSession, today: Today, placement_id: FromPath[int]
    ) -> Template:
        return await self._placement_page(request, db_session, placement_id, today)

    @post("/{placement_id:int}/recovery", name="staff.placement.recovery", guards=[SUPERVISOR])
    async def recovery(
        self,
        request: Request,
        db_session: DbSession,
        actor: CurrentActor,
        policy: CurrentPolicy,
        settings: AppSettings,
        today: Today,
        placement_id: FromPath[int],
    ) -> Template | Redirect:
        form = await RecoveryForm.from_request(request)
        if not form.validate():
            return await self._placement_page(request, db_session, placement_id, today, recovery=form, status_code=400)
        try:
            async with db_session.begin_nested():  # nothing half-written when the domain refuses
                done = await collections.record_recovery(
                    db_session,
                    actor,
                    placement_id,
                    gross_cents=_cents(form.gross.data),
                    fee_cents=_cents(form.fee.data),
                    reference=form.reference.data or "",
                    received_on=filled(form.received_on.data),
                    today=today,
                    timezone=settings.timezone,
                    policy=policy,
                )
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            field = {"reference": "reference", "received_on": "received_on"}.get(exc.field or "", "gross")
            form.add_error(field, exc.message)
            return await self._placement_page(
                request, db_session, placement_id, today, recovery=form, status_code=exc.status_code
            )
        flash(
            request,
            _("Recovery recorded.") if done.created else _("This reference was recorded already; nothing changed."),
            "success" if done.created else "info",
        )
        return redirect_to("staff.placement", placement_id=placement_id)

    @post("/{placement_id:int}/recall", name="staff.placement.recall", guards=[SUPERVISOR])
    async def recall(
        self,
        request: Request,
        db_session: DbSession,
        actor: CurrentActor,
        today: Today,
        placement_id: FromPath[int],
    ) -> Template | Redirect:
        form = await RecallForm.from_request(request)
        if not form.validate():
            return await self._placement_page(request, db_session, placement_id, today, recall=form, status_code=400)
        try:
            async with db_session.begin_nested():
                await collections.recall(db_session, actor, placement_id, reason=form.reason.data or "", today=today)
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            form.add_error("reason", exc.message)
            return await self._placement_page(
                request, db_session, placement_id, today, recall=form, status_code=exc.status_code
            )
        flash(request, _("Recalled from the agency: what was left is owed to the utility again."), "success")
        return redirect_to("staff.placement", placement_id=placement_id)
