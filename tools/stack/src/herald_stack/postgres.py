"""Throwaway PostgreSQL clusters from Debian's server binaries, for local runs and tests.

PostgreSQL refuses to run as root, so when we are root `initdb` and the server run as the
`postgres` user (created by Debian's package) and the cluster's folder is handed to it.
Durability settings are off: these clusters hold nothing worth an fsync.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from herald_stack.errors import PrerequisiteMissing, StackError
from herald_stack.ports import HOST, ensure_ports_free
from herald_stack.processes import log_tail, pid_alive, read_pid_file, spawn, terminate

PG_ROOT = Path("/usr/lib/postgresql")
OS_USER = "postgres"
SUPERUSER = "postgres"
INSTALL_HINT = "apt-get update && apt-get install -y postgresql"
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def find_postgres_bin() -> Path | None:
    """The bin folder of the newest installed PostgreSQL server, if any."""
    found = [initdb.parent for initdb in PG_ROOT.glob("*/bin/initdb")]
    versioned = [bin_dir for bin_dir in found if bin_dir.parent.name.isdigit()]
    return max(versioned, key=lambda bin_dir: int(bin_dir.parent.name), default=None)


def ensure_postgres_installed() -> Path:
    """The server bin folder; installs Debian's `postgresql` package when missing and root."""
    bin_dir = find_postgres_bin()
    if bin_dir is not None:
        return bin_dir
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise PrerequisiteMissing(
            f"PostgreSQL server binaries not found under {PG_ROOT}/*/bin; "
            f"install them as root: {INSTALL_HINT}"
        )
    print(f"PostgreSQL is not installed: running `{INSTALL_HINT}`", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "postgresql"]):
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            raise PrerequisiteMissing(f"`{' '.join(cmd)}` failed:\n{result.stderr[-2000:]}")
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise PrerequisiteMissing(f"the postgresql package installed no server under {PG_ROOT}")
    return bin_dir


def _as_owner(cmd: list[str]) -> list[str]:
    """Run as the postgres OS user when we are root; as ourselves otherwise."""
    return ["runuser", "-u", OS_USER, "--", *cmd] if os.geteuid() == 0 else cmd


class PostgresCluster:
    """A cluster in `data_dir`: the data in `pgdata/`, its log, pid file and unix socket.

    The postmaster runs in the foreground under our supervisor (no pg_ctl), so it is
    stopped, and optionally tied to our lifetime, like every other process of the stack.
    """

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.pgdata = data_dir / "pgdata"
        self.log_file = data_dir / "postgres.log"
        self.pid_file = data_dir / "postgres.pid"
        self._proc: subprocess.Popen[bytes] | None = None

    def dsn(self, db: str) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@{HOST}:{self.port}/{db}"

    def is_running(self) -> bool:
        return pid_alive(read_pid_file(self.pid_file))

    def _prepare_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return
        shutil.chown(self.data_dir, OS_USER, OS_USER)
        probe = subprocess.run(_as_owner(["test", "-w", str(self.data_dir)]), check=False)
        if probe.returncode != 0:
            raise StackError(
                f"the {OS_USER} user cannot write {self.data_dir}: "
                "make every parent folder traversable (chmod o+x)"
            )

    def _initdb(self, bin_dir: Path) -> None:
        """Create the cluster: superuser postgres, trust auth (loopback only), UTF-8."""
        result = subprocess.run(
            _as_owner(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def _accepts_connections(self, bin_dir: Path) -> bool:
        ready = subprocess.run(
            [str(bin_dir / "pg_isready"), "-q", "-h", HOST, "-p", str(self.port)], check=False
        )
        return ready.returncode == 0

    def start(self, timeout: float = 60.0, *, die_with_parent: bool = False) -> None:
        """Create the cluster on first use, start it, wait until it accepts connections.

        `die_with_parent` has the kernel stop the server (fast shutdown) if we die first.
        """
        if self.is_running():
            raise StackError(f"PostgreSQL is already running from {self.pgdata}")
        ensure_ports_free({self.port: "postgres"})
        bin_dir = ensure_postgres_installed()
        self._prepare_dir()
        if not (self.pgdata / "PG_VERSION").is_file():
            self._initdb(bin_dir)
        settings = {
            "listen_addresses": HOST,
            "unix_socket_directories": str(self.data_dir),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        options = [item for key, value in settings.items() for item in ("-c", f"{key}={value}")]
        self.log_file.unlink(missing_ok=True)
        self._proc = proc = spawn(
            [str(bin_dir / "postgres"), "-D", str(self.pgdata), "-p", str(self.port), *options],
            log_file=self.log_file,
            pid_file=self.pid_file,
            user=OS_USER if os.geteuid() == 0 else None,
            death_signal=signal.SIGINT if die_with_parent else None,
        )
        deadline = time.monotonic() + timeout
        while not self._accepts_connections(bin_dir):
            exited = proc.poll() is not None
            if exited or time.monotonic() > deadline:
                self.stop()
                what = "exited" if exited else f"not ready on {HOST}:{self.port} in {timeout:.0f} s"
                raise StackError(
                    f"PostgreSQL {what}; last lines of {self.log_file}:\n{log_tail(self.log_file)}"
                )
            time.sleep(0.1)

    def stop(self, grace: float = 20.0) -> None:
        """Fast shutdown (SIGINT: disconnect clients, then a clean checkpoint)."""
        terminate([self.pid_file], grace, signal.SIGINT)
        if self._proc is not None:  # started by this process: record its exit status
            self._proc.poll()
            self._proc = None

    def _psql(self, sql: str) -> str:
        psql = ensure_postgres_installed() / "psql"
        result = subprocess.run(
            [
                str(psql),
                "-h",
                HOST,
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-tAc",
                sql,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(f"psql failed on {sql!r}: {result.stderr.strip()}")
        return result.stdout.strip()

    def create_database(self, name: str) -> None:
        """Create the database unless it exists. Names are plain lowercase identifiers."""
        if not _DB_NAME.match(name):
            raise ValueError(f"not a plain lowercase database name: {name!r}")
        if self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != "1":
            self._psql(f'CREATE DATABASE "{name}"')
