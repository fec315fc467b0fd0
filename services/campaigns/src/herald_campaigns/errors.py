"""Errors of the campaigns service, each with its HTTP status."""

from __future__ import annotations

import uuid

from herald_kit.errors import Conflict, DomainError, NotFound, Unprocessable


class CampaignNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no campaign with this id in this workspace")


class CampaignNotDraft(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(f"the campaign is {status}: only a draft campaign can be launched")


class CampaignAlreadyEnded(Conflict):
    def __init__(self, status: str) -> None:
        super().__init__(f"the campaign is already {status}: it cannot be cancelled")


class AudienceSegmentNotFound(Unprocessable):
    def __init__(self, segment_id: uuid.UUID) -> None:
        super().__init__(
            f"audience.segment_id: no segment {segment_id} in this workspace's contacts",
            field="audience.segment_id",
        )


class ContactsUnavailable(DomainError):
    """Contacts could not confirm the segment: try again (nothing was changed)."""

    status_code = 503
    title = "Service unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"audience.segment_id: the segment could not be checked ({reason}); try again"
        )


class PreviewContactNotFound(Unprocessable):
    def __init__(self, contact_id: uuid.UUID) -> None:
        super().__init__(
            f"contact_id: no contact {contact_id} in this workspace's contacts",
            field="contact_id",
        )


class PreviewContactUnavailable(DomainError):
    """Contacts could not give the contact to preview for: try again."""

    status_code = 503
    title = "Service unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(f"contact_id: the contact could not be read ({reason}); try again")


class BlankPreview(Unprocessable):
    """Expansion sends nothing to a contact for whom the template renders blank."""

    def __init__(self) -> None:
        super().__init__(
            "template: renders to an empty text for this contact (no value and no fallback "
            "for its variables): no message would be sent to them",
            field="template",
        )
