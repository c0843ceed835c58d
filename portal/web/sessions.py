"""The session cookie, sent again only when it changed or is due a refresh.

Litestar's client-side session encrypts the session and sets its cookie on every response, so every page costs an
AES-GCM encryption and a ~250-byte header. Here a response carries `Set-Cookie` only when the session's contents
changed during the request, or when the cookie's sliding expiry (12 idle hours, `session_max_age`) was last pushed
forward more than REFRESH_SECONDS ago; otherwise the browser's cookie stays as good as it was. The session is still
decrypted once per request, by the session middleware, and nowhere else."""

from __future__ import annotations

import binascii
import contextlib
import time
from base64 import b64decode
from typing import Any

from cryptography.exceptions import InvalidTag
from litestar.connection import ASGIConnection
from litestar.middleware.session.client_side import AAD, NONCE_SIZE, ClientSideSessionBackend, CookieBackendConfig
from litestar.serialization import decode_json
from litestar.types import Empty, Message, ScopeSession

REFRESH_SECONDS = 5 * 60  # an idle session then lasts its 12 hours less at most 5 minutes
_LOADED = "portal.session_loaded"  # scope state: (the session as loaded, serialized; when its cookie expires)


class QuietCookieBackend(ClientSideSessionBackend):
    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        if cookie_keys := self.get_cookie_keys(connection):
            data = [connection.cookies[key].encode("utf-8") for key in cookie_keys]
            with contextlib.suppress(InvalidTag, binascii.Error, ValueError, KeyError, TypeError):
                session, expires_at = self._load(data)
                if session:
                    state = connection.scope.setdefault("state", {})
                    state[_LOADED] = (self.serialize_data(session), expires_at)
                return session
        return {}

    def _load(self, data: list[bytes]) -> tuple[dict[str, Any], int]:
        """Litestar's `load_data`, also returning the expiry the cookie was sealed with."""
        decoded = b64decode(b"".join(data))
        nonce = decoded[:NONCE_SIZE]
        aad_starts_from = decoded.find(AAD)
        associated_data = decoded[aad_starts_from:].replace(AAD, b"") if aad_starts_from != -1 else None
        if not associated_data:
            return {}, 0
        expires_at = int(decode_json(value=associated_data)["expires_at"])
        if expires_at <= round(time.time()):
            return {}, 0
        decrypted = self.aesgcm.decrypt(nonce, decoded[NONCE_SIZE:aad_starts_from], associated_data=associated_data)
        return self.deserialize_data(decrypted), expires_at

    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection) -> None:
        loaded = connection.scope.get("state", {}).get(_LOADED)
        if loaded is not None and scope_session and scope_session is not Empty:
            serialized, expires_at = loaded
            fresh = expires_at - time.time() > self.config.max_age - REFRESH_SECONDS
            if fresh and self.serialize_data(scope_session, connection.scope) == serialized:
                return  # unchanged and recently sealed: the browser's cookie is still right
        await super().store_in_message(scope_session, message, connection)


class QuietCookieConfig(CookieBackendConfig):
    _backend_class = QuietCookieBackend
