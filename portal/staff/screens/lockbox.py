"""The bank's lockbox file: upload it, see what was posted, and each past import."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template

from portal.accounts.errors import DomainError
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import AppSettings, CurrentActor, CurrentPolicy, DbSession, FromPath
from portal.web.flash import flash
from portal.web.urls import redirect_to

from .. import lockbox


async def _page(db_session: DbSession, error: str | None = None, status_code: int = 200) -> Template:
    batches = await lockbox.recent_batches(db_session)
    return Template("staff/lockbox.html", context={"batches": batches, "error": error}, status_code=status_code)


class LockboxController(Controller):
    path = "/staff/lockbox"
    guards = [guards.staff]

    @get("/", name="staff.lockbox")
    async def page(self, db_session: DbSession) -> Template:
        return await _page(db_session)

    @post("/", request_max_body_size=lockbox.MAX_BYTES + 64 * 1024, name="staff.lockbox.upload")
    async def upload(
        self,
        request: Request,
        db_session: DbSession,
        settings: AppSettings,
        policy: CurrentPolicy,
        actor: CurrentActor,
    ) -> Template | Redirect:
        upload = (await request.form()).get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await _page(db_session, _("Choose the bank's CSV file."), 400)
        content = await upload.read()
        try:
            batch = await lockbox.import_file(
                db_session, actor, policy, file_name=upload.filename, content=content, timezone=settings.timezone
            )
        except DomainError as exc:
            return await _page(db_session, exc.message, 400)
        flash(
            request,
            _(
                "%(posted)d payments posted, %(duplicates)d already posted, %(rejected)d refused.",
                posted=batch.posted,
                duplicates=batch.duplicates,
                rejected=batch.rejected,
            ),
            "success",
        )
        return redirect_to("staff.lockbox.batch", batch_id=batch.id)

    @get("/{batch_id:int}", name="staff.lockbox.batch")
    async def batch(self, db_session: DbSession, batch_id: FromPath[int]) -> Template:
        return Template("staff/lockbox_batch.html", context={"batch": await lockbox.batch_by_id(db_session, batch_id)})
