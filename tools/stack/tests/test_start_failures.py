"""Servers that cannot start say why, with the end of their log, and leave nothing running."""

import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from herald_stack.errors import StackError
from herald_stack.kafka import KafkaBroker
from herald_stack.ports import PortInUse, free_port, free_ports
from herald_stack.postgres import PostgresCluster

pytestmark = pytest.mark.integration


@pytest.fixture
def folder() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="herald-fail-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_postgres_with_incompatible_data(folder: Path) -> None:
    cluster = PostgresCluster(folder, free_port())
    cluster.pgdata.mkdir(parents=True)
    (cluster.pgdata / "PG_VERSION").write_text("9\n")
    shutil.chown(cluster.pgdata, "postgres", "postgres")

    with pytest.raises(StackError, match=r"(?s)PostgreSQL exited;.*postgresql\.conf"):
        cluster.start(timeout=30)
    assert not cluster.is_running()


def test_kafka_with_foreign_storage(folder: Path) -> None:
    broker = KafkaBroker(folder, *free_ports(2))
    (folder / "data").mkdir()
    (folder / "data" / "meta.properties").write_text("version=1\nnode.id=7\ncluster.id=x\n")

    with pytest.raises(StackError, match=r"(?s)Kafka exited;.*Stored node id 7"):
        broker.start(timeout=30)
    assert not broker.is_running()


@pytest.mark.parametrize("server", ["postgres", "kafka"])
def test_a_taken_port_is_refused_before_starting(folder: Path, server: str) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        target = (
            PostgresCluster(folder, port)
            if server == "postgres"
            else KafkaBroker(folder, port, free_port())
        )

        with pytest.raises(PortInUse, match=f"port {port} is already in use \\({server}\\)"):
            target.start()
