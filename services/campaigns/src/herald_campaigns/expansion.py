"""Expansion: a launched campaign's audience becomes one `sms.requested` per recipient.

It runs in the `consumer` process as a background task. The loop claims one job at a time
(`FOR UPDATE SKIP LOCKED`, pending jobs or running ones whose worker went silent for the
lease), streams the campaign's audience (every contact of the workspace, or a saved
segment's) from the contacts service after the job's cursor and commits each chunk in one
transaction (messages + cursor + count). A crash resumes at the cursor, and a chunk written
twice stages nothing new (deterministic event ids).
Transient HTTP failures are retried with backoff; a permanent one (a segment deleted since the
launch, a filter gone stale, a refused key) fails the job at once with contacts' reason in
`last_error`, and the campaign stays `launching` (cancellable) with nothing more requested.
Logs carry counts, never numbers or texts.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_campaigns import service
from herald_campaigns.contacts_client import (
    ContactsClient,
    PermanentSnapshotError,
    TransientSnapshotError,
)
from herald_campaigns.domain.audience import AudienceScope, Recipient, scope_of
from herald_campaigns.domain.mention import MentionPolicy
from herald_campaigns.service import ChunkOutcome, ClaimedJob
from herald_campaigns.settings import CampaignsSettings, ExpansionSettings
from herald_kit.db import transaction
from herald_kit.logs import get_logger
from herald_kit.outbox import Outbox
from herald_kit.worker import WorkerResources

log = get_logger(__name__)


def describe(error: BaseException) -> str:
    """An error's class (and its cause's), never its text: database errors quote the
    statement's parameters, which hold phone numbers and message texts."""
    cause = getattr(error, "orig", None) or error.__cause__
    return type(error).__name__ + (f"({type(cause).__name__})" if cause is not None else "")


@dataclass
class _Progress:
    """What this worker committed of one job so far."""

    cursor: uuid.UUID | None
    streamed: int = 0
    requested: int = 0
    skipped: int = 0
    chunks: int = 0


