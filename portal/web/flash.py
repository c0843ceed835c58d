"""Flash messages: one line shown on the next page (after a POST-redirect), kept in the session."""

from __future__ import annotations

from litestar.connection import ASGIConnection


def flash(connection: ASGIConnection, message: str, category: str = "info") -> None:
    if not isinstance(connection.scope.get("session"), dict):
        connection.set_session({})  # just signed out: the session was cleared
    connection.session.setdefault("_messages", []).append({"message": str(message), "category": category})
