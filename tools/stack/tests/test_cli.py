"""`herald-stack` end to end for the infrastructure, on free ports in a temporary state folder."""

import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from herald_events import all_topic_names
from herald_stack.cli import app
from herald_stack.ports import free_ports
from herald_stack.services import Infra
from herald_stack.stack import LocalStack

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    """Exit code and output with table borders and the terminal's line wrapping removed."""
    result = runner.invoke(app, list(args))
    text = re.sub("[\u2500-\u257f]", " ", result.output)
    return result.exit_code, " ".join(text.split())


@pytest.fixture
def stack_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Infra]:
    folder = Path(tempfile.mkdtemp(prefix="herald-stack-cli-"))
    folder.chmod(0o755)  # the postgres user must reach its data folder
    infra = Infra(*free_ports(3))
    monkeypatch.setenv("HERALD_STACK_DIR", str(folder))
    monkeypatch.setenv("HERALD_STACK_PG_PORT", str(infra.pg_port))
    monkeypatch.setenv("HERALD_STACK_KAFKA_PORT", str(infra.kafka_port))
    monkeypatch.setenv("HERALD_STACK_KAFKA_CONTROLLER_PORT", str(infra.kafka_controller_port))
    try:
        yield infra
    finally:
        LocalStack(folder, infra, say=lambda _: None).stop_all()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.integration
def test_up_status_logs_down(stack_env: Infra) -> None:
    code, output = run("up", "--only-infra")
    assert code == 0, output
    assert "postgres started" in output
    assert "kafka started" in output
    assert f"topics: {len(all_topic_names())} created" in output

    code, output = run("up", "--only-infra")
    assert code == 0, output
    assert "postgres is already running" in output
    assert "kafka is already running" in output
    assert "topics: all present" in output

    code, output = run("status")
    assert "postgres running" in output
    assert f"127.0.0.1:{stack_env.pg_port} yes" in output
    assert f"127.0.0.1:{stack_env.kafka_port} yes" in output

    code, output = run("logs", "kafka")
    assert code == 0

    code, output = run("down", "--purge")
    assert (code, output) == (0, "stopped and purged")
    _, output = run("status")
    assert "running" not in output


def test_up_refuses_a_taken_port(stack_env: Infra) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", stack_env.kafka_port))
        holder.listen()

        code, output = run("up", "--only-infra")

    assert code == 1
    assert output == (
        f"error: port {stack_env.kafka_port} is already in use (kafka); "
        "stop what holds it or run `herald-stack down`"
    )


def test_logs_of_an_unknown_process(stack_env: Infra) -> None:
    code, output = run("logs", "nope")

    assert code == 1
    assert output.startswith("no log named 'nope'; known: kafka, postgres")