class Expander:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        contacts: ContactsClient,
        settings: ExpansionSettings,
        stopping: asyncio.Event | None = None,
        mention: MentionPolicy | None = None,
    ) -> None:
        self.mention = mention or MentionPolicy()
        self.sessions = sessions
        self.outbox = outbox
        self.contacts = contacts
        self.settings = settings
        self.stopping = stopping or asyncio.Event()

    async def run(self) -> None:
        """Expand jobs until stopped; a failing database backs off and tries again."""
        backoff = self.settings.backoff_start
        while not self.stopping.is_set():
            try:
                worked = await self.run_once()
                backoff = self.settings.backoff_start
            except Exception as error:
                log.warning("expansion.loop_failed", error=describe(error), retry_in=backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, self.settings.backoff_max)
                continue
            if not worked:
                await self._sleep(self.settings.poll_seconds)

    async def run_once(self) -> bool:
        """Claim one job and expand it as far as it goes; False when none was claimable."""
        async with transaction(self.sessions) as session:
            job = await service.claim_job(session, timedelta(seconds=self.settings.lease_seconds))
        if job is None:
            return False
        log.info(
            "expansion.claimed",
            workspace_id=job.workspace_id,
            campaign_id=str(job.campaign_id),
            audience=job.audience.get("type"),
            resuming=job.cursor is not None,
        )
        try:
            await self.expand(job)
        except BaseException:
            # Hand the job back so the next claim need not wait for the lease.
            with contextlib.suppress(Exception):
                async with transaction(self.sessions) as session:
                    await service.release_job(session, job)
            raise
        return True

    async def expand(self, job: ClaimedJob) -> None:
        progress = _Progress(cursor=job.cursor)
        try:
            scope = scope_of(job.audience)
        except ValueError as error:
            await self._failed(job, progress, str(error), permanent=True)
            return
        backoff = self.settings.backoff_start
        while True:
            try:
                outcome = await self._stream(job, scope, progress)
            except TransientSnapshotError as error:
                if await self._failed(job, progress, str(error), permanent=False):
                    return
                log.warning(
                    "expansion.retry",
                    workspace_id=job.workspace_id,
                    campaign_id=str(job.campaign_id),
                    error=str(error),
                    retry_in=backoff,
                )
                await self._sleep(backoff)
                backoff = min(backoff * 2, self.settings.backoff_max)
                if self.stopping.is_set():
                    async with transaction(self.sessions) as session:
                        await service.release_job(session, job)
                    return
                continue
            except PermanentSnapshotError as error:
                await self._failed(job, progress, str(error), permanent=True)
                return
            if outcome is None:  # stopping: the job goes back to pending at its cursor
                async with transaction(self.sessions) as session:
                    await service.release_job(session, job)
                outcome_name = "released"
            else:
                outcome_name = outcome.value
            log.info(
                "expansion.ended",
                workspace_id=job.workspace_id,
                campaign_id=str(job.campaign_id),
                outcome=outcome_name,
                streamed=progress.streamed,
                requested=progress.requested,
                skipped_unreachable=progress.skipped,
                chunks=progress.chunks,
            )
            return

    async def _stream(
        self, job: ClaimedJob, scope: AudienceScope, progress: _Progress
    ) -> ChunkOutcome | None:
        """Stream from the committed cursor to the end; None when asked to stop."""
        recipients: list[Recipient] = []
        in_chunk = 0
        last_id = progress.cursor
        items = self.contacts.stream(job.workspace_id, progress.cursor, scope)
        async with contextlib.aclosing(items):
            async for item in items:
                last_id = item.contact_id
                in_chunk += 1
                if item.recipient is not None:
                    recipients.append(item.recipient)
                if in_chunk < self.settings.chunk_size:
                    continue
                outcome = await self._commit(job, progress, recipients, in_chunk, last_id)
                if outcome is not ChunkOutcome.CONTINUE:
                    return outcome
                recipients, in_chunk = [], 0
                if self.stopping.is_set():
                    return None
        return await self._commit(job, progress, recipients, in_chunk, last_id, final=True)

    async def _commit(
        self,
        job: ClaimedJob,
        progress: _Progress,
        recipients: list[Recipient],
        streamed: int,
        last_id: uuid.UUID | None,
        *,
        final: bool = False,
    ) -> ChunkOutcome:
        async with transaction(self.sessions) as session:
            result = await service.apply_chunk(
                session,
                self.outbox,
                job,
                progress.cursor,
                recipients,
                last_id,
                final=final,
                mention=self.mention,
            )
        if result.outcome in (ChunkOutcome.CONTINUE, ChunkOutcome.FINISHED):
            progress.cursor = last_id
            progress.streamed += streamed
            progress.skipped += streamed - len(recipients)
            progress.requested += result.requested
            progress.chunks += 1
        return result.outcome

    async def _failed(
        self, job: ClaimedJob, progress: _Progress, error: str, *, permanent: bool
    ) -> bool:
        async with transaction(self.sessions) as session:
            failed = await service.record_failure(
                session, job, error, self.settings.max_attempts, permanent=permanent
            )
        if failed:
            log.error(
                "expansion.failed",
                workspace_id=job.workspace_id,
                campaign_id=str(job.campaign_id),
                error=error,
                streamed=progress.streamed,
                requested=progress.requested,
            )
        return failed

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)


async def run_expansion(resources: WorkerResources) -> None:
    """The background task of `herald-campaigns consumer`."""
    settings = resources.settings
    if not isinstance(settings, CampaignsSettings):
        raise TypeError("the expansion task needs CampaignsSettings")
    contacts = ContactsClient(settings.contacts)
    try:
        expander = Expander(
            resources.sessions,
            resources.outbox,
            contacts,
            settings.expansion,
            resources.stopping,
            settings.mention.policy(),
        )
        await expander.run()
    finally:
        await contacts.aclose()
