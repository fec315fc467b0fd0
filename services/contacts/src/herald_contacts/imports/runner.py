"""The import worker: a background task of `herald-contacts consumer`.

It claims one job at a time (`FOR UPDATE SKIP LOCKED`: several consumer replicas share the
queue), runs it (pipeline.py) and records the outcome. A worker that dies mid-run leaves its
transaction to roll back and its job `running` with an old heartbeat; once the lease runs
out another worker claims it and starts it over. Logs carry counts, never cells or numbers.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_contacts.imports import jobs, publication
from herald_contacts.imports.pipeline import ImportFailed, ImportStopped, run_import
from herald_contacts.imports.settings import ImportSettings
from herald_contacts.settings import ContactsSettings
from herald_kit.db import transaction
from herald_kit.logs import get_logger
from herald_kit.worker import WorkerResources

log = get_logger(__name__)


def describe(error: BaseException) -> str:
    """An error's class (and its cause's), never its text: database errors quote the
    statement's parameters, which may hold numbers and names."""
    cause = getattr(error, "orig", None) or error.__cause__
    return type(error).__name__ + (f"({type(cause).__name__})" if cause is not None else "")


def make_pool(settings: ImportSettings) -> Executor | None:
    """Processes that check rows (spawned: the worker's loop and threads are not forked);
    None when configured to check in the worker's own threads."""
    processes = settings.validation_processes
    if processes == 0:
        return None
    return ProcessPoolExecutor(
        max_workers=processes or os.cpu_count() or 1,
        mp_context=multiprocessing.get_context("spawn"),
    )


class ImportRunner:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: ImportSettings,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.stopping = stopping or asyncio.Event()
        self._pool: Executor | None = None
        self._pool_made = False

    async def run(self) -> None:
        """Run jobs until stopped; a failing database backs off and tries again."""
        backoff = self.settings.backoff_start
        try:
            while not self.stopping.is_set():
                try:
                    worked = await self.run_once()
                    backoff = self.settings.backoff_start
                except Exception as error:
                    log.warning("import.loop_failed", error=describe(error), retry_in=backoff)
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, self.settings.backoff_max)
                    continue
                if not worked:
                    await self._sleep(self.settings.poll_seconds)
        finally:
            self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool, self._pool_made = None, False

    def pool(self) -> Executor | None:
        if not self._pool_made:
            self._pool, self._pool_made = make_pool(self.settings), True
        return self._pool

    async def run_once(self) -> bool:
        """Write the events that applied imports still owe (publication.py), then claim one
        job and run it to its end; False when there was neither."""
        published = await publication.publish_pending(self.sessions)
        lease = timedelta(seconds=self.settings.lease_seconds)
        async with transaction(self.sessions) as session:
            job = await jobs.claim(session, lease, self.settings.max_attempts)
        if job is None:
            return published > 0
        context = {"workspace_id": job.workspace_id, "import_id": str(job.id)}
        log.info("import.claimed", attempt=job.attempt, file_bytes=job.file_bytes, **context)
        try:
            figures = await run_import(
                self.sessions, job, self.settings, pool=self.pool(), stopping=self.stopping
            )
        except ImportStopped as stop:
            if stop.reason == "stopping":
                await self._release(job)
            log.info("import.stopped", reason=stop.reason, **context)
        except ImportFailed as failure:
            async with transaction(self.sessions) as session:
                await jobs.fail(session, job, str(failure))
            log.info("import.failed", reason=str(failure), **context)
        except BaseException as error:
            if isinstance(error, BrokenProcessPool):
                self.close()
            await self._release(job, f"internal error {describe(error)}")
            if isinstance(error, Exception):
                log.error("import.error", error=describe(error), **context)
                await self._sleep(self.settings.backoff_start)
                return True
            raise
        else:
            log.info(
                "import.done",
                rows=figures.rows_read,
                imported=figures.imported,
                updated=figures.updated,
                unchanged=figures.unchanged,
                rejected=figures.rejected,
                seconds=round(figures.seconds, 2),
                **context,
            )
        return True

    async def _release(self, job: jobs.ClaimedImport, error: str | None = None) -> None:
        with contextlib.suppress(Exception):
            async with transaction(self.sessions) as session:
                await jobs.release(session, job, error)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)


async def run_imports(resources: WorkerResources) -> None:
    """The background task of `herald-contacts consumer`."""
    settings = resources.settings
    if not isinstance(settings, ContactsSettings):
        raise TypeError("the import task needs ContactsSettings")
    await ImportRunner(resources.sessions, settings.imports, resources.stopping).run()
