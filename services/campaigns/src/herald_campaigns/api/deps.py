"""Dependency aliases: route signatures read like prose."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from herald_campaigns.contacts_client import ContactsClient
from herald_campaigns.domain.mention import MentionPolicy
from herald_campaigns.settings import CampaignsSettings
from herald_kit.auth import Forbidden, Principal, authenticate, scope_checker

CampaignsReader = Annotated[Principal, Depends(scope_checker("campaigns:read"))]
CampaignsWriter = Annotated[Principal, Depends(scope_checker("campaigns:write"))]


def _composer(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    """A preview reads nothing private and changes nothing: whoever may read campaigns or
    write them (a marketer composing one) may ask for it."""
    if not (principal.allows("campaigns:read") or principal.allows("campaigns:write")):
        raise Forbidden("this API key lacks the 'campaigns:read' or 'campaigns:write' scope")
    return principal


CampaignsComposer = Annotated[Principal, Depends(_composer)]


async def _contacts(request: Request) -> AsyncIterator[ContactsClient]:
    """The contacts API, asked about segments with the service key (the same one expansion
    uses); its connection opens only if the request asks something."""
    settings: CampaignsSettings = request.state.settings
    client = ContactsClient(settings.contacts)
    try:
        yield client
    finally:
        await client.aclose()


ContactsDep = Annotated[ContactsClient, Depends(_contacts)]


def _mention(request: Request) -> MentionPolicy:
    """The short codes of the STOP mention, as expansion uses them."""
    settings: CampaignsSettings = request.state.settings
    return settings.mention.policy()


MentionDep = Annotated[MentionPolicy, Depends(_mention)]
