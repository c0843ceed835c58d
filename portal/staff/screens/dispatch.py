"""Dispatch: the field's work orders with filters, assigning them, route owners, orders created by hand, and the sync
exceptions the field side raises."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from portal.accounts import numbers, photo_access, sync_exceptions
from portal.accounts.errors import DomainError, NotFound
from portal.accounts.models import WorkOrderKind, WorkOrderStatus
from portal.i18n import gettext as _
from portal.i18n import ngettext
from portal.web import guards, params
from portal.web.deps import CurrentActor, CurrentPolicy, DbSession, FromPath, FromQuery, Today
from portal.web.flash import flash
from portal.web.urls import redirect_to

from .. import dispatch, services
from ._params import parse_day, parse_technician


class DispatchController(Controller):
    path = "/staff/dispatch"
    guards = [guards.staff]

    @get("/", name="staff.dispatch")
    async def page(
        self,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        status: FromQuery[str] = "active",
        kind: FromQuery[str] = "",
        route: FromQuery[str] = "",
        due_by: FromQuery[str] = "",
        technician: FromQuery[str] = "",
    ) -> Template:
        filters = dispatch.Filters(
            status=status,
            kind=kind,
            route=route,
            due_by=parse_day(due_by, today) if due_by else None,
            technician_id=parse_technician(technician),
        )
        board = await dispatch.board(db_session, filters, today, policy)
        return Template(
            "staff/dispatch.html",
            context={
                "filters": filters,
                "rows": board.rows,
                "technicians": board.technicians,
                "routes": [r.code for r in board.route_owners],
                "route_owners": board.route_owners,
                "kinds": list(WorkOrderKind),
                "statuses": list(WorkOrderStatus),
                "creatable": dispatch.CREATABLE,
                "exceptions": board.exceptions,
                "conflicts": board.conflicts,
                # what the technician photographed, next to each exception and each conflicting order
                "photos_by_order": await photo_access.photos_of_orders(
                    db_session,
                    [ex.work_order_id for ex in board.exceptions if ex.work_order_id]
                    + [row.order.id for row in board.rows if row.conflict],
                ),
                "today": today,
            },
        )

    @post("/orders/{order_id:int}/assign", name="staff.dispatch.assign")
    async def assign(
        self, request: Request, db_session: DbSession, actor: CurrentActor, order_id: FromPath[int]
    ) -> Redirect:
        technician_id = parse_technician(str((await request.form()).get("technician_id", "")))
        order = await dispatch.assign(db_session, actor, order_id, technician_id)
        flash(
            request,
            _("Order %(id)s assigned.", id=order.id)
            if order.assigned_to_id
            else _("Order %(id)s unassigned.", id=order.id),
            "success",
        )
        return redirect_to("staff.dispatch")

    @post("/orders/assign", name="staff.dispatch.assign_many")
    async def assign_many(
        self, request: Request, db_session: DbSession, actor: CurrentActor, policy: CurrentPolicy, today: Today
    ) -> Redirect:
        """The orders ticked on the list, to one technician: all or nothing, one flash saying how many."""
        form = await request.form()
        try:
            technician_id = parse_technician(str(form.get("technician_id", "")))
            try:
                ids = [params.parse_id(raw) for raw in form.getall("order_id", [])]
            except params.BadValue:
                raise DomainError(_("Select orders from the list."), field="order_id") from None
            assigned = await dispatch.assign_many(db_session, actor, ids, technician_id, policy, today)
        except DomainError as refused:
            flash(request, refused.message, "error")
            return _back(form)
        flash(request, ngettext("%(num)d order assigned.", "%(num)d orders assigned.", len(assigned.orders)), "success")
        _flash_held(request, assigned)
        return _back(form)

    @post("/routes/assign", name="staff.dispatch.assign_route")
    async def assign_route(
        self, request: Request, db_session: DbSession, actor: CurrentActor, policy: CurrentPolicy, today: Today
    ) -> Redirect:
        """Every unassigned open order on a route, to one technician."""
        form = await request.form()
        route = str(form.get("route", ""))[:64]
        try:
            technician_id = parse_technician(str(form.get("technician_id", "")))
            assigned = await dispatch.assign_route(db_session, actor, route, technician_id, policy, today)
        except DomainError as refused:
            flash(request, refused.message, "error")
            return _back(form)
        if assigned.orders:
            flash(
                request,
                ngettext(
                    "%(num)d order on route %(route)s assigned.",
                    "%(num)d orders on route %(route)s assigned.",
                    len(assigned.orders),
                    route=route,
                ),
                "success",
            )
        elif not assigned.held:
            flash(request, _("Route %(route)s has no unassigned open orders.", route=route), "info")
        _flash_held(request, assigned)
        return _back(form)

    @post("/routes/owner", name="staff.dispatch.route_owner")
    async def route_owner(self, request: Request, db_session: DbSession, actor: CurrentActor) -> Redirect:
        data = await request.form()
        technician_id = parse_technician(str(data.get("technician_id", "")))
        route = await dispatch.set_route_owner(db_session, actor, str(data.get("route", ""))[:64], technician_id)
        flash(
            request,
            _("Route %(code)s now belongs to the technician chosen.", code=route.code)
            if route.technician_id
            else _("Route %(code)s has no owner now.", code=route.code),
            "success",
        )
        return redirect_to("staff.dispatch", anchor="routes")

    @post("/orders", name="staff.dispatch.create")
    async def create(self, request: Request, db_session: DbSession, today: Today, actor: CurrentActor) -> Redirect:
        data = await request.form()
        try:
            number = numbers.normalize(str(data.get("account_number", "")))
            kind = WorkOrderKind(str(data.get("kind", "")))
            due_on = params.parse_date(data.get("due_on", ""))
        except (numbers.InvalidAccountNumber, ValueError):
            raise DomainError(_("Enter a valid account number, a kind and a due date.")) from None
        account = await services.account_numbered(db_session, number)
        if account is None:
            raise NotFound(_("No account has this number."))
        instructions = str(data.get("instructions", ""))
        order = await dispatch.create(db_session, actor, account, kind, due_on, instructions, today)
        flash(request, _("Order %(id)s created.", id=order.id), "success")
        return redirect_to("staff.dispatch")

    @post("/exceptions/{exception_id:int}/resolve", name="staff.dispatch.resolve")
    async def resolve(
        self, request: Request, db_session: DbSession, actor: CurrentActor, exception_id: FromPath[int]
    ) -> Redirect:
        note = str((await request.form()).get("note", "")).strip()
        if not note:
            raise DomainError(_("Say how the exception was resolved."), field="note")
        await sync_exceptions.resolve(db_session, actor, exception_id, note)
        flash(request, _("Exception resolved."), "success")
        return redirect_to("staff.dispatch", anchor="exceptions")

    @post("/exceptions/{exception_id:int}/override-hold", name="staff.dispatch.override_hold")
    async def override_hold(
        self, request: Request, db_session: DbSession, actor: CurrentActor, exception_id: FromPath[int]
    ) -> Redirect:
        reason = str((await request.form()).get("reason", ""))[:300]
        row = await sync_exceptions.override_hold(db_session, actor, exception_id, reason)
        flash(request, _("Hold overridden: order %(id)s may be disconnected.", id=row.work_order_id), "success")
        return redirect_to("staff.dispatch", anchor="exceptions")


_FILTERS = ("status", "kind", "route", "due_by", "technician")


def _back(form: Any) -> Redirect:
    """Back to the list as it was filtered (the bulk forms carry the filters as `back_*` fields)."""
    query = {name: str(form.get(f"back_{name}", ""))[:64] for name in _FILTERS}
    return redirect_to("staff.dispatch", query={k: v for k, v in query.items() if v})


def _flash_held(request: Request, assigned: dispatch.Assigned) -> None:
    """Say which disconnect orders a bulk assignment left alone, and why (the rule excludes their account today)."""
    for order, why in assigned.held:
        flash(
            request,
            _("Disconnect order %(id)s was not assigned: the account is excluded (%(why)s).", id=order.id, why=why),
            "warning",
        )
