"""Use cases of the campaigns service. They never commit: the entrypoint owns the transaction.

Every event of a campaign carries the campaign id as its correlation id, and every event
id is deterministic (herald_campaigns.domain.messages): a repeated step stages nothing new.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from herald_campaigns import repository
from herald_campaigns.contacts_client import ContactsCallError
from herald_campaigns.domain.audience import Recipient, plan_messages, scope_of
from herald_campaigns.domain.compose import Composed, compose
from herald_campaigns.domain.mention import MentionPolicy, mention_country, mention_region
from herald_campaigns.domain.messages import (
    requested_event_id,
    scheduled_event_id,
    updated_event_id,
)
from herald_campaigns.domain.templates import parse
from herald_campaigns.errors import (
    AudienceSegmentNotFound,
    BlankPreview,
    CampaignAlreadyEnded,
    CampaignNotDraft,
    CampaignNotFound,
    ContactsUnavailable,
    PreviewContactNotFound,
    PreviewContactUnavailable,
)
from herald_campaigns.models import Campaign, CampaignStatus, ExpansionJob, JobState
from herald_campaigns.schemas import CampaignCreate, SampleContact
from herald_events.models.campaigns import (
    CampaignScheduledV1,
    CampaignState,
    CampaignUpdatedV1,
    CapPolicy,
    SmsPriority,
    SmsRequestedV1,
)
from herald_events.models.consent import ConsentChangedV1
from herald_kit.logs import get_logger
from herald_kit.outbox import Outbox

log = get_logger(__name__)

SCHEDULED_TOPIC = "campaign.scheduled"
UPDATED_TOPIC = "campaign.updated"
REQUESTED_TOPIC = "sms.requested"
ENDED = (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)
LAST_ERROR_MAX = 500


def _now() -> datetime:
    return datetime.now(UTC)


# --- the API's use cases -------------------------------------------------------------------


class SegmentDirectory(Protocol):
    """Where saved segments live (the contacts service: contacts_client.ContactsClient)."""

    async def segment_exists(self, workspace_id: str, segment_id: uuid.UUID) -> bool: ...


async def _check_audience(
    segments: SegmentDirectory | None, workspace_id: str, audience: Mapping[str, Any]
) -> None:
    """A segment audience must name a segment that exists now: 422 naming it, or 503 when
    contacts cannot say. It may still be deleted later: expansion then fails, saying so."""
    segment_id = scope_of(audience).segment_id
    if segments is None or segment_id is None:
        return
    try:
        exists = await segments.segment_exists(workspace_id, segment_id)
    except ContactsCallError as error:
        raise ContactsUnavailable(str(error)) from None
    if not exists:
        raise AudienceSegmentNotFound(segment_id)


async def create_campaign(
    session: AsyncSession,
    workspace_id: str,
    data: CampaignCreate,
    segments: SegmentDirectory | None = None,
) -> Campaign:
    """A draft; with `segments`, a segment audience is checked first."""
    audience = data.audience.model_dump(mode="json")
    await _check_audience(segments, workspace_id, audience)
    now = _now()
    campaign = Campaign(
        id=uuid.uuid4(),
        workspace_id=workspace_id,
        name=data.name,
        template=data.template,
        category=data.category.value,
        brand=data.brand,
        sender=data.sender,
        audience=audience,
        status=CampaignStatus.DRAFT.value,
        expires_in_hours=data.expires_in_hours,
        priority=data.priority.value,
        cap_policy=data.cap_policy.value,
        fold_accents=data.fold_accents,
        expires_at=None,
        launched_at=None,
        audience_size=None,
        expanded_count=0,
        created_at=now,
        updated_at=now,
        expansion=None,
    )
    await repository.add(session, campaign)
    return campaign


async def get_campaign(
    session: AsyncSession, workspace_id: str, campaign_id: uuid.UUID
) -> Campaign:
    campaign = await repository.get_campaign(session, workspace_id, campaign_id)
    if campaign is None:
        raise CampaignNotFound()
    return campaign


async def list_campaigns(
    session: AsyncSession,
    workspace_id: str,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
    status: str | None = None,
) -> Sequence[Campaign]:
    return await repository.page_campaigns(session, workspace_id, before, limit, status)


async def _locked(session: AsyncSession, workspace_id: str, campaign_id: uuid.UUID) -> Campaign:
    """The campaign, locked until the transaction ends (launch, cancel and expansion
    serialise on it: a cancel never interleaves with a chunk of messages)."""
    campaign = await repository.get_campaign(session, workspace_id, campaign_id, for_update=True)
    if campaign is None:
        raise CampaignNotFound()
    return campaign


async def launch_campaign(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    campaign_id: uuid.UUID,
    segments: SegmentDirectory | None = None,
) -> Campaign:
    """Draft -> launching, with its expansion job and `campaign.scheduled`, atomically.
    With `segments`, a segment audience is checked again first (it may have been deleted
    since), before the campaign is locked: no lock is held across the HTTP call."""
    if segments is not None:
        draft = await get_campaign(session, workspace_id, campaign_id)
        if draft.status != CampaignStatus.DRAFT:
            raise CampaignNotDraft(draft.status)
        await _check_audience(segments, workspace_id, draft.audience)
    campaign = await _locked(session, workspace_id, campaign_id)
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignNotDraft(campaign.status)
    now = _now()
    campaign.status = CampaignStatus.LAUNCHING.value
    campaign.launched_at = now
    campaign.expires_at = now + timedelta(hours=campaign.expires_in_hours)
    campaign.updated_at = now
    campaign.expansion = ExpansionJob(
        campaign_id=campaign.id,
        workspace_id=workspace_id,
        cursor=None,
        state=JobState.PENDING.value,
        attempts=0,
        last_error=None,
        updated_at=now,
    )
    await session.flush()
    payload = CampaignScheduledV1(
        campaign_id=campaign.id,
        name=campaign.name,
        category=campaign.category,
        brand=campaign.brand,
        sender=campaign.sender,
        audience_size=None,
        launched_at=now,
        expires_at=campaign.expires_at,
    )
    envelope = outbox.envelope(
        SCHEDULED_TOPIC,
        payload,
        workspace_id=workspace_id,
        event_id=scheduled_event_id(campaign.id),
        correlation_id=campaign.id,
    )
    await outbox.add(session, SCHEDULED_TOPIC, str(campaign.id), envelope)
    return campaign


async def _announce(
    session: AsyncSession, outbox: Outbox, campaign: Campaign, state: CampaignState
) -> None:
    payload = CampaignUpdatedV1(
        campaign_id=campaign.id,
        state=state,
        audience_size=campaign.audience_size,
        changed_at=campaign.updated_at,
    )
    envelope = outbox.envelope(
        UPDATED_TOPIC,
        payload,
        workspace_id=campaign.workspace_id,
        event_id=updated_event_id(campaign.id, state.value),
        correlation_id=campaign.id,
        causation_id=scheduled_event_id(campaign.id) if campaign.launched_at else None,
    )
    await outbox.add(session, UPDATED_TOPIC, str(campaign.id), envelope)


async def cancel_campaign(
    session: AsyncSession, outbox: Outbox, workspace_id: str, campaign_id: uuid.UUID
) -> Campaign:
    """Any campaign that has not ended; its expansion stops, the dispatcher drops the rest."""
    campaign = await _locked(session, workspace_id, campaign_id)
    if campaign.status in ENDED:
        raise CampaignAlreadyEnded(campaign.status)
    now = _now()
    campaign.status = CampaignStatus.CANCELLED.value
    campaign.updated_at = now
    job = await repository.get_job(session, workspace_id, campaign_id, for_update=True)
    if job is not None and job.state in (JobState.PENDING, JobState.RUNNING):
        job.state = JobState.DONE.value
        job.updated_at = now
    await session.flush()
    await _announce(session, outbox, campaign, CampaignState.CANCELLED)
    return campaign


# --- previews -------------------------------------------------------------------------------


class ContactDirectory(Protocol):
    """Where a workspace's contacts live (contacts_client.ContactsClient)."""

    async def contact(self, workspace_id: str, contact_id: uuid.UUID) -> Recipient | None: ...


