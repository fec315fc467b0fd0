"""Helpers for API and handler tests of a service, on the real servers of the plugin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from herald_kit.admin import create_api_key
from herald_kit.auth import ACTING_WORKSPACE_HEADER
from herald_kit.settings import KafkaSettings
from herald_testing.migrations import migrated_database as migrated_database


@dataclass(frozen=True)
class ServiceUnderTest:
    """What the plugin's `service_dsn`, `sessions`, `client` and `key_for` fixtures need to
    know of a service: each service's tests/conftest.py returns one from a session-scoped
    `service_under_test` fixture."""

    name: str  # as in HERALD_<NAME>_... and services/<name>
    service_dir: Path  # services/<name>: alembic.ini and migrations/
    app_factory: Callable[[], FastAPI]
    clear_settings: Callable[[], None]  # the service's get_settings.cache_clear
    probe_path: str  # a GET that answers 401 until the app knows a key
    env: Mapping[str, str] = field(default_factory=dict)  # more environment for the app
    default_scopes: tuple[str, ...] = ("*",)  # of the keys `key_for` issues


class KeyFactory(Protocol):
    """`await key_for("ws", ("scope",))`: a real key, once the running app accepts it."""

    def __call__(self, workspace: str, scopes: Iterable[str] | None = None) -> Awaitable[str]: ...


def service_env(service: str, dsn: str, bootstrap: str) -> dict[str, str]:
    """The environment a service's settings read (set it with monkeypatch.setenv)."""
    prefix = f"HERALD_{service.upper()}_"
    return {f"{prefix}DB__URL": dsn, f"{prefix}KAFKA__BOOTSTRAP_SERVERS": bootstrap}


async def issue_api_key(
    bootstrap: str, workspace: str, scopes: Iterable[str] = ("*",), name: str = "test"
) -> str:
    """A real key, published on `apikey.changed` the way `herald-admin apikey create` does."""
    return await create_api_key(
        KafkaSettings(bootstrap_servers=bootstrap), workspace, name, list(scopes)
    )


@asynccontextmanager
async def running_app(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, and a client that talks to it in-process."""
    async with LifespanManager(app, startup_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


KEY_WAIT_SECONDS = 20.0


async def wait_until_accepted(
    client: httpx.AsyncClient, key: str, probe_path: str, workspace: str = "probe"
) -> None:
    """Poll until the app's key copy (tailing Kafka) knows `key` (a service key is probed
    acting for `workspace`)."""
    deadline = asyncio.get_running_loop().time() + KEY_WAIT_SECONDS
    headers = {"Authorization": f"Bearer {key}", ACTING_WORKSPACE_HEADER: workspace}
    while True:
        response = await client.get(probe_path, headers=headers)
        if response.status_code != 401:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"API key not accepted in time: {response.text}")
        await asyncio.sleep(0.1)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
