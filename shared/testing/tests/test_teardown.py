"""Servers never outlive the pytest session that started them, however it ends."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from herald_stack.processes import pid_alive, read_pid_file

from .inner import pytest_command

pytestmark = pytest.mark.integration

SLOW_TEST = """
from pathlib import Path

def test_holds_the_server(pg_server):
    Path({report!r}).write_text(str(pg_server.data_dir))
    import time
    time.sleep(120)
"""


def start_session(folder: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """A pytest session holding a PostgreSQL; returns it and the server's folder."""
    report = folder / "server_dir.txt"
    test_file = folder / "test_slow.py"
    test_file.write_text(SLOW_TEST.format(report=str(report)))
    session = subprocess.Popen(
        [*pytest_command(folder), str(test_file)],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not report.exists():
        assert session.poll() is None, "the inner session ended early"
        assert time.monotonic() < deadline, "the inner session never got its server"
        time.sleep(0.1)
    return session, Path(report.read_text())


def test_sigterm_tears_the_server_down_and_removes_its_folder(tmp_path: Path) -> None:
    session, folder = start_session(tmp_path)
    record = read_pid_file(folder / "postgres.pid")
    assert pid_alive(record)

    session.send_signal(signal.SIGTERM)
    session.wait(timeout=60)

    assert record is not None
    assert not pid_alive(record)
    assert not folder.exists()


def test_a_killed_session_takes_its_server_along(tmp_path: Path) -> None:
    session, folder = start_session(tmp_path)
    record = read_pid_file(folder / "postgres.pid")
    assert record is not None
    try:
        os.kill(session.pid, signal.SIGKILL)
        session.wait(timeout=10)

        deadline = time.monotonic() + 20
        while pid_alive(record) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not pid_alive(record)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # no teardown ran: tidy up
