from pathlib import Path

import asyncpg
import pytest

from herald_stack.postgres import PostgresCluster
from herald_testing import migrate_database

from .inner import fake_service

pytestmark = pytest.mark.integration


async def test_migrations_run_with_the_service_db_url(
    pg_server: PostgresCluster, tmp_path: Path
) -> None:
    pg_server.create_database("fakesvc")
    service = fake_service(tmp_path / "fakesvc", ["CREATE TABLE greeting (id int PRIMARY KEY)"])

    migrate_database(service, pg_server.dsn("fakesvc"))
    migrate_database(service, pg_server.dsn("fakesvc"))  # at head already: nothing to do

    connection = await asyncpg.connect(pg_server.dsn("fakesvc").replace("+asyncpg", ""))
    try:
        assert await connection.fetchval("select version_num from alembic_version") == "0001"
        assert await connection.fetchval("select count(*) from greeting") == 0
    finally:
        await connection.close()


def test_a_failing_migration_fails_the_test_with_alembic_output(
    pg_server: PostgresCluster, tmp_path: Path
) -> None:
    pg_server.create_database("fakesvc_broken")
    service = fake_service(tmp_path / "fakesvc", ["CREATE TABLE broken (id nosuchtype)"])

    with pytest.raises(pytest.fail.Exception, match='type "nosuchtype" does not exist'):
        migrate_database(service, pg_server.dsn("fakesvc_broken"))


def test_a_folder_without_alembic_ini_fails(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match=r"no alembic\.ini"):
        migrate_database(tmp_path, "postgresql+asyncpg://postgres@127.0.0.1:1/x")
