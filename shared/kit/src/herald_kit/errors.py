"""Errors: domain errors carry their HTTP status; consumer errors carry their handling class."""

from __future__ import annotations


class DomainError(Exception):
    """A business error with its HTTP status, rendered as RFC 9457 problem details."""

    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, *, status_code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code


class NotFound(DomainError):
    status_code = 404
    title = "Not found"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"


class Unprocessable(DomainError):
    """A 422 from business validation; `field` names the offending input like a schema 422."""

    status_code = 422
    title = "Unprocessable content"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class PermanentError(Exception):
    """An event that can never be handled: it goes to the topic's dead-letter queue."""


class TransientError(Exception):
    """A failure that a retry of the same event may cure: retried in place, never skipped."""


class ConsumerStopped(Exception):
    """The dead-letter breaker tripped: too many events failing looks like a bad deploy."""