@dataclass(frozen=True)
class Preview:
    composed: Composed
    country: str  # whose STOP mention applies


async def preview(
    workspace_id: str,
    *,
    template: str,
    category: str,
    fold: bool,
    mention: MentionPolicy,
    sample: SampleContact | None = None,
    contact_id: uuid.UUID | None = None,
    contacts: ContactDirectory | None = None,
) -> Preview:
    """The text a campaign of this composition would send to `sample` (default: a French
    contact without names) or to the workspace's contact `contact_id`, composed by the code
    expansion runs (domain/compose.py), with its cost. Nothing is stored or sent."""
    if contact_id is not None:
        recipient = await _contact(contacts, workspace_id, contact_id)
        values = {"first_name": recipient.first_name, "last_name": recipient.last_name}
        country = mention_country(recipient.phone)
    else:
        sample = sample or SampleContact()
        values = {"first_name": sample.first_name, "last_name": sample.last_name}
        country = mention_region(sample.country)
    rendered = parse(template).render(values)
    if not rendered.strip():
        raise BlankPreview()
    composed = compose(
        rendered,
        category=category,
        country=country,
        short_code=mention.short_code(workspace_id),
        fold=fold,
    )
    return Preview(composed, country)


async def _contact(
    contacts: ContactDirectory | None, workspace_id: str, contact_id: uuid.UUID
) -> Recipient:
    if contacts is None:
        raise PreviewContactUnavailable("no contacts service configured")
    try:
        recipient = await contacts.contact(workspace_id, contact_id)
    except ContactsCallError as error:
        raise PreviewContactUnavailable(str(error)) from None
    if recipient is None:
        raise PreviewContactNotFound(contact_id)
    return recipient


