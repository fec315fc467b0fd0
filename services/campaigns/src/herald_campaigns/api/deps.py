"""Dependency aliases: route signatures read like prose."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from herald_campaigns.contacts_client import ContactsClient
from herald_campaigns.settings import CampaignsSettings
from herald_kit.auth import Principal, scope_checker

CampaignsReader = Annotated[Principal, Depends(scope_checker("campaigns:read"))]
CampaignsWriter = Annotated[Principal, Depends(scope_checker("campaigns:write"))]


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
