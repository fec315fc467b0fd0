"""A server that cannot start fails the tests needing it: never a skip, CI or not."""

import os
from pathlib import Path

import pytest

from .inner import run_session

BROKEN = """
import herald_stack.{module} as target
from herald_stack.errors import StackError


def _cannot_start(self, *args, **kwargs):
    raise StackError("cannot start: disk full")


target.{cls}.start = _cannot_start
"""


@pytest.mark.parametrize(
    ("module", "cls", "fixture", "message"),
    [
        ("postgres", "PostgresCluster", "pg_server", "PostgreSQL could not start"),
        ("kafka", "KafkaBroker", "kafka_broker", "Kafka could not start"),
    ],
)
@pytest.mark.parametrize("ci", ["true", ""])
def test_a_server_that_cannot_start_fails(
    tmp_path: Path, module: str, cls: str, fixture: str, message: str, ci: str
) -> None:
    (tmp_path / "conftest.py").write_text(BROKEN.format(module=module, cls=cls))
    (tmp_path / "test_needs_a_server.py").write_text(
        f"def test_one({fixture}): pass\n\n\ndef test_two({fixture}): pass\n"
    )

    result = run_session(tmp_path, {**os.environ, "CI": ci})

    assert result.returncode == 1, result.stdout
    assert "2 errors" in result.stdout
    assert "skipped" not in result.stdout
    assert f"{message}: cannot start: disk full" in result.stdout
