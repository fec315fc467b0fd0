"""Errors of the receipts service, each with its HTTP status."""

from __future__ import annotations

from herald_kit.errors import NotFound


class DeliveryNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no delivery state for this message id in this workspace")
