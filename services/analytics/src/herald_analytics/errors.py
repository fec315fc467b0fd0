"""Errors of the analytics service, each with its HTTP status."""

from __future__ import annotations

from herald_kit.errors import NotFound, Unprocessable


class CampaignNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no campaign with this id in this workspace")


class InvalidDateRange(Unprocessable):
    """`detail` starts with the offending query parameter, e.g. `to: ...`."""
