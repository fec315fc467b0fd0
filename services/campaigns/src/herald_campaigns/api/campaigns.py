"""`/v1/campaigns`: compose, preview, read, list, launch, cancel."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from herald_campaigns import service
from herald_campaigns.api.deps import (
    CampaignsComposer,
    CampaignsReader,
    CampaignsWriter,
    ContactsDep,
    MentionDep,
)
from herald_campaigns.models import CampaignStatus
from herald_campaigns.schemas import (
    CampaignCreate,
    CampaignRead,
    PreviewRead,
    PreviewRequest,
    SampleContact,
)
from herald_campaigns.service import Preview
from herald_kit.app import OutboxDep, SessionDep
from herald_kit.errors import Unprocessable
from herald_kit.pagination import Page, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])


def _position(cursor: str) -> tuple[datetime, uuid.UUID]:
    values = decode_cursor(cursor)
    try:
        return datetime.fromisoformat(str(values["created_at"])), uuid.UUID(str(values["id"]))
    except (KeyError, ValueError) as error:
        raise Unprocessable("cursor: not a cursor returned by this API") from error


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_campaign(
    body: CampaignCreate, principal: CampaignsWriter, session: SessionDep, contacts: ContactsDep
) -> CampaignRead:
    """A draft campaign; nothing is sent before it is launched. The audience is
    `{"type": "all_contacts"}` or `{"type": "segment", "segment_id": ...}` (a saved segment
    of the contacts service, which must exist: 422 naming `audience.segment_id` otherwise).
    Numbers known to be unreachable are left out unless `include_unreachable` (segment)."""
    campaign = await service.create_campaign(session, principal.workspace_id, body, contacts)
    return CampaignRead.model_validate(campaign)


def _preview_read(preview: Preview) -> PreviewRead:
    composed = preview.composed
    return PreviewRead(
        text=composed.text,
        encoding=composed.encoding,
        characters=composed.units,
        segments=composed.segments,
        per_segment=composed.per_segment,
        non_gsm_characters=list(composed.non_gsm_characters),
        mention_added=composed.mention_added,
        country=preview.country,
    )


@router.post("/preview")
async def preview_composition(
    body: PreviewRequest,
    principal: CampaignsComposer,
    contacts: ContactsDep,
    mention: MentionDep,
) -> PreviewRead:
    """The text a campaign of this composition would send, exactly (personalised, folded
    when `fold_accents`, with the STOP mention and the workspace's short code when it is
    marketing), and what it costs: `encoding`, `characters` (septets or UCS-2 units),
    `segments`, `per_segment` and the `non_gsm_characters` that force UCS-2. Rendered for
    `sample` (names and country; default: no names, France) or for the workspace's contact
    `contact_id`. Nothing is stored or sent. A bad template is a 422 naming the variable and
    its position."""
    preview = await service.preview(
        principal.workspace_id,
        template=body.template,
        category=body.category.value,
        fold=body.fold_accents,
        mention=mention,
        sample=body.sample,
        contact_id=body.contact_id,
        contacts=contacts,
    )
    return _preview_read(preview)


@router.get("")
async def list_campaigns(
    principal: CampaignsReader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    status: CampaignStatus | None = None,
) -> Page[CampaignRead]:
    """Newest first."""
    before = _position(cursor) if cursor else None
    rows = await service.list_campaigns(
        session, principal.workspace_id, before, limit, status.value if status else None
    )
    next_cursor = None
    if len(rows) == limit:
        last = rows[-1]
        next_cursor = encode_cursor({"created_at": last.created_at.isoformat(), "id": str(last.id)})
    return Page[CampaignRead](
        items=[CampaignRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/{campaign_id}")
async def get_campaign(
    campaign_id: uuid.UUID, principal: CampaignsReader, session: SessionDep
) -> CampaignRead:
    campaign = await service.get_campaign(session, principal.workspace_id, campaign_id)
    return CampaignRead.model_validate(campaign)


@router.get("/{campaign_id}/preview")
async def preview_campaign(
    campaign_id: uuid.UUID,
    principal: CampaignsComposer,
    session: SessionDep,
    contacts: ContactsDep,
    mention: MentionDep,
    contact_id: uuid.UUID | None = None,
    first_name: Annotated[str | None, Query(max_length=100)] = None,
    last_name: Annotated[str | None, Query(max_length=100)] = None,
    country: Annotated[str, Query(pattern=r"^[A-Za-z]{2}$")] = "FR",
) -> PreviewRead:
    """A saved campaign's text, as `POST /v1/campaigns/preview` composes it: for the
    workspace's contact `contact_id`, or for a sample contact (`first_name`, `last_name`,
    `country`; not with `contact_id`)."""
    sample = SampleContact(first_name=first_name, last_name=last_name, country=country)
    if contact_id is not None and sample != SampleContact():
        raise Unprocessable(
            "contact_id: give either contact_id or sample fields (first_name, last_name, "
            "country), not both",
            field="contact_id",
        )
    preview = await service.preview_campaign(
        session,
        principal.workspace_id,
        campaign_id,
        mention=mention,
        sample=sample,
        contact_id=contact_id,
        contacts=contacts,
    )
    return _preview_read(preview)


@router.post("/{campaign_id}/launch", status_code=status.HTTP_202_ACCEPTED)
async def launch_campaign(
    campaign_id: uuid.UUID,
    principal: CampaignsWriter,
    session: SessionDep,
    outbox: OutboxDep,
    contacts: ContactsDep,
) -> CampaignRead:
    """Start expanding the audience; follow `status`, `expanded_count` and `expansion` on
    `GET /v1/campaigns/{id}` until the campaign is `running`. 409 unless it is a draft; 422
    when its segment no longer exists. A segment deleted during the expansion fails it:
    `expansion.state` is `failed` with the reason in `expansion.last_error`, the campaign
    stays `launching` and can be cancelled."""
    campaign = await service.launch_campaign(
        session, outbox, principal.workspace_id, campaign_id, contacts
    )
    return CampaignRead.model_validate(campaign)


@router.post("/{campaign_id}/cancel")
async def cancel_campaign(
    campaign_id: uuid.UUID, principal: CampaignsWriter, session: SessionDep, outbox: OutboxDep
) -> CampaignRead:
    """Stop the campaign: expansion stops and the dispatcher drops what is not sent yet.
    409 when it already completed or was cancelled."""
    campaign = await service.cancel_campaign(session, outbox, principal.workspace_id, campaign_id)
    return CampaignRead.model_validate(campaign)
