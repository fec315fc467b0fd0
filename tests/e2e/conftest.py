"""The running platform, started once for the e2e session exactly as a user starts it.

`herald-stack up` brings up PostgreSQL, Kafka, the SMSC simulator and the 18 service
processes in a state folder of its own; `herald-stack down` stops them at the end. The tests
then only speak HTTP (and, for the DLQ test, Kafka) like a client system would.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from herald_kit.admin import create_api_key
from herald_kit.settings import KafkaSettings
from herald_stack.client import HeraldClient, Simulator, eventually
from herald_stack.demo import DEMO_WORKSPACE
from herald_stack.services import Infra

ROOT = Path(__file__).resolve().parents[2]
UP_TIMEOUT = 600


def _stack(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "herald-stack"), *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=UP_TIMEOUT, check=False
    )


@pytest.fixture(scope="session")
def platform() -> Iterator[Infra]:
    state = tempfile.mkdtemp(prefix="herald-e2e-")
    Path(state).chmod(0o755)  # PostgreSQL runs as the postgres user and must enter it
    env = {**os.environ, "HERALD_STACK_DIR": state}
    started = _stack("up", env=env)
    if started.returncode != 0:
        logs = _stack("status", env=env)
        _stack("down", env=env)
        pytest.fail(
            f"herald-stack up failed ({started.returncode}):\n{started.stdout[-4000:]}\n"
            f"{started.stderr[-4000:]}\n{logs.stdout[-2000:]}",
            pytrace=False,
        )
    try:
        yield Infra.from_env()
    finally:
        stopped = _stack("down", env=env)
        if stopped.returncode != 0:
            print(stopped.stdout, stopped.stderr)
        shutil.rmtree(state, ignore_errors=True)


async def _client_for(platform: Infra, workspace: str) -> HeraldClient:
    key = await create_api_key(
        KafkaSettings(bootstrap_servers=platform.bootstrap), workspace, "e2e", ["*"]
    )
    client = HeraldClient(key)

    async def accepted_everywhere() -> bool:
        for service in ("contacts", "consent", "campaigns", "analytics"):
            response = await client.call("GET", service, "/v1/does-not-exist")
            if response.status_code == 401:
                return False
        return True

    await eventually(accepted_everywhere, seconds=30, what="the API key to reach every service")
    return client


@pytest.fixture
async def workspace_client(platform: Infra) -> AsyncIterator[HeraldClient]:
    """A client in a workspace of its own: its campaigns only see its own contacts."""
    client = await _client_for(platform, f"e2e-{uuid.uuid4().hex[:8]}")
    yield client
    await client.close()


@pytest.fixture
async def stranger_client(platform: Infra) -> AsyncIterator[HeraldClient]:
    """A second, unrelated workspace."""
    client = await _client_for(platform, f"e2e-stranger-{uuid.uuid4().hex[:8]}")
    yield client
    await client.close()


@pytest.fixture
async def short_code_client(platform: Infra) -> AsyncIterator[HeraldClient]:
    """A client in the workspace that owns the simulator's short code (handset replies)."""
    client = await _client_for(platform, DEMO_WORKSPACE)
    yield client
    await client.close()


@pytest.fixture
async def simulator(platform: Infra) -> AsyncIterator[Simulator]:
    sim = Simulator()
    yield sim
    await sim.close()


PARIS = ZoneInfo("Europe/Paris")  # a French mobile's zone


async def _opening_soon() -> datetime:
    """The next minute (Paris), once it is 20 to 40 s away; never across midnight."""
    while True:
        now = datetime.now(PARIS)
        if 20 <= now.second < 40 and (now.hour, now.minute) < (23, 57):
            return (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
        await asyncio.sleep(0.5)


@pytest.fixture
def opening_soon() -> Callable[[], Awaitable[datetime]]:
    """Waits for a sending window that can open 20-40 s from now, and returns its opening."""
    return _opening_soon


def window_from(opens: datetime) -> dict[str, object]:
    """Sending rules (`PUT /v1/sending-rules`) whose window opens at `opens` (Paris time)."""
    return {
        "packs": [
            {
                "name": "default",
                "options": {
                    "opens": f"{opens:%H:%M}",
                    "closes": "23:59",
                    "days": "Mon-Sun",
                    "holidays": False,
                },
            }
        ]
    }


@pytest.fixture
def sending_window() -> Callable[[datetime], dict[str, object]]:
    return window_from
