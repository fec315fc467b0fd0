"""Run a separate pytest session in a folder, as a developer or CI would; fake services."""

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def pytest_command(folder: Path) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(folder)]


def run_session(folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*pytest_command(folder), str(folder)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# The service's name is its folder's, as for services/<name>.
ENV_PY = """
import asyncio
import os
from pathlib import Path

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

VARIABLE = f"HERALD_{Path(__file__).resolve().parents[1].name.upper()}_DB__URL"


def run(connection):
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def main():
    engine = create_async_engine(os.environ[VARIABLE])
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
    for statement in {upgrade!r}:
        op.execute(statement)


def downgrade():
    for statement in {downgrade!r}:
        op.execute(statement)
"""


def fake_service(folder: Path, upgrade: Sequence[str], downgrade: Sequence[str] = ()) -> Path:
    """A service folder laid out like services/<name> (alembic.ini and migrations/), its one
    migration running the `upgrade` statements, and `downgrade` ones."""
    (folder / "migrations" / "versions").mkdir(parents=True)
    (folder / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\n")
    (folder / "migrations" / "env.py").write_text(ENV_PY)
    version = VERSION.format(upgrade=list(upgrade), downgrade=list(downgrade))
    (folder / "migrations" / "versions" / "0001_init.py").write_text(version)
    return folder
