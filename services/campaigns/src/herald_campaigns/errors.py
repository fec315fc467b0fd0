"""Errors of the campaigns service, each with its HTTP status."""

from __future__ import annotations

from herald_kit.errors import Conflict, NotFound


class CampaignNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no campaign with this id in this workspace")


class CampaignNotDraft(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(f"the campaign is {status}: only a draft campaign can be launched")


class CampaignAlreadyEnded(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(f"the campaign is already {status}: it cannot be cancelled")
