"""Run a service's real Alembic migrations against a test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MIGRATE_TIMEOUT = 300


def migrate_database(service_dir: Path, dsn: str) -> None:
    """`alembic upgrade head` for the service in `service_dir` (e.g. services/contacts).

    It runs in a subprocess, exactly as the `migrate` job does: the URL reaches the service's
    env.py through `HERALD_<SERVICE>_DB__URL`, the service being the folder's name.
    Fails the test, with alembic's output, when the migration fails.
    """
    ini = service_dir / "alembic.ini"
    if not ini.is_file():
        pytest.fail(f"no alembic.ini in {service_dir}", pytrace=False)
    variable = f"HERALD_{service_dir.name.upper()}_DB__URL"
    try:
        result = subprocess.run(
            [sys.executable, "-m", "alembic", "-c", str(ini), "upgrade", "head"],
            cwd=service_dir,
            env={**os.environ, variable: dsn},
            capture_output=True,
            text=True,
            timeout=MIGRATE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{service_dir.name}: alembic upgrade head took over {MIGRATE_TIMEOUT} s")
    if result.returncode != 0:
        pytest.fail(
            f"{service_dir.name}: alembic upgrade head failed ({variable}={dsn}):\n"
            f"{result.stdout}{result.stderr}",
            pytrace=False,
        )
