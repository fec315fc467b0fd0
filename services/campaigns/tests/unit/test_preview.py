"""The preview use case without a database: which contact it renders for, and its errors."""

from __future__ import annotations

import uuid

import pytest

from herald_campaigns import service
from herald_campaigns.contacts_client import ContactsCallError
from herald_campaigns.domain.audience import Recipient
from herald_campaigns.domain.mention import MentionPolicy
from herald_campaigns.errors import (
    BlankPreview,
    PreviewContactNotFound,
    PreviewContactUnavailable,
)
from herald_campaigns.schemas import SampleContact

MENTION = MentionPolicy("36111", {"acme": "38222"})
TEMPLATE = "Bonjour {{first_name|client}}"


class Directory:
    """Contacts as the preview sees them: one contact, or a failure."""

    def __init__(self, recipient: Recipient | None = None, *, down: bool = False) -> None:
        self.recipient = recipient
        self.down = down
        self.asked: list[tuple[str, uuid.UUID]] = []

    async def contact(self, workspace_id: str, contact_id: uuid.UUID) -> Recipient | None:
        self.asked.append((workspace_id, contact_id))
        if self.down:
            raise ContactsCallError("contacts answered HTTP 503")
        return self.recipient


async def test_a_sample_is_rendered_with_the_workspaces_short_code() -> None:
    result = await service.preview(
        "acme",
        template=TEMPLATE,
        category="marketing",
        fold=False,
        mention=MENTION,
        sample=SampleContact(first_name="Zoé", country="mq"),
    )
    assert (result.composed.text, result.country) == ("Bonjour Zoé STOP au 38222", "FR")


async def test_a_contact_is_asked_for_in_the_workspace() -> None:
    contact_id = uuid.uuid4()
    directory = Directory(Recipient(contact_id, "+12125550123", "Ann"))
    result = await service.preview(
        "ws",
        template=TEMPLATE,
        category="marketing",
        fold=False,
        mention=MENTION,
        contact_id=contact_id,
        contacts=directory,
    )
    assert directory.asked == [("ws", contact_id)]
    assert (result.composed.text, result.country) == ("Bonjour Ann Reply STOP to opt out", "US")


@pytest.mark.parametrize(
    ("directory", "error"),
    [
        (Directory(None), PreviewContactNotFound),
        (Directory(down=True), PreviewContactUnavailable),
        (None, PreviewContactUnavailable),
    ],
)
async def test_a_contact_that_cannot_be_read_is_an_error(
    directory: Directory | None, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await service.preview(
            "ws",
            template=TEMPLATE,
            category="marketing",
            fold=False,
            mention=MENTION,
            contact_id=uuid.uuid4(),
            contacts=directory,
        )


async def test_a_blank_rendering_is_an_error() -> None:
    with pytest.raises(BlankPreview):
        await service.preview(
            "ws", template="{{last_name}}", category="marketing", fold=False, mention=MENTION
        )


def test_the_unavailable_contact_is_a_503() -> None:
    assert PreviewContactUnavailable("down").status_code == 503
