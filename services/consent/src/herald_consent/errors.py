"""Errors of the consent service, each with its HTTP status."""

from __future__ import annotations

from herald_kit.errors import NotFound


class ConsentNotFound(NotFound):
    def __init__(self, masked_phone: str) -> None:
        super().__init__(f"no consent recorded for {masked_phone} in this workspace")