async def preview_campaign(
    session: AsyncSession,
    workspace_id: str,
    campaign_id: uuid.UUID,
    *,
    mention: MentionPolicy,
    sample: SampleContact | None = None,
    contact_id: uuid.UUID | None = None,
    contacts: ContactDirectory | None = None,
) -> Preview:
    """A saved campaign's text, as `preview` composes it."""
    campaign = await get_campaign(session, workspace_id, campaign_id)
    return await preview(
        workspace_id,
        template=campaign.template,
        category=campaign.category,
        fold=campaign.fold_accents,
        mention=mention,
        sample=sample,
        contact_id=contact_id,
        contacts=contacts,
    )


# --- the handlers' use cases ---------------------------------------------------------------


async def record_consent(
    session: AsyncSession, workspace_id: str, change: ConsentChangedV1
) -> None:
    await record_consents(session, [(workspace_id, change)])


async def record_consents(
    session: AsyncSession, changes: Sequence[tuple[str, ConsentChangedV1]]
) -> None:
    """`record_consent` for a run of `(workspace, change)` at once."""
    await repository.upsert_consents(
        session,
        [
            (
                workspace_id,
                change.phone,
                change.purpose.value,
                change.brand,
                change.status.value,
                change.changed_at,
            )
            for workspace_id, change in changes
        ],
    )


async def ensure_expansion(
    session: AsyncSession, workspace_id: str, scheduled: CampaignScheduledV1
) -> bool:
    """A scheduled campaign that is launching has an expansion job: create a missing one
    (e.g. a job row lost to a partial restore). True when one was created."""
    campaign = await repository.get_campaign(
        session, workspace_id, scheduled.campaign_id, for_update=True
    )
    if campaign is None:
        log.warning(
            "campaigns.scheduled_unknown_campaign",
            workspace_id=workspace_id,
            campaign_id=str(scheduled.campaign_id),
        )
        return False
    if campaign.status != CampaignStatus.LAUNCHING or campaign.expansion is not None:
        return False
    campaign.expansion = ExpansionJob(
        campaign_id=campaign.id,
        workspace_id=workspace_id,
        cursor=None,
        state=JobState.PENDING.value,
        attempts=0,
        last_error=None,
        updated_at=_now(),
    )
    await session.flush()
    log.info("expansion.job_restored", workspace_id=workspace_id, campaign_id=str(campaign.id))
    return True


# --- the expansion worker's use cases ------------------------------------------------------


@dataclass(frozen=True)
class ClaimedJob:
    campaign_id: uuid.UUID
    workspace_id: str
    cursor: uuid.UUID | None
    attempts: int
    audience: Mapping[str, Any]  # the campaign's, as stored (schemas.Audience as JSON)


async def claim_job(session: AsyncSession, lease: timedelta) -> ClaimedJob | None:
    claimed = await repository.claim_job(session, lease)
    if claimed is None:
        return None
    job, audience = claimed
    job.state = JobState.RUNNING.value
    job.updated_at = _now()
    await session.flush()
    return ClaimedJob(job.campaign_id, job.workspace_id, job.cursor, job.attempts, audience)


class ChunkOutcome(StrEnum):
    CONTINUE = "continue"  # committed; stream on
    FINISHED = "finished"  # the last chunk: the campaign is running
    CANCELLED = "cancelled"  # the campaign is no longer launching: the job is done
    LOST = "lost"  # another worker owns the job now (its cursor moved) or it ended


@dataclass(frozen=True)
class ChunkResult:
    outcome: ChunkOutcome
    requested: int = 0


