"""The technician's day (today's orders and what is coming) and one order with its action forms.

Every page works as plain HTML forms (post, 303 redirect); with JavaScript the same forms go through the phone's
outbox and `POST /field/sync`. Both paths end in `sync.apply_one`, so an action has one set of rules.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template

from portal import metrics
from portal.accounts.errors import NotFound
from portal.accounts.models import Origin
from portal.i18n import gettext as _
from portal.web import clock, guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, Today
from portal.web.flash import flash
from portal.web.photo_store import photo_store
from portal.web.urls import redirect_to

from .. import actions, rules, services
from .common import MAX_BODY, sync_context


class OrdersController(Controller):
    path = "/field"
    guards = [guards.field]

    @get("/", name="field.today")
    async def today(self, request: Request, db_session: DbSession, today: Today, settings: AppSettings) -> Template:
        zone = ZoneInfo(settings.timezone)
        midnight = dt.datetime.combine(today, dt.time(0), zone).astimezone(dt.UTC)
        day = await services.day_for(db_session, request.user.id, today, midnight)
        upcoming = await services.upcoming_for(db_session, request.user.id, today)
        return Template("field/today.html", context={"day": day, "upcoming": upcoming, "today": today})

    @get("/orders/{order_id:int}", name="field.order")
    async def order(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        order_id: FromPath[int],
    ) -> Template:
        ctx = sync_context(policy, actor, settings, Origin.WEB)
        context = await actions.order_page(db_session, ctx, request.user.id, order_id, clock.now(), today)
        return Template("field/order.html", context=context)

    @post("/orders/{order_id:int}/actions/{action:str}", request_max_body_size=MAX_BODY, name="field.order.act")
    async def act(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        today: Today,
        policy: CurrentPolicy,
        actor: CurrentActor,
        order_id: FromPath[int],
        action: FromPath[str],
    ) -> Template | Redirect:
        """The no-JavaScript path: one form per action; a flagged read is asked again with a photo."""
        if action not in rules.ACTION_KINDS:
            raise NotFound(_("That action is not available here."))
        order, _premise = await services.order_for(db_session, request.user.id, order_id)
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        uploads = [u for u in form.getall("photo", []) if isinstance(u, UploadFile) and u.filename]
        ctx = sync_context(policy, actor, settings, Origin.WEB)
        checked = await actions.check(db_session, ctx, order, action, values, uploads)
        if checked.refusal or checked.errors:
            extra = (
                {"answer": checked.refusal}
                if checked.refusal
                else {"errors": checked.errors, "action": action, "mutation_id": checked.page_id}
            )
            context = await actions.order_page(
                db_session, ctx, request.user.id, order_id, clock.now(), today, values=values, **extra
            )
            return Template("field/order.html", context=context, status_code=409 if checked.refusal else 400)
        store = photo_store(request.app, settings)
        answer = await actions.apply(
            db_session, request.app.state.sessionmaker, store, ctx, order, action, checked, uploads
        )
        metrics.count_sync_answers([answer], "form")
        if actions.applied(answer):
            flash(request, _("Saved: order %(id)s.") % {"id": order_id}, "success")
            restore = answer.get("restore_order_id")
            return redirect_to("field.order", order_id=restore) if restore else redirect_to("field.today")
        context = await actions.order_page(
            db_session, ctx, request.user.id, order_id, clock.now(), today, answer=answer, values=values
        )
        return Template("field/order.html", context=context, status_code=409 if answer["status"] == "rejected" else 503)
