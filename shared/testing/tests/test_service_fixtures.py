"""The migration round trip, and the service fixtures of the plugin, on fake services."""

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from herald_stack.postgres import PostgresCluster
from herald_testing.migrations import assert_migrations_round_trip, table_names

from .inner import fake_service, run_session

pytestmark = pytest.mark.integration


def kit_service(folder: Path, table: str, dropped: tuple[str, ...] | None = None) -> Path:
    """A fake service: one table of its own plus the kit's outbox and inbox; `downgrade`
    drops `dropped` (all three unless told)."""
    tables = (table, "outbox", "inbox")
    return fake_service(
        folder,
        [f"CREATE TABLE {name} (id integer PRIMARY KEY)" for name in tables],
        [f"DROP TABLE {name}" for name in (tables if dropped is None else dropped)],
    )


def models(table: str, *extra_columns: str) -> sa.MetaData:
    metadata = sa.MetaData()
    columns = [sa.Column(name, sa.Integer) for name in extra_columns]
    sa.Table(table, metadata, sa.Column("id", sa.Integer, primary_key=True), *columns)
    return metadata


async def test_the_round_trip_of_matching_migrations_passes(
    pg_server: PostgresCluster, tmp_path: Path
) -> None:
    service = kit_service(tmp_path / "fakesvc", "greeting")

    dsn = await assert_migrations_round_trip(pg_server, service, models("greeting"))

    assert await table_names(dsn) == {"alembic_version", "greeting", "outbox", "inbox"}


async def test_a_schema_unlike_the_models_fails_the_round_trip(
    pg_server: PostgresCluster, tmp_path: Path
) -> None:
    service = kit_service(tmp_path / "fakesvc", "greeting")

    with pytest.raises(AssertionError, match=r"head differs from the models.*add_column"):
        await assert_migrations_round_trip(pg_server, service, models("greeting", "text"))


async def test_a_downgrade_that_leaves_tables_fails_the_round_trip(
    pg_server: PostgresCluster, tmp_path: Path
) -> None:
    service = kit_service(tmp_path / "fakesvc", "greeting", dropped=("greeting",))

    with pytest.raises(AssertionError, match="downgrade base left"):
        await assert_migrations_round_trip(pg_server, service, models("greeting"))


PYTEST_INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
"""

CONFTEST = """
from pathlib import Path

import pytest
from fastapi import FastAPI

from herald_testing.api import ServiceUnderTest


@pytest.fixture(scope="session")
def service_under_test():
    return ServiceUnderTest(
        name="{name}",
        service_dir=Path(__file__).parent,
        app_factory=FastAPI,
        clear_settings=lambda: None,
        probe_path="/",
    )
"""

SERVICE_TESTS = """
from pathlib import Path

import sqlalchemy as sa

DSNS = Path(__file__).parents[1] / "dsns.txt"


async def test_its_own_database(service_dsn, sessions):
    with DSNS.open("a") as dsns:
        dsns.write(service_dsn + "\\n")
    async with sessions() as session:
        assert await session.scalar(sa.text("SELECT count(*) FROM {name}_table")) == 0


def test_the_same_database_again(service_dsn):
    with DSNS.open("a") as dsns:
        dsns.write(service_dsn + "\\n")
"""


def test_each_service_of_a_session_gets_its_own_database_migrated_once(tmp_path: Path) -> None:
    """`service_dsn` follows each folder's `service_under_test`, even in one session."""
    (tmp_path / "pytest.ini").write_text(PYTEST_INI)
    for name in ("alpha", "beta"):
        service = kit_service(tmp_path / name, f"{name}_table")
        (service / "conftest.py").write_text(CONFTEST.format(name=name))
        (service / f"test_{name}.py").write_text(SERVICE_TESTS.format(name=name))

    result = run_session(tmp_path, dict(os.environ))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
    dsns = (tmp_path / "dsns.txt").read_text().split()
    assert len(dsns) == 4
    alpha, beta = set(dsns[:2]), set(dsns[2:])
    assert len(alpha) == 1
    assert len(beta) == 1
    assert alpha != beta
