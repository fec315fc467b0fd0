"""Pytest plugin (entry point `herald`): real PostgreSQL and Kafka servers for tests.

One PostgreSQL and one Kafka per pytest session, each started the first time a test asks for
it, on free ports in a temporary folder, and stopped when the session ends. A server that
cannot start FAILS the tests that need it (with the reason and its log tail): it never skips,
so a broken environment cannot pass unnoticed, in CI or anywhere else.

Servers never outlive the session: the kernel stops them if pytest dies (parent-death
signal), and a SIGTERM to pytest (`timeout`, CI cancelling a job) becomes a KeyboardInterrupt
so the normal teardown also removes their folders.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import tempfile
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, TypeVar

import pytest

from herald_stack.errors import StackError
from herald_stack.kafka import KafkaBroker
from herald_stack.ports import free_port
from herald_stack.postgres import PostgresCluster

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
    broker = KafkaBroker(folder, free_port(), free_port())
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
