"""Pytest plugin (entry point `herald`): real PostgreSQL and Kafka servers for tests.

One PostgreSQL and one Kafka per pytest session, each started the first time a test asks for
it, on free ports in a temporary folder, and stopped when the session ends. A server that
cannot start FAILS the tests that need it (with the reason and its log tail): it never skips,
so a broken environment cannot pass unnoticed, in CI or anywhere else.

Servers never outlive the session: the kernel stops them if pytest dies (parent-death
signal), and a SIGTERM to pytest (`timeout`, CI cancelling a job) becomes a KeyboardInterrupt
so the normal teardown also removes their folders.

A service's tests get, besides, `service_dsn`, `sessions`, `client` and `key_for`: their
tests/conftest.py describes the service in a session-scoped `service_under_test` fixture
(a `herald_testing.api.ServiceUnderTest`).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Coroutine, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import pytest

from herald_stack.errors import StackError
from herald_stack.kafka import KafkaBroker
from herald_stack.ports import free_port, free_ports
from herald_stack.postgres import PostgresCluster
from herald_testing.migrations import migrated_database

if TYPE_CHECKING:
    import httpx
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from herald_testing.api import KeyFactory, ServiceUnderTest

T = TypeVar("T")


def _server_dir(prefix: str) -> Path:
    """A fresh folder the `postgres` OS user can enter (pytest's tmp_path is private to us)."""
    folder = Path(tempfile.mkdtemp(prefix=f"herald-{prefix}-"))
    folder.chmod(0o755)
    return folder


def _discard(server: PostgresCluster | KafkaBroker, folder: Path) -> None:
    """Stop the server (harmless if it never started) and delete its folder."""
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt(f"signal {signum}")


def _tear_down_on_sigterm() -> None:
    """Let SIGTERM run pytest's teardown, unless someone already handles SIGTERM."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        with contextlib.suppress(ValueError):  # not the main thread: leave it alone
            signal.signal(signal.SIGTERM, _interrupt)


def _run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion even if the calling thread already runs an event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster: `.port`, `.dsn(db)`, `.create_database(name)`; user postgres."""
    folder = _server_dir("pg")
    cluster = PostgresCluster(folder, free_port())
    _tear_down_on_sigterm()
    try:
        cluster.start(die_with_parent=True)
    except BaseException as exc:
        _discard(cluster, folder)
        if isinstance(exc, StackError):
            pytest.fail(f"PostgreSQL could not start: {exc}", pytrace=False)
        raise
    try:
        yield cluster
    finally:
        _discard(cluster, folder)


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaBroker]:
    """A single-node Kafka (`.bootstrap`) holding every topic of the catalogue and its DLQ."""
    from herald_stack.topics import catalogue_plan, create_topics

    folder = _server_dir("kafka")
    broker = KafkaBroker(folder, *free_ports(2))
    _tear_down_on_sigterm()
    try:
        broker.start(die_with_parent=True)
        _run_async(create_topics(broker.bootstrap, catalogue_plan()))
    except BaseException as exc:
        _discard(broker, folder)
        if isinstance(exc, StackError):
            pytest.fail(f"Kafka could not start: {exc}", pytrace=False)
        raise
    try:
        yield broker
    finally:
        _discard(broker, folder)


# --- a service's database, app and keys ---------------------------------------------------


class ServiceDatabases:
    """One database per service folder, migrated to head the first time a test of the
    session asks for it (a failed migration fails every test that asks, as a failing
    session-scoped fixture does)."""

    def __init__(self, pg_server: PostgresCluster) -> None:
        self._pg_server = pg_server
        self._databases: dict[Path, str | BaseException] = {}

    def dsn(self, service_dir: Path) -> str:
        if service_dir not in self._databases:
            try:
                self._databases[service_dir] = migrated_database(self._pg_server, service_dir)
            except pytest.fail.Exception as failure:
                self._databases[service_dir] = failure
        database = self._databases[service_dir]
        if isinstance(database, BaseException):
            raise database
        return database


@pytest.fixture(scope="session")
def service_databases(pg_server: PostgresCluster) -> ServiceDatabases:
    return ServiceDatabases(pg_server)


# Not session-scoped itself: pytest would then cache the first service's database for the
# whole session, whichever conftest's `service_under_test` a later test sees.
@pytest.fixture
def service_dsn(service_under_test: ServiceUnderTest, service_databases: ServiceDatabases) -> str:
    """The DSN of the service's database, migrated once for the session and shared by its
    tests (give each test a workspace of its own)."""
    return service_databases.dsn(service_under_test.service_dir)


@pytest.fixture
async def sessions(service_dsn: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    from pydantic import SecretStr

    from herald_kit.db import make_engine, make_sessionmaker
    from herald_kit.settings import DbSettings

    engine = make_engine(DbSettings(url=SecretStr(service_dsn)))
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def client(
    service_under_test: ServiceUnderTest,
    service_dsn: str,
    kafka_broker: KafkaBroker,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[httpx.AsyncClient]:
    """The service's app, running on its database and the session's Kafka, and a client."""
    from herald_testing.api import running_app, service_env

    service = service_under_test
    env = {**service_env(service.name, service_dsn, kafka_broker.bootstrap), **service.env}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    service.clear_settings()
    try:
        async with running_app(service.app_factory()) as api:
            yield api
    finally:
        service.clear_settings()


@pytest.fixture
def key_for(
    service_under_test: ServiceUnderTest, client: httpx.AsyncClient, kafka_broker: KafkaBroker
) -> KeyFactory:
    """`await key_for("ws", ("contacts:read",))`: a real key the running app accepts (scopes
    default to the service's `default_scopes`)."""
    from herald_testing.api import issue_api_key, wait_until_accepted

    async def issue(workspace: str, scopes: Iterable[str] | None = None) -> str:
        chosen = service_under_test.default_scopes if scopes is None else scopes
        key = await issue_api_key(kafka_broker.bootstrap, workspace, chosen)
        await wait_until_accepted(client, key, service_under_test.probe_path)
        return key

    return issue
