"""Errors of the contacts service, each with its HTTP status."""

from __future__ import annotations

from herald_kit.errors import Conflict, DomainError, NotFound


class ContactNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no contact with this id in this workspace")


class ContactAlreadyExists(Conflict):
    def __init__(self, masked_phone: str) -> None:
        super().__init__(f"a contact with phone {masked_phone} already exists in this workspace")


class SegmentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no segment with this id in this workspace")


class SegmentNameTaken(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"name: a segment named {name!r} already exists in this workspace")


class AttributeTypeLocked(Conflict):
    def __init__(self, name: str, current: str) -> None:
        super().__init__(
            f"type: attribute {name!r} is a {current} held by contacts; its type cannot change "
            "while values of the old type exist"
        )


class SegmentQueryTooSlow(DomainError):
    status_code = 503
    title = "Service unavailable"

    def __init__(self) -> None:
        super().__init__("the filter took too long to evaluate: narrow it, or try again later")
