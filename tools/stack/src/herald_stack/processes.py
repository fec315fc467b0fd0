"""A small supervisor: detached processes that outlive `herald-stack up`, found again by pid file.

Each process runs in its own session (so Ctrl-C on the terminal does not reach it, and its
whole process group can be signalled), writes stdout and stderr to one log file, and leaves
`<pid> <start time>` in a pid file. The start time guards against a recycled pid.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from herald_stack.errors import StackError
from herald_stack.ports import is_listening

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@dataclass(frozen=True)
class PidRecord:
    pid: int
    start_ticks: int


def _proc_start_ticks(pid: int) -> int | None:
    """The process start time from /proc, or None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def read_pid_file(path: Path) -> PidRecord | None:
    try:
        pid, ticks = path.read_text().split()
        return PidRecord(int(pid), int(ticks))
    except (OSError, ValueError):
        return None


def pid_alive(record: PidRecord | None) -> bool:
    return record is not None and _proc_start_ticks(record.pid) == record.start_ticks


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or f"(empty log {path})"


def _death_signal_setter(sig: signal.Signals) -> Callable[[], None]:
    """A preexec_fn asking Linux to send `sig` to the child when its parent dies."""
    libc = ctypes.CDLL(None, use_errno=True)

    def set_death_signal() -> None:
        libc.prctl(PR_SET_PDEATHSIG, int(sig))

    return set_death_signal


def spawn(
    cmd: Sequence[str],
    *,
    log_file: Path,
    pid_file: Path,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    death_signal: signal.Signals | None = None,
) -> subprocess.Popen[bytes]:
    """Start `cmd` detached, `env` added to ours, output appended to `log_file`.

    `user` runs it as another OS user (we must be root). `death_signal` ties it to us: the
    kernel sends that signal when the calling thread ends, even by SIGKILL, so test servers
    never outlive the test session (call it from the main thread, then).
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            user=user,
            start_new_session=True,
            preexec_fn=None if death_signal is None else _death_signal_setter(death_signal),
        )
    ticks = _proc_start_ticks(proc.pid)
    pid_file.write_text(f"{proc.pid} {ticks if ticks is not None else -1}\n")
    return proc


def _reap(pid: int) -> None:
    """Collect the exit status if the process is our own child, so it does not linger."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def terminate(
    pid_files: Iterable[Path], grace: float, sig: signal.Signals = signal.SIGTERM
) -> None:
    """Send `sig` to every live process, wait up to `grace` s, SIGKILL the groups left.

    The polite signal goes to the process we started, which shuts its children down in
    order; SIGKILL goes to its whole process group. All processes are signalled first and
    waited for together, so stopping many is as fast as stopping the slowest. The pid files
    are removed.
    """
    files = list(pid_files)
    live = [r for r in map(read_pid_file, files) if r is not None and pid_alive(r)]
    for record in live:
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, sig)
    deadline = time.monotonic() + grace
    while live and time.monotonic() < deadline:
        time.sleep(0.1)
        for record in live:
            _reap(record.pid)
        live = [r for r in live if pid_alive(r)]
    for record in live:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(record.pid, signal.SIGKILL)
        for _ in range(50):
            _reap(record.pid)
            if not pid_alive(record):
                break
            time.sleep(0.1)
    for path in files:
        path.unlink(missing_ok=True)


def wait_http_ok(url: str, timeout: float, alive: Callable[[], bool] | None = None) -> None:
    """Poll `url` until it answers 2xx. Raises on timeout, or as soon as `alive()` is false."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    with httpx.Client(timeout=2.0) as client:
        while True:
            try:
                response = client.get(url)
                if response.is_success:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            if alive is not None and not alive():
                raise StackError(f"{url}: the process exited before it was ready")
            if time.monotonic() >= deadline:
                raise StackError(f"{url} not ready after {timeout:.0f} s (last: {last})")
            time.sleep(0.25)


@dataclass(frozen=True)
class ProcessStatus:
    name: str
    state: str  # "running", "dead" (pid file left by a crashed process) or "stopped"
    pid: int | None
    port: int | None
    listening: bool


class Supervisor:
    """Named processes under one state folder: `logs/<name>.log` and `pids/<name>.pid`."""

    def __init__(self, state_dir: Path) -> None:
        self.logs_dir = state_dir / "logs"
        self.pids_dir = state_dir / "pids"

    def log_file(self, name: str) -> Path:
        return self.logs_dir / f"{name}.log"

    def pid_file(self, name: str) -> Path:
        return self.pids_dir / f"{name}.pid"

    def is_running(self, name: str) -> bool:
        return pid_alive(read_pid_file(self.pid_file(name)))

    def start(
        self, name: str, cmd: Sequence[str], env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        if self.is_running(name):
            raise StackError(f"{name} is already running")
        return spawn(cmd, log_file=self.log_file(name), pid_file=self.pid_file(name), env=env)

    def run_once(
        self, name: str, cmd: Sequence[str], env: Mapping[str, str], timeout: float
    ) -> None:
        """Run a one-shot command (a migration) to completion, output in its log file."""
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file(name).open("wb") as log:
            try:
                result = subprocess.run(
                    list(cmd),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **env},
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise StackError(f"{name} did not finish within {timeout:.0f} s") from None
        if result.returncode != 0:
            raise StackError(
                f"{name} exited with {result.returncode}:\n{log_tail(self.log_file(name))}"
            )

    def stop(self, *names: str, grace: float = 10.0) -> None:
        terminate((self.pid_file(name) for name in names), grace)

    def status(self, ports: Mapping[str, int | None]) -> list[ProcessStatus]:
        """One row per name in `ports` (name -> the port it should listen on)."""
        return [process_status(name, self.pid_file(name), port) for name, port in ports.items()]


def process_status(name: str, pid_file: Path, port: int | None) -> ProcessStatus:
    record = read_pid_file(pid_file)
    state = "stopped" if record is None else "running" if pid_alive(record) else "dead"
    pid = record.pid if record else None
    return ProcessStatus(name, state, pid, port, port is not None and is_listening(port))
