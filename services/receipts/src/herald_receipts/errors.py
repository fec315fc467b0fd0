"""Errors of the receipts service, each with its HTTP status."""

from __future__ import annotations

from herald_kit.errors import Conflict, NotFound


class DeliveryNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no delivery state for this message id in this workspace")


class ReviewNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no opt-out review with this id in this workspace")


class ReviewAlreadyResolved(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(f"this review was already resolved as {status!r}")
