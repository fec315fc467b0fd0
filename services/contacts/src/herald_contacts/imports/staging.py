"""The per-run staging tables: UNLOGGED (no WAL for rows that live a few seconds), created
inside the run's transaction and dropped at its end, so no other session ever sees them and
a rollback takes them away. The batch table holds one batch at a time; the `seen` table the
first line of every number of the file so far (duplicates are found against it)."""

from __future__ import annotations

import io
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

# The COPY column order (validation.py writes rows in it).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("line", "integer NOT NULL"),
    ("phone", "text"),
    ("country", "text"),
    ("timezone", "text"),
    ("timezone_source", "text"),
    ("timezone_ambiguous", "boolean"),
    ("first_name", "text"),
    ("last_name", "text"),
    ("email", "text"),
    ("locale", "text"),
    ("lifecycle", "text"),
    ("tags", "text[]"),
    ("lists", "text[]"),
    ("attributes", "jsonb"),
    ("opted_in_at", "timestamptz"),
    ("consent_source", "text"),
    ("consent_wording", "text"),
    ("reject_column", "text"),
    ("reject_value", "text"),
    ("reason", "text"),  # set: the row is refused (by the row checks)
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)


def table_name(import_id: uuid.UUID, attempt: int) -> str:
    """One per attempt: a worker that lost its lease never writes into its successor's."""
    return f"import_staging_{import_id.hex}_{attempt}"


def seen_table(name: str) -> str:
    return f"{name}_seen"


async def create(session: AsyncSession, name: str) -> None:
    columns = ", ".join(f"{column} {kind}" for column, kind in COLUMNS)
    # duplicate_of is filled by the merge: the first line with the same number.
    await session.execute(
        sa.text(f"CREATE UNLOGGED TABLE {name} ({columns}, duplicate_of integer)")
    )
    await session.execute(sa.text(f"CREATE INDEX ON {name} (phone)"))
    await session.execute(
        sa.text(
            f"CREATE UNLOGGED TABLE {seen_table(name)} "
            "(phone text PRIMARY KEY, line integer NOT NULL)"
        )
    )


async def copy_rows(session: AsyncSession, name: str, data: bytes) -> None:
    """COPY rows already in PostgreSQL's text format (validation.py) into the table."""
    if not data:
        return
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_to_table(
        name, source=io.BytesIO(data), columns=list(COLUMN_NAMES), format="text"
    )


async def clear(session: AsyncSession, name: str) -> None:
    await session.execute(sa.text(f"TRUNCATE {name}"))


async def drop(session: AsyncSession, name: str) -> None:
    await session.execute(sa.text(f"DROP TABLE IF EXISTS {name}, {seen_table(name)}"))
