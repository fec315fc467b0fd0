import textwrap
from pathlib import Path

import asyncpg
import pytest

from herald_stack.postgres import PostgresCluster
from herald_testing import migrate_database

pytestmark = pytest.mark.integration

ENV_PY = """
import asyncio
import os

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine


def run(connection):
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def main():
    engine = create_async_engine(os.environ["HERALD_FAKESVC_DB__URL"])
    async with engine.connect() as connection:
        await connection.run_sync(run)
        await connection.commit()
    await engine.dispose()


asyncio.run(main())
"""

VERSION = """
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.execute("{sql}")


def downgrade():
    pass
"""


def fake_service(root: Path, sql: str) -> Path:
    """A service folder laid out like services/<name>: alembic.ini and migrations/."""
    service = root / "fakesvc"
    (service / "migrations" / "versions").mkdir(parents=True)
    (service / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\n")
    (service / "migrations" / "env.py").write_text(ENV_PY)
    version = textwrap.dedent(VERSION).format(sql=sql)
    (service / "migrations" / "versions" / "0001_init.py").write_text(version)
    return service


async def test_migrations_run_with_the_service_db_url(
    pg_server: PostgresCluster, tmp_path: Path
) -> None:
    pg_server.create_database("fakesvc")
    service = fake_service(tmp_path, "CREATE TABLE greeting (id int PRIMARY KEY)")

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
    service = fake_service(tmp_path, "CREATE TABLE broken (id nosuchtype)")

    with pytest.raises(pytest.fail.Exception, match='type "nosuchtype" does not exist'):
        migrate_database(service, pg_server.dsn("fakesvc_broken"))


def test_a_folder_without_alembic_ini_fails(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match=r"no alembic\.ini"):
        migrate_database(tmp_path, "postgresql+asyncpg://postgres@127.0.0.1:1/x")
