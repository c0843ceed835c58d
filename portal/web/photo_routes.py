"""The photo route every side shares: a photo, or its thumbnail, to whoever may see it (portal.accounts.photo_access).

One route rather than one per side: the headers, the caching and the off-loop image work exist once, every page links
a photo by the same name (`photo`, `photo.thumb`), and who may see what is one rule with every role side by side,
where a reviewer sees nobody else gets in. Anyone signed in who may not see a photo gets the same 404 as for a photo
that does not exist; a visitor who is not signed in is sent to sign in, whatever the id.
"""

from __future__ import annotations

import logging

from litestar import Request, Response, get
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from portal.accounts import photo_access, photos
from portal.accounts.errors import NotFound
from portal.i18n import gettext as _

from . import guards
from .deps import AppSettings, DbSession, FromPath
from .photo_store import photo_store

log = logging.getLogger(__name__)

# Private: only the viewer's browser keeps a copy, never a shared proxy. An hour, so a photo seen on the account page
# opens at once, while a technician taken off an order stops seeing its photos soon after.
MAX_AGE_SECONDS = 3600
CACHE_CONTROL = f"private, max-age={MAX_AGE_SECONDS}"


async def serve(
    request: Request, db_session: DbSession, settings: AppSettings, photo_id: int, *, thumbnail: bool
) -> Response:
    viewer = await photo_access.viewer_of(db_session, request.user.id, request.user.role)
    photo = await photo_access.visible_photo(db_session, viewer, photo_id)
    # the stored bytes never change under a photo id: its checksum names this version
    etag = f'"{photo.sha256[:32]}-{"t" if thumbnail else "f"}"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    try:
        data = await photos.image_bytes(photo_store(request.app, settings), photo.storage_key, thumbnail=thumbnail)
    except FileNotFoundError:
        log.warning("photo %s has a row but no bytes under %s", photo.id, photo.storage_key)
        raise NotFound(_("We could not find that photo.")) from None
    return Response(
        data,
        media_type="image/jpeg" if thumbnail else photo.content_type,
        headers={**headers, "Content-Disposition": "inline"},
    )


@get("/photos/{photo_id:int}", name="photo", guards=[guards.signed_in])
async def photo_full(
    request: Request, db_session: DbSession, settings: AppSettings, photo_id: FromPath[int]
) -> Response:
    return await serve(request, db_session, settings, photo_id, thumbnail=False)


@get("/photos/{photo_id:int}/thumb", name="photo.thumb", guards=[guards.signed_in])
async def photo_thumb(
    request: Request, db_session: DbSession, settings: AppSettings, photo_id: FromPath[int]
) -> Response:
    return await serve(request, db_session, settings, photo_id, thumbnail=True)


ROUTES = [photo_full, photo_thumb]
