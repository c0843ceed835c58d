"""Flash messages: one line shown on the next page (after a POST-redirect), kept in the session."""

from __future__ import annotations

from litestar.connection import ASGIConnection


def flash(connection: ASGIConnection, message: str, category: str = "info") -> None:
    connection.session.setdefault("_messages", []).append({"message": str(message), "category": category})
