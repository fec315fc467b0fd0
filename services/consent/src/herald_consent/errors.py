"""Errors of the consent service, each with its HTTP status."""

from __future__ import annotations

from herald_kit.errors import Conflict, DomainError, NotFound


class ConsentNotFound(NotFound):
    def __init__(self, masked_phone: str) -> None:
        super().__init__(f"no consent recorded for {masked_phone} in this workspace")


class DoubleOptInNotFound(NotFound):
    def __init__(self, what: str = "double opt-in request") -> None:
        super().__init__(f"no such {what}")


class ConfirmationGone(DomainError):
    """A confirmation link that can no longer confirm anything (expired, replaced)."""

    status_code = 410
    title = "Gone"


class ConfirmationUsed(Conflict):
    def __init__(self) -> None:
        super().__init__("this confirmation link was already used: the subscription is confirmed")
