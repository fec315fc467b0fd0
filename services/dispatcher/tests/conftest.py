"""The dispatcher service under test (the herald plugin gives its tests a migrated database,
`service_dsn`, the running app, `client`, and real API keys, `key_for`), tables emptied
before each test, the real SMSC simulator in-process, and a running sender."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from herald_compliance.rule_packs import CountryDefaultPack
from herald_compliance.rule_packs.windows import EVERY_DAY
from herald_dispatcher.domain.sending_rules import RuleSet
from herald_dispatcher.main import create_app
from herald_dispatcher.sender import Sender
from herald_dispatcher.sending_rules import WorkspaceRules
from herald_dispatcher.settings import (
    DispatcherSettings,
    SenderSettings,
    SmppSettings,
    get_erasure_settings,
    get_settings,
)
from herald_kit.db import make_engine, make_sessionmaker
from herald_kit.outbox import Outbox
from herald_kit.settings import DbSettings, ErasureSettings
from herald_smsc.config import ServerSettings, SimConfig
from herald_smsc.runner import Simulator
from herald_stack.kafka import KafkaBroker
from herald_testing.api import ServiceUnderTest

SMPP_PASSWORD = "t3stpw"
ERASURE_KEY = "dispatcher-tests-erasure-key-0123456789"


@pytest.fixture(scope="session", autouse=True)
def erasure_key() -> Iterator[bytes]:
    """Every dispatcher test runs with an erasure key (the erasure handler reads it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HERALD_DISPATCHER_ERASURE__KEY", ERASURE_KEY)
        get_erasure_settings.cache_clear()
        yield ERASURE_KEY.encode()
    get_erasure_settings.cache_clear()


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(
        name="dispatcher",
        service_dir=Path(__file__).resolve().parents[1],
        app_factory=create_app,
        clear_settings=get_settings.cache_clear,
        probe_path="/v1/routes",
        env={
            "HERALD_DISPATCHER_SMPP__PASSWORD": SMPP_PASSWORD,
            "HERALD_DISPATCHER_SMPP__ROUTE_NAME": "smpp-test",
            "HERALD_DISPATCHER_ERASURE__KEY": ERASURE_KEY,
        },
    )


@pytest.fixture
async def engine(service_dsn: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(DbSettings(url=service_dsn))  # type: ignore[arg-type]
    async with engine.begin() as connection:  # every test starts from empty tables
        await connection.execute(
            sa.text(
                "TRUNCATE message, consent_view, campaign_view, erased_contact, erased_optout,"
                " sending_rules, outbox, inbox"
            )
        )
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The plugin's `sessions`, on the emptied tables of `engine`."""
    return make_sessionmaker(engine)


@pytest.fixture
async def smsc() -> AsyncIterator[Simulator]:
    """The real SMSC simulator on free loopback ports, receipts after 50 ms."""
    settings = ServerSettings(
        host="127.0.0.1", smpp_port=0, http_port=0, initial=SimConfig(dlr_delay_ms=50)
    )
    simulator = Simulator(settings)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def smsc_api(smsc: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=smsc.http_url, timeout=10) as api:
        yield api


def dispatcher_settings(
    dsn: str, bootstrap: str, smsc: Simulator, **smpp: Any
) -> DispatcherSettings:
    values: dict[str, Any] = {
        "host": smsc.host,
        "port": smsc.smpp_port,
        "system_id": "herald",
        "password": SMPP_PASSWORD,
        "window": 50,
        "rate_per_second": 100_000,
        "response_timeout_s": 2,
        "workspace_id": "ws-route",
        **smpp,
    }
    return DispatcherSettings(
        db=DbSettings(url=dsn),  # type: ignore[arg-type]
        kafka={"bootstrap_servers": bootstrap},  # type: ignore[arg-type]
        smpp=SmppSettings(**values),
        erasure=ErasureSettings(key=ERASURE_KEY),  # type: ignore[arg-type]
        sender=SenderSettings(
            idle_poll_s=0.02,
            retry_base_s=0.05,
            retry_max_s=0.2,
            breaker_cooldown_s=0.5,
            sweep_interval_s=0.5,
        ),
    )


SenderFactory = Callable[..., Any]

# Every country, every day, all day: tests that are not about the sending hours must not
# depend on the hour or the day they run at.
ALWAYS_OPEN = RuleSet(
    packs=(
        CountryDefaultPack(
            name="always-open",
            version="test",
            effective_from=date(2000, 1, 1),
            source="tests",
            opens=time(0),
            closes=time.max,
            weekdays=EVERY_DAY,
            holidays=False,
        ),
    )
)


@pytest.fixture
def run_sender(
    service_dsn: str,
    kafka_broker: KafkaBroker,
    smsc: Simulator,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
) -> SenderFactory:
    """`async with run_sender(window=10) as sender:` a sender bound to the simulator. Its
    sending rules are ALWAYS_OPEN unless `rules=` (tests of the hours give theirs and a
    `clock=`)."""

    @asynccontextmanager
    async def running(
        *,
        clock: Callable[[], datetime] | None = None,
        rules: WorkspaceRules | None = None,
        **smpp: Any,
    ) -> AsyncIterator[Sender]:
        settings = dispatcher_settings(service_dsn, kafka_broker.bootstrap, smsc, **smpp)
        sender = Sender(
            settings,
            engine,
            sessions,
            Outbox(producer="dispatcher"),
            clock=clock or (lambda: datetime.now(UTC)),
            rules=rules or WorkspaceRules(ALWAYS_OPEN),
        )
        stopping = asyncio.Event()
        task = asyncio.create_task(sender.run(stopping))
        try:
            yield sender
        finally:
            stopping.set()
            await asyncio.wait_for(task, timeout=30)

    return running


Eventually = Callable[..., Awaitable[None]]


async def _eventually(
    check: Callable[[], Awaitable[bool]], within: float = 15.0, interval: float = 0.05
) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(interval)


@pytest.fixture
def eventually() -> Eventually:
    """`await eventually(check)`: poll an async predicate until true, fail after a timeout."""
    return _eventually
