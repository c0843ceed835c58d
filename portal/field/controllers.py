"""Technician pages (today's orders, one order with its action forms) and the phone's sync API.

Every page works as plain HTML forms (post, 303 redirect); with JavaScript the same forms go through the phone's
outbox and `POST /field/sync`. Both paths end in `sync.apply_one`, so an action has one set of rules.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from portal.accounts import photos
from portal.accounts.actor import Actor
from portal.accounts.errors import DomainError, NotFound
from portal.accounts.models import Origin, Role, WorkOrderStatus
from portal.accounts.policy import current_policy
from portal.i18n import gettext as _
from portal.web import guards, params
from portal.web.deps import AppSettings, DbSession, FromPath, FromQuery
from portal.web.flash import flash
from portal.web.identity import client_ip
from portal.web.urls import redirect_to

from . import download, rules, services, sync

MAX_BODY = 16 * 1024 * 1024


def _today(settings: Any) -> dt.date:
    return dt.datetime.now(ZoneInfo(settings.timezone)).date()


def _actor(request: Request, origin: Origin = Origin.SYNC) -> Actor:
    user = request.user
    return Actor(user_id=user.id, label=user.email, origin=origin, role=Role.FIELD, ip=client_ip(request))


def _context(request: Request, settings: Any, origin: Origin = Origin.SYNC) -> sync.Context:
    return sync.Context(policy=current_policy(), actor=_actor(request, origin), timezone=settings.timezone)


def _bad(message: str, code: str = "invalid") -> Response:
    return Response({"error": {"code": code, "message": message}}, status_code=HTTP_400_BAD_REQUEST)


def _uuid(value: object) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def parse_batch(body: object, limit: int) -> tuple[list[sync.Mutation], list[dict[str, Any]]] | str:
    """The batch's mutations, and answers for the entries that cannot even be read; or a message for a bad batch."""
    if not isinstance(body, dict) or body.get("schema") != sync.SCHEMA:
        return _("This phone's app is out of date: reload the page.")
    device = body.get("device_id")
    items = body.get("mutations")
    if not isinstance(device, str) or not device or not isinstance(items, list):
        return _("The batch has no device id or no actions.")
    if len(items) > limit:
        return _("At most %(n)s actions per batch.") % {"n": limit}
    mutations, answers = [], []
    for item in items:
        mutation_id = _uuid(item.get("mutation_id")) if isinstance(item, dict) else None
        if mutation_id is None:
            return _("Every action needs a valid id.")
        seq, kind, order_id = item.get("seq"), item.get("kind"), item.get("order_id")
        photo_ids = item.get("photo_ids") or []
        if (
            not isinstance(seq, int)
            or isinstance(seq, bool)
            or not isinstance(kind, str)
            or not (order_id is None or (isinstance(order_id, int) and not isinstance(order_id, bool)))
            or not isinstance(photo_ids, list)
            or any(_uuid(p) is None for p in photo_ids)
            or not isinstance(item.get("payload", {}), dict)
        ):
            answers.append(
                {
                    "mutation_id": mutation_id,
                    "seq": seq,
                    "status": "rejected",
                    "code": "invalid",
                    "message": _("This action could not be read. It was not applied."),
                    "server_state": None,
                }
            )
            continue
        base_version = item.get("base_version")
        mutations.append(
            sync.Mutation(
                mutation_id=mutation_id,
                device_id=device[:64],
                seq=seq,
                kind=kind,
                order_id=order_id,
                base_version=base_version if isinstance(base_version, int) else None,
                payload=item.get("payload") or {},
                photo_ids=tuple(_uuid(p) for p in photo_ids),
            )
        )
    return mutations, answers


