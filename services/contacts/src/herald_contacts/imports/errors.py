"""Errors of CSV imports, each with its HTTP status."""

from __future__ import annotations

from herald_kit.errors import Conflict, DomainError, NotFound


class UnsupportedMediaType(DomainError):
    status_code = 415
    title = "Unsupported media type"


class FileTooLarge(DomainError):
    status_code = 413
    title = "Content too large"


class ImportNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no import with this id in this workspace")


class ImportFinished(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(f"the import is already {status}")


class ReportNotReady(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(
            f"the report of refused rows is written when the import is done (it is {status})"
        )