async def apply_chunk(
    session: AsyncSession,
    outbox: Outbox,
    job: ClaimedJob,
    expected_cursor: uuid.UUID | None,
    recipients: Sequence[Recipient],
    last_contact_id: uuid.UUID | None,
    *,
    final: bool,
    mention: MentionPolicy | None = None,
) -> ChunkResult:
    """One chunk of the audience, atomically: the messages of the contacts who may receive
    the campaign, the job's cursor moved to `last_contact_id` (the last contact streamed,
    kept or not) and the count; on the `final` chunk the campaign starts running.

    The job row must still be ours: running, at `expected_cursor`. Message and event ids
    are deterministic, so a chunk written again after a crash stages nothing new."""
    campaign = await repository.get_campaign(
        session, job.workspace_id, job.campaign_id, for_update=True
    )
    row = await repository.get_job(session, job.workspace_id, job.campaign_id, for_update=True)
    if campaign is None or row is None:
        return ChunkResult(ChunkOutcome.LOST)
    if row.state != JobState.RUNNING or row.cursor != expected_cursor:
        return ChunkResult(ChunkOutcome.LOST)
    now = _now()
    if campaign.status != CampaignStatus.LAUNCHING:
        row.state = JobState.DONE.value
        row.updated_at = now
        await session.flush()
        return ChunkResult(ChunkOutcome.CANCELLED)
    planned = plan_messages(
        campaign_id=campaign.id,
        category=campaign.category,
        brand=campaign.brand,
        template=parse(campaign.template),
        recipients=recipients,
        consents=await repository.consents_for(
            session,
            job.workspace_id,
            [r.phone for r in recipients],
            campaign.category,
            campaign.brand,
        ),
        short_code=(mention or MentionPolicy()).short_code(job.workspace_id),
        fold=campaign.fold_accents,
    )
    expires_at = campaign.expires_at or (now + timedelta(hours=campaign.expires_in_hours))
    rows = []
    for message in planned:
        payload = SmsRequestedV1(
            message_id=message.message_id,
            phone=message.phone,
            text=message.text,
            category=campaign.category,
            brand=campaign.brand,
            sender=campaign.sender,
            campaign_id=campaign.id,
            contact_id=message.contact_id,
            variant=None,
            not_before=None,
            expires_at=expires_at,
            priority=SmsPriority(campaign.priority),
            cap_policy=CapPolicy(campaign.cap_policy),
        )
        envelope = outbox.envelope(
            REQUESTED_TOPIC,
            payload,
            workspace_id=job.workspace_id,
            event_id=requested_event_id(message.message_id),
            correlation_id=campaign.id,
            causation_id=scheduled_event_id(campaign.id),
        )
        rows.append((REQUESTED_TOPIC, message.phone, envelope))
    await outbox.add_many(session, rows)
    if last_contact_id is not None:
        row.cursor = last_contact_id
    campaign.expanded_count += len(planned)
    row.updated_at = now
    outcome = ChunkOutcome.CONTINUE
    if final:
        row.state = JobState.DONE.value
        campaign.status = CampaignStatus.RUNNING.value
        campaign.audience_size = campaign.expanded_count
        campaign.updated_at = now
        outcome = ChunkOutcome.FINISHED
    await session.flush()
    if final:
        await _announce(session, outbox, campaign, CampaignState.RUNNING)
    return ChunkResult(outcome, len(planned))


async def record_failure(
    session: AsyncSession, job: ClaimedJob, error: str, max_attempts: int, *, permanent: bool
) -> bool:
    """Count a failed attempt; the job fails for good when `permanent` or out of attempts.
    True when the job failed (or is no longer ours to retry)."""
    row = await repository.get_job(session, job.workspace_id, job.campaign_id, for_update=True)
    if row is None or row.state != JobState.RUNNING:
        return True
    row.attempts += 1
    row.last_error = error[:LAST_ERROR_MAX]
    row.updated_at = _now()
    failed = permanent or row.attempts >= max_attempts
    if failed:
        row.state = JobState.FAILED.value
    await session.flush()
    return failed


async def release_job(session: AsyncSession, job: ClaimedJob) -> None:
    """Hand a running job back (worker stopping): the next claim resumes at its cursor."""
    row = await repository.get_job(session, job.workspace_id, job.campaign_id, for_update=True)
    if row is not None and row.state == JobState.RUNNING:
        row.state = JobState.PENDING.value
        row.updated_at = _now()
        await session.flush()
