"""The phone's sync API: pull the technician's orders (changes since a cursor) and push a batch of actions."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.status_codes import HTTP_400_BAD_REQUEST

from portal import metrics
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromQuery, Today

from .. import download, sync
from ..batch import parse_batch
from .common import MAX_BODY, sync_context

NO_STORE = {"Cache-Control": "no-store"}


def _bad(message: str, code: str = "invalid") -> Response:
    return Response({"error": {"code": code, "message": message}}, status_code=HTTP_400_BAD_REQUEST)


class SyncController(Controller):
    path = "/field"
    guards = [guards.field]

    @get("/sync", name="field.sync.pull")
    async def pull(
        self,
        request: Request,
        db_session: DbSession,
        today: Today,
        policy: CurrentPolicy,
        cursor: FromQuery[str | None] = None,
    ) -> Response:
        body = await download.changes(db_session, policy, request.user.id, cursor, today)
        return Response(body, headers=NO_STORE)

    @post("/sync", request_max_body_size=MAX_BODY, name="field.sync.push")
    async def push(
        self, request: Request, settings: AppSettings, policy: CurrentPolicy, actor: CurrentActor
    ) -> Response:
        try:
            body = await request.json()
        except Exception:  # any unreadable body gets the same answer
            return _bad(_("The batch could not be read."))
        parsed = parse_batch(body, policy.sync_batch_max)
        if isinstance(parsed, str):
            return _bad(parsed)
        mutations, answers = parsed
        ctx = sync_context(policy, actor, settings)
        answers += await sync.apply_batch(request.app.state.sessionmaker, ctx, mutations)
        metrics.count_sync_answers(answers, "phone")
        return Response({"schema": sync.SCHEMA, "answers": answers}, headers=NO_STORE)
