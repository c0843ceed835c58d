"""The phone's photo uploads (each photo once, by its client id and checksum) and whether one has arrived."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, put

from portal.accounts import photos
from portal.accounts.errors import DomainError, NotFound
from portal.i18n import gettext as _
from portal.web import guards, params
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath, FromQuery
from portal.web.photo_store import photo_store

from .. import services
from ..batch import valid_uuid
from .common import MAX_BODY, sync_context


class PhotosController(Controller):
    path = "/field"
    guards = [guards.field]

    @put("/photos/{client_id:str}", request_max_body_size=MAX_BODY, status_code=200, name="field.photo.upload")
    async def upload_photo(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        policy: CurrentPolicy,
        actor: CurrentActor,
        client_id: FromPath[str],
        order_id: params.QueryId,
        sha256: FromQuery[str],
    ) -> Response:
        order, _premise = await services.order_for(db_session, request.user.id, order_id, any_status=True)
        ctx = sync_context(policy, actor, settings)
        data = await request.body()
        try:
            photo, created = await photos.save_photo(
                db_session,
                photo_store(request.app, settings),
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
        photo = await photos.photo_by_client_id(db_session, valid_uuid(client_id) or "")
        if photo is None or photo.uploaded_by_id != request.user.id:
            raise NotFound(_("No photo with that id."))
        return Response({"client_id": photo.client_id, "sha256": photo.sha256})
