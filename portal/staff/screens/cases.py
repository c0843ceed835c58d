"""Cases: the CSR work queue (mine, unassigned, all open, overdue; by kind) and a case's page: its facts and notes,
assign (to me; to someone else: a supervisor), add a note, resolve; a bankruptcy's discharge (a supervisor's) or
dismissal. Opening a case is on the account page (actions.py). Each post comes back to the case."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.accounts import cases
from portal.accounts.errors import DomainError
from portal.accounts.models import Case, LedgerEntry
from portal.i18n import format_money
from portal.i18n import gettext as _
from portal.web import guards, params
from portal.web.deps import CurrentActor, DbSession, FromPath, FromQuery, Today
from portal.web.flash import flash
from portal.web.urls import redirect_to

from .. import case_form, case_queue


async def _case(db_session: DbSession, case_id: int) -> Case:
    """The case (every staff member sees every account, as access.account_for has it: the guard is the check)."""
    return await case_queue.get_case(db_session, case_id)


_supervisors = guards.supervisor


class CaseController(Controller):
    path = "/staff/cases"
    guards = [guards.staff]

    @get("/", name="staff.cases")
    async def queue(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        view: FromQuery[str] = "mine",
        kind: FromQuery[str] = "",
    ) -> Template:
        rows = await case_queue.queue(db_session, request.user.id, view, kind, today)
        return Template(
            "staff/cases.html",
            context={"rows": rows, "view": view, "kind": kind, "views": case_queue.VIEWS, "today": today},
        )

    @get("/{case_id:int}", name="staff.case")
    async def page(self, request: Request, db_session: DbSession, today: Today, case_id: FromPath[int]) -> Template:
        supervisor = request.user.role in cases.SUPERVISORS
        view = await case_queue.case_view(db_session, case_id, today, with_staff=supervisor)
        return Template(
            "staff/case.html", context={"c": view, "case": view.case, "supervisor": supervisor, "today": today}
        )

    @post("/{case_id:int}/assign", name="staff.case.assign")
    async def assign(
        self, request: Request, db_session: DbSession, actor: CurrentActor, case_id: FromPath[int]
    ) -> Redirect:
        case = await _case(db_session, case_id)
        raw = case_form.text(await request.form(), "owner").strip()
        if raw == "me":
            owner: int | None = actor.user_id
        elif raw in ("", "none"):
            owner = None
        else:
            try:
                owner = params.parse_id(raw)
            except params.BadValue:
                raise DomainError(_("Choose someone on staff."), field="owner") from None
        await cases.assign(db_session, actor, case, owner)
        flash(request, _("Case assigned.") if owner else _("Case back in the unassigned queue."), "success")
        return redirect_to("staff.case", case_id=case.id)

    @post("/{case_id:int}/notes", name="staff.case.note")
    async def note(
        self, request: Request, db_session: DbSession, actor: CurrentActor, case_id: FromPath[int]
    ) -> Redirect:
        case = await _case(db_session, case_id)
        await cases.add_note(db_session, actor, case, case_form.text(await request.form(), "body"))
        flash(request, _("Note added."), "success")
        return redirect_to("staff.case", case_id=case.id, anchor="notes")

    @post("/{case_id:int}/resolve", name="staff.case.resolve")
    async def resolve(
        self, request: Request, db_session: DbSession, actor: CurrentActor, case_id: FromPath[int]
    ) -> Redirect:
        case = await _case(db_session, case_id)
        await cases.resolve(db_session, actor, case, case_form.text(await request.form(), "resolution"))
        flash(request, _("Case resolved."), "success")
        return redirect_to("staff.case", case_id=case.id)

    @post("/{case_id:int}/discharge", name="staff.case.discharge", guards=[_supervisors])
    async def discharge(
        self, request: Request, db_session: DbSession, today: Today, actor: CurrentActor, case_id: FromPath[int]
    ) -> Redirect:
        case = await _case(db_session, case_id)
        data = await request.form()
        await cases.discharge(
            db_session,
            actor,
            case,
            discharged_on=case_form.optional_date(data, "discharged_on"),
            resolution=case_form.text(data, "resolution"),
            today=today,
        )
        entry = await db_session.get(LedgerEntry, case.write_off_entry_id) if case.write_off_entry_id else None
        flash(
            request,
            _("Discharge recorded: %(amount)s written off.", amount=format_money(-entry.amount_cents if entry else 0)),
            "success",
        )
        return redirect_to("staff.case", case_id=case.id)

    @post("/{case_id:int}/dismiss", name="staff.case.dismiss", guards=[_supervisors])
    async def dismiss(
        self, request: Request, db_session: DbSession, actor: CurrentActor, case_id: FromPath[int]
    ) -> Redirect:
        case = await _case(db_session, case_id)
        await cases.dismiss(db_session, actor, case, case_form.text(await request.form(), "resolution"))
        flash(request, _("Dismissal recorded: the held balance is owed again."), "success")
        return redirect_to("staff.case", case_id=case.id)
