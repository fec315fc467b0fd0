"""The long-running non-API processes: `consumer` (event handlers) and `relay` (outbox).

Each serves `/healthz`, `/readyz` and `/metrics` on its health port, stops on SIGTERM after
finishing the event in hand, and exits non-zero when a component dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from herald_kit.consumer import ConsumerRunner, Subscription
from herald_kit.db import make_engine, make_sessionmaker
from herald_kit.health import Check, database_check, health_router
from herald_kit.kafka import make_producer
from herald_kit.logs import configure_logging, get_logger
from herald_kit.outbox import Outbox
from herald_kit.outbox_notifications import OutboxNotifications
from herald_kit.relay import OutboxRelay
from herald_kit.settings import ServiceSettings
from herald_kit.telemetry import configure_tracing, instrument_engine

log = get_logger(__name__)


@dataclass
class WorkerResources:
    """What a service's extra background tasks (e.g. the dispatcher's sender) are given."""

    service: str
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    stopping: asyncio.Event


BackgroundTask = Callable[[WorkerResources], Coroutine[Any, Any, None]]


class _QuietServer(uvicorn.Server):
    """Leaves SIGTERM to the worker, which drains its consumers before the server stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _health_server(settings: ServiceSettings, checks: Mapping[str, Check]) -> uvicorn.Server:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(health_router(checks))
    config = uvicorn.Config(
        app,
        host=settings.health.host,
        port=settings.health.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    return _QuietServer(config)


def _install_stop(stopping: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)


async def _run_until_stopped(
    stopping: asyncio.Event, tasks: Sequence[asyncio.Task[None]], on_stop: Callable[[], None]
) -> None:
    """Wait for SIGTERM or for a task to die; either way stop the others cleanly."""
    waiter = asyncio.create_task(stopping.wait())
    _done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
    on_stop()
    stopping.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    waiter.cancel()
    failures = [
        r
        for r in results
        if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError)
    ]
    if failures:
        for failure in failures:
            log.error("worker.task_failed", error=repr(failure))
        raise SystemExit(1)


def _prepare(service: str, settings: ServiceSettings) -> tuple[AsyncEngine, Outbox]:
    configure_logging(service, settings.log_level, settings.log_json)
    configure_tracing(service, settings.telemetry)
    engine = make_engine(settings.db, pre_ping=False)
    instrument_engine(engine)
    return engine, Outbox(producer=service)


async def run_consumers(
    service: str,
    settings: ServiceSettings,
    groups: Mapping[str, Sequence[Subscription]],
    background: Sequence[BackgroundTask] = (),
) -> None:
    engine, outbox = _prepare(service, settings)
    sessions = make_sessionmaker(engine)
    stopping = asyncio.Event()
    _install_stop(stopping)
    dlq_producer = make_producer(settings.kafka, f"{service}-dlq")
    await dlq_producer.start()
    runners = [
        ConsumerRunner(
            group=group,
            subscriptions=subs,
            sessions=sessions,
            outbox=outbox,
            kafka=settings.kafka,
            dlq_producer=dlq_producer,
        )
        for group, subs in groups.items()
    ]

    async def consumers_polling() -> bool:
        return all(time.monotonic() - r.last_poll < 30 for r in runners)

    server = _health_server(
        settings, {"database": database_check(engine), "kafka": consumers_polling}
    )
    resources = WorkerResources(service, settings, engine, sessions, outbox, stopping)
    tasks = [asyncio.create_task(r.run()) for r in runners]
    tasks += [asyncio.create_task(job(resources)) for job in background]
    tasks.append(asyncio.create_task(server.serve()))

    def stop_all() -> None:
        for runner in runners:
            runner.stop()
        server.should_exit = True

    try:
        await _run_until_stopped(stopping, tasks, stop_all)
    finally:
        await dlq_producer.stop()
        await engine.dispose()


async def run_relay(service: str, settings: ServiceSettings) -> None:
    engine, _ = _prepare(service, settings)
    stopping = asyncio.Event()
    _install_stop(stopping)
    producer = make_producer(settings.kafka, f"{service}-relay")
    await producer.start()
    notifications = OutboxNotifications(engine)
    relay = OutboxRelay(make_sessionmaker(engine), producer, notifications=notifications)

    async def publishing() -> bool:
        return time.monotonic() - relay.last_success < 30

    server = _health_server(settings, {"database": database_check(engine), "kafka": publishing})
    listening = asyncio.Event()  # set to stop listening, after the relay stopped
    tasks = [
        asyncio.create_task(relay.run()),
        asyncio.create_task(notifications.run(listening)),
        asyncio.create_task(server.serve()),
    ]

    def stop_all() -> None:
        relay.stop()
        listening.set()
        server.should_exit = True

    try:
        await _run_until_stopped(stopping, tasks, stop_all)
    finally:
        await producer.stop()
        await engine.dispose()
