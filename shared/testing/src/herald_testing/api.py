"""Helpers for API and handler tests of a service, on the real servers of the plugin."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from herald_kit.admin import create_api_key
from herald_kit.auth import ACTING_WORKSPACE_HEADER
from herald_kit.settings import KafkaSettings
from herald_stack.postgres import PostgresCluster
from herald_testing.migrations import migrate_database

_database_numbers = itertools.count(1)


def migrated_database(pg_server: PostgresCluster, service_dir: Path) -> str:
    """A new database for one service, at the head of its real migrations; returns the DSN."""
    name = f"{service_dir.name}_{next(_database_numbers)}"
    pg_server.create_database(name)
    dsn = pg_server.dsn(name)
    migrate_database(service_dir, dsn)
    return dsn


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
