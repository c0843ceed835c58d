"""Domain errors: raised by services and rules, turned into a page message or a JSON error by the web layer."""

from __future__ import annotations


class DomainError(Exception):
    """Something the person asked for cannot be done; `message` is written for them (already translated)."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or type(self).__name__


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class RateLimited(DomainError):
    status_code = 429
