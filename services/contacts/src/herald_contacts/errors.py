"""Errors of the contacts service, each with its HTTP status."""

from __future__ import annotations

from herald_kit.errors import Conflict, NotFound


class ContactNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no contact with this id in this workspace")


class ContactAlreadyExists(Conflict):
    def __init__(self, masked_phone: str) -> None:
        super().__init__(f"a contact with phone {masked_phone} already exists in this workspace")
