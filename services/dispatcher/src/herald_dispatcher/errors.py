"""Errors of the dispatcher service, each with its HTTP status."""

from __future__ import annotations

from herald_kit.errors import NotFound


class MessageNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no message with this id in this workspace")
