import os
import sys
import time
from pathlib import Path

import pytest

from herald_stack.errors import StackError
from herald_stack.ports import free_port
from herald_stack.processes import (
    PidRecord,
    Supervisor,
    pid_alive,
    read_pid_file,
    wait_http_ok,
)

PYTHON = sys.executable


def test_start_status_stop(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    port = free_port()
    supervisor.start(
        "web", [PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1"], {"X": "1"}
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_http_ok(url, timeout=20, alive=lambda: supervisor.is_running("web"))
        [row] = supervisor.status({"web": port})
        assert (row.state, row.listening) == ("running", True)
        assert supervisor.pid_file("web").is_file()
    finally:
        supervisor.stop("web", grace=5)

    [row] = supervisor.status({"web": port})
    assert (row.state, row.pid, row.listening) == ("stopped", None, False)
    assert "GET / " in supervisor.log_file("web").read_text()


def test_start_refuses_a_second_copy(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    supervisor.start("sleeper", [PYTHON, "-c", "import time; time.sleep(60)"])
    try:
        with pytest.raises(StackError, match="already running"):
            supervisor.start("sleeper", [PYTHON, "-c", "pass"])
    finally:
        supervisor.stop("sleeper")


def test_sigterm_ignored_means_sigkill_after_the_grace(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    supervisor.start("stubborn", [PYTHON, "-c", stubborn])
    while "ready" not in supervisor.log_file("stubborn").read_text():
        time.sleep(0.05)

    started = time.monotonic()
    supervisor.stop("stubborn", grace=0.5)

    assert time.monotonic() - started < 5
    assert not supervisor.is_running("stubborn")


def test_a_crashed_process_is_dead_not_stopped(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    proc = supervisor.start("crash", [PYTHON, "-c", "raise SystemExit(3)"])
    proc.wait()

    [row] = supervisor.status({"crash": None})
    assert row.state == "dead"


def test_a_recycled_pid_is_not_our_process(tmp_path: Path) -> None:
    pid_file = tmp_path / "me.pid"
    pid_file.write_text(f"{os.getpid()} 1\n")  # our pid, but another start time

    assert read_pid_file(pid_file) == PidRecord(os.getpid(), 1)
    assert not pid_alive(read_pid_file(pid_file))


def test_wait_http_ok_stops_waiting_when_the_process_died() -> None:
    with pytest.raises(StackError, match="exited before it was ready"):
        wait_http_ok(f"http://127.0.0.1:{free_port()}/readyz", timeout=30, alive=lambda: False)


def test_wait_http_ok_times_out() -> None:
    with pytest.raises(StackError, match="not ready after"):
        wait_http_ok(f"http://127.0.0.1:{free_port()}/readyz", timeout=0.5)


def test_run_once_reports_the_log_tail(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path)
    supervisor.run_once("ok", [PYTHON, "-c", "print('fine')"], {}, timeout=30)

    with pytest.raises(StackError, match=r"exited with 2:\nboom"):
        supervisor.run_once(
            "bad", [PYTHON, "-c", "import sys; print('boom'); sys.exit(2)"], {}, timeout=30
        )
    assert supervisor.log_file("ok").read_text() == "fine\n"