class FieldController(Controller):
    path = "/field"
    guards = [guards.field]

    @get("/", name="field.today")
    async def today(self, request: Request, db_session: DbSession, settings: AppSettings) -> Template:
        today = _today(settings)
        orders = await services.orders_for(db_session, request.user.id, today)
        upcoming = await services.upcoming_for(db_session, request.user.id, today)
        return Template("field/today.html", context={"orders": orders, "upcoming": upcoming, "today": today})

    @get("/orders/{order_id:int}", name="field.order")
    async def order(
        self, request: Request, db_session: DbSession, settings: AppSettings, order_id: FromPath[int]
    ) -> Template:
        return Template("field/order.html", context=await self._order_context(request, db_session, settings, order_id))

    async def _order_context(
        self, request: Request, db_session: DbSession, settings: Any, order_id: int, **extra: Any
    ) -> dict[str, Any]:
        order, premise = await services.order_for(db_session, request.user.id, order_id)
        policy = current_policy()
        item = (await download.serialize(db_session, policy, [order], dt.datetime.now(dt.UTC), _today(settings)))[0]
        hold = await sync.disconnect_refusal(db_session, _context(request, settings, Origin.WEB), order)
        if "answer" not in extra:
            # A conflict the phone sent earlier still offers its restore here, where the technician asks, too.
            extra["answer"] = await services.restore_offer(db_session, request.user.id, order)
        return {
            "order": order,
            "premise": premise,
            "item": item,
            "skip_codes": rules.SKIP_CODES,
            "mutation_id": str(uuid.uuid4()),
            "errors": [],
            "values": {},
            "hold": hold,
            **extra,
        }

    @post("/orders/{order_id:int}/actions/{action:str}", request_max_body_size=MAX_BODY, name="field.order.act")
    async def act(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        order_id: FromPath[int],
        action: FromPath[str],
    ) -> Template | Redirect:
        """The no-JavaScript path: one form per action; a flagged read is asked again with a photo."""
        if action not in rules.ACTION_KINDS:
            raise NotFound(_("That action is not available here."))
        order, _premise = await services.order_for(db_session, request.user.id, order_id)
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        # One page load gives each of its forms its own id: sending a form twice is one action, not two.
        page_id = _uuid(values.get("mutation_id")) or str(uuid.uuid4())
        mutation_id = str(uuid.uuid5(uuid.UUID(page_id), action))
        ctx = _context(request, settings, Origin.WEB)
        errors: list[tuple[str, str]] = []
        payload: dict[str, Any] = {
            k: values[k] for k in ("value", "seal", "code", "note", "leak_found") if values.get(k)
        }
        still_open = order.status in (WorkOrderStatus.OPEN, WorkOrderStatus.ASSIGNED)
        if (
            action == "disconnect_done"
            and still_open
            and (refusal := await sync.disconnect_refusal(db_session, ctx, order))
        ):
            # Refused before anything is kept, photos included: there is nothing to record.
            context = await self._order_context(request, db_session, settings, order_id, answer=refusal, values=values)
            return Template("field/order.html", context=context, status_code=409)
        if action in rules.READ_ACTIONS and values.get("value") and still_open:
            check = await services.preview_read(db_session, ctx.policy, order, values["value"])
            if check is not None and rules.needs_confirmation(action, check.flags):
                if values.get("confirm_value") != values["value"]:
                    errors.append(("confirm_value", check.reason or _("Enter the read again to confirm it.")))
                payload["confirmed"] = True
        photo_ids: list[str] = []
        uploads = [u for u in form.getall("photo", []) if isinstance(u, UploadFile) and u.filename]
        needs_photo = still_open and (action in rules.PHOTO_REQUIRED or "confirmed" in payload)
        if needs_photo and not uploads:
            errors.append(("photo", _("Take a photo of the meter before finishing.")))
        if errors:
            context = await self._order_context(
                request,
                db_session,
                settings,
                order_id,
                errors=errors,
                values=values,
                action=action,
                mutation_id=page_id,
            )
            return Template("field/order.html", context=context, status_code=400)
        store = services.photo_store(request.app, settings)
        for upload in uploads:
            data = await upload.read()
            client_id = str(uuid.uuid5(uuid.UUID(mutation_id), upload.filename or "photo"))
            photo, _created = await photos.save_photo(
                db_session,
                store,
                ctx.policy,
                ctx.actor,
                client_id=client_id,
                data=data,
                sha256=photos.sha256_of(data),
                content_type=upload.content_type,
                work_order_id=order.id,
                keep_location=True,
            )
            photo_ids.append(photo.client_id)
        await db_session.commit()  # the photos stay even if the action is refused: they are evidence
        mutation = sync.Mutation(
            mutation_id=mutation_id,
            device_id="web",
            seq=0,
            kind=action,
            order_id=order_id,
            base_version=order.version,
            payload=payload,
            photo_ids=tuple(photo_ids),
        )
        answer = await sync.apply_one(request.app.state.sessionmaker, ctx, mutation)
        if answer["status"] in ("applied", "duplicate") and answer.get("original_status", "applied") == "applied":
            flash(request, _("Saved: order %(id)s.") % {"id": order_id}, "success")
            restore = answer.get("restore_order_id")
            return redirect_to("field.order", order_id=restore) if restore else redirect_to("field.today")
        context = await self._order_context(request, db_session, settings, order_id, answer=answer, values=values)
        return Template("field/order.html", context=context, status_code=409 if answer["status"] == "rejected" else 503)

    # ---- the phone's API ---------------------------------------------------------------------------------------

    @get("/sync", name="field.sync.pull")
    async def pull(
        self, request: Request, db_session: DbSession, settings: AppSettings, cursor: FromQuery[str | None] = None
    ) -> Response:
        body = await download.changes(db_session, current_policy(), request.user.id, cursor, _today(settings))
        return Response(body, headers={"Cache-Control": "no-store"})

    @post("/sync", request_max_body_size=MAX_BODY, name="field.sync.push")
    async def push(self, request: Request, settings: AppSettings) -> Response:
        try:
            body = await request.json()
        except Exception:  # noqa: BLE001 - any unreadable body is the same answer
            return _bad(_("The batch could not be read."))
        policy = current_policy()
        parsed = parse_batch(body, policy.sync_batch_max)
        if isinstance(parsed, str):
            return _bad(parsed)
        mutations, answers = parsed
        answers += await sync.apply_batch(request.app.state.sessionmaker, _context(request, settings), mutations)
        return Response({"schema": sync.SCHEMA, "answers": answers}, headers={"Cache-Control": "no-store"})

    @put("/photos/{client_id:str}", request_max_body_size=MAX_BODY, status_code=200, name="field.photo.upload")
    async def upload_photo(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        client_id: FromPath[str],
        order_id: params.QueryId,
        sha256: FromQuery[str],
    ) -> Response:
        order, _premise = await services.order_for(db_session, request.user.id, order_id, any_status=True)
        ctx = _context(request, settings)
        data = await request.body()
        try:
            photo, created = await photos.save_photo(
                db_session,
                services.photo_store(request.app, settings),
                ctx.policy,
                ctx.actor,
                client_id=client_id,
                data=data,
                sha256=sha256,
                content_type=request.headers.get("content-type"),
                work_order_id=order.id,
                keep_location=True,
            )  # where a technician's work photo was taken is part of the work record
        except DomainError as problem:
            return Response(
                {"error": {"code": problem.code, "message": problem.message}}, status_code=problem.status_code
            )
        return Response({"client_id": photo.client_id, "sha256": photo.sha256, "stored": created})

    @get("/photos/{client_id:str}", name="field.photo.status")
    async def photo_status(self, request: Request, db_session: DbSession, client_id: FromPath[str]) -> Response:
        photo = await photos.photo_by_client_id(db_session, _uuid(client_id) or "")
        if photo is None or photo.uploaded_by_id != request.user.id:
            raise NotFound(_("No photo with that id."))
        return Response({"client_id": photo.client_id, "sha256": photo.sha256})


ROUTES = [FieldController]
