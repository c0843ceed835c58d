"""Print batches: each cycle's paper by bill-run date, with its counts; the PDF and the vendor's manifest to download
(every download audited: the files hold customers' names, addresses and balances)."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.exceptions import NotFoundException
from litestar.response import Template

from portal.accounts import audit
from portal.i18n import gettext as _
from portal.web import guards
from portal.web.deps import CurrentActor, DbSession, FromPath

from .. import print_batch

PRIVATE = "private, no-store"


class PrintController(Controller):
    path = "/staff/print"
    guards = [guards.staff]

    @get("/", name="staff.print")
    async def page(self, db_session: DbSession) -> Template:
        return Template("staff/print.html", context={"batches": await print_batch.recent(db_session)})

    @get("/{batch_id:int}/pdf", name="staff.print.pdf")
    async def pdf(self, db_session: DbSession, actor: CurrentActor, batch_id: FromPath[int]) -> Response:
        batch = await print_batch.with_file(db_session, batch_id)
        if batch is None:
            raise NotFoundException(_("No such print batch."))
        await audit.record(db_session, actor, "print_batch.download", "print_batch", batch.id, after={"file": "pdf"})
        return Response(
            batch.pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{print_batch.file_name(batch, "pdf")}"',
                "Cache-Control": PRIVATE,
            },
        )

    @get("/{batch_id:int}/manifest", name="staff.print.manifest")
    async def manifest(self, db_session: DbSession, actor: CurrentActor, batch_id: FromPath[int]) -> Response:
        batch = await print_batch.with_file(db_session, batch_id)
        if batch is None:
            raise NotFoundException(_("No such print batch."))
        await audit.record(
            db_session, actor, "print_batch.download", "print_batch", batch.id, after={"file": "manifest"}
        )
        return Response(
            batch.manifest_csv,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{print_batch.file_name(batch, "csv")}"',
                "Cache-Control": PRIVATE,
            },
        )
