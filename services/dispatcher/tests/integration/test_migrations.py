"""The migration is reversible: down to nothing and up again on a fresh database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from herald_stack.postgres import PostgresCluster
from herald_testing.api import migrated_database

SERVICE_DIR = Path(__file__).resolve().parents[2]


def alembic(dsn: str, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(SERVICE_DIR / "alembic.ini"), *args],
        cwd=SERVICE_DIR,
        env={**os.environ, "HERALD_DISPATCHER_DB__URL": dsn},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_downgrade_to_base_and_upgrade_again(pg_server: PostgresCluster) -> None:
    dsn = migrated_database(pg_server, SERVICE_DIR)
    alembic(dsn, "downgrade", "base")
    alembic(dsn, "upgrade", "head")
