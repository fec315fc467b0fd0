"""The FastAPI app every service builds: same lifespan, errors, auth, health, telemetry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_kit.auth import ApiKeyStore
from herald_kit.db import make_engine, make_sessionmaker
from herald_kit.health import database_check, health_router
from herald_kit.logs import configure_logging, get_logger
from herald_kit.outbox import Outbox
from herald_kit.problems import install_problem_handlers
from herald_kit.settings import ServiceSettings
from herald_kit.telemetry import configure_tracing, instrument_app, instrument_engine

log = get_logger(__name__)


async def follow_keys_forever(store: ApiKeyStore, settings: ServiceSettings) -> None:
    """Keep the key copy current; survive Kafka being away at start or later."""
    backoff = 0.5
    while True:
        try:
            await store.follow(settings.kafka)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("auth.follow_failed", error=repr(error), retry_in=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)


def create_service_app(
    *,
    service: str,
    settings: ServiceSettings,
    routers: Sequence[APIRouter],
    description: str,
) -> FastAPI:
    configure_logging(service, settings.log_level, settings.log_json)
    configure_tracing(service, settings.telemetry)
    engine = make_engine(settings.db)
    instrument_engine(engine)
    sessions = make_sessionmaker(engine)
    key_store = ApiKeyStore()

    async def kafka_ready() -> bool:
        return key_store.caught_up.is_set()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        follower = asyncio.create_task(follow_keys_forever(key_store, settings))
        try:
            yield {
                "sessions": sessions,
                "key_store": key_store,
                "settings": settings,
                "outbox": Outbox(producer=service),
            }
        finally:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)
            await engine.dispose()

    app = FastAPI(
        title=f"Herald {service}",
        description=description,
        version="0.1.0",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.include_router(health_router({"database": database_check(engine), "kafka": kafka_ready}))
    for router in routers:
        app.include_router(router)
    instrument_app(app)
    return app


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the route returns, before the response."""
    sessions: async_sessionmaker[AsyncSession] = request.state.sessions
    async with sessions() as session, session.begin():
        yield session


def _outbox(request: Request) -> Outbox:
    outbox: Outbox = request.state.outbox
    return outbox


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
OutboxDep = Annotated[Outbox, Depends(_outbox)]
