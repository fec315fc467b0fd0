"""The merge: each checked batch of rows applied to `contact` in the run's one transaction,
while the next batches are still being read and checked (PostgreSQL's work overlaps the
checking processes' instead of following it).

Batches come in file order. A batch is COPY'd into the run's batch table; a number already
seen earlier in the file (the `seen` table keeps each number's first line) makes the row a
duplicate, refused with the line of the first. Refused rows go to the job's report. The
kept rows go into `contact` with one INSERT ... ON CONFLICT (workspace, phone): new numbers
are inserted, existing contacts updated as the mode says (or left alone), and the same
statement's RETURNING records the contacts it created or changed in `contact_publication`,
whose `contact.updated` events publication.py writes after the commit (building a million
event documents inside the run was half of its time); every row declaring consent gets its
`consent.declared` in the run's transaction. Every statement is
driven by the batch's rows and the indexes (the unique index on workspace and phone, the
`seen` key): no plan depends on statistics, which cannot know the contacts this run
inserted. Event ids follow each other within an import (the import id with a counter),
which keeps the outbox's unique index appending. Imports of one workspace take turns (an
advisory lock held until the run commits): two never lock the same contacts in opposite
orders.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from herald_contacts.imports import outbox_sql, staging
from herald_contacts.imports.schemas import ImportMode
from herald_kit.ids import UUID7_SQL
from herald_kit.telemetry import inject_headers

CONSENT_TOPIC = "consent.declared"
CONSENT_EVENTS = 1 << 40  # where the consent.declared events' counter starts
_NULLABLE = ("first_name", "last_name", "email")
_DEFAULTED = ("locale", "lifecycle")  # NOT NULL: an empty cell inserts the default
_LABELS = ("tags", "lists")
_TIMEZONE = ("timezone", "timezone_source", "timezone_ambiguous")
_KEPT = "s.reason IS NULL AND s.duplicate_of IS NULL"
# mask_phone (herald_kit.logs) of an E.164 number, in SQL: the report never shows a number.
_MASKED = (
    "'+' || left(substr(s.phone, 2), 4) || repeat('*', greatest(length(s.phone) - 8, 0)) "
    "|| right(s.phone, 3)"
)


@dataclass(frozen=True)
class MergeRequest:
    import_id: uuid.UUID
    workspace_id: str
    mode: ImportMode
    provided: frozenset[str]  # the contact fields the file has a column for
    phone_header: str
    file_sha256: str


@dataclass
class Merged:
    """What the batches merged so far did."""

    duplicates: int = 0
    refused: int = 0  # rows in the report: refused by the checks, and duplicates
    created: int = 0
    updated: int = 0
    consents: int = 0


@dataclass
class Merger:
    """Merges the batches of one run, in order, in the run's transaction."""

    session: AsyncSession
    table: str
    request: MergeRequest
    merged: Merged = field(default_factory=Merged)

    async def try_lock(self) -> bool:
        """The workspace's import lock, held until the run's transaction ends; False while
        another import of the workspace holds it (the caller keeps its heartbeat going)."""
        result = await self.session.execute(
            sa.text(
                "SELECT pg_try_advisory_xact_lock(hashtext('herald.import:' || :workspace_id))"
            ),
            {"workspace_id": self.request.workspace_id},
        )
        return bool(result.scalar_one())

    async def start(self) -> None:
        await staging.create(self.session, self.table)
        # Batches are small: compiling their statements would cost more than it saves.
        await self.session.execute(sa.text("SET LOCAL jit = off"))

    async def add(self, data: bytes) -> None:
        """Merge one batch of rows in staging's COPY format."""
        if not data:
            return
        table, merged = self.table, self.merged
        await staging.copy_rows(self.session, table, data)
        await self.session.execute(sa.text(f"ANALYZE {table}"))
        merged.duplicates += await self._rowcount(_mark_duplicates(table))
        merged.refused += await self._rowcount(_report(table))
        statement = _upsert(table, self.request.mode, self.request.provided)
        result = await self._execute(statement, {"first": merged.created + merged.updated})
        created, updated = result.one()
        merged.created += int(created)
        merged.updated += int(updated)
        merged.consents += await self._rowcount(
            _declare_consents(table), first=CONSENT_EVENTS + merged.consents
        )
        await staging.clear(self.session, table)

    async def finish(self) -> Merged:
        await staging.drop(self.session, self.table)
        return self.merged

    async def _rowcount(self, sql: str, **extra: Any) -> int:
        return int((await self._execute(sql, extra)).rowcount)

    async def _execute(self, sql: str, extra: dict[str, Any]) -> CursorResult[Any]:
        params = {
            "workspace_id": self.request.workspace_id,
            "import_id": str(self.request.import_id),
            "file_sha256": self.request.file_sha256,
            "phone_header": self.request.phone_header,
            "headers": json.dumps(inject_headers()),
            **extra,
        }
        return cast(CursorResult[Any], await self.session.execute(sa.text(sql), params))


def _mark_duplicates(table: str) -> str:
    """Remember the first line of each number the batch brings; a row whose number has an
    earlier line is a duplicate of it: from an earlier batch (`seen`, as this statement
    starts) or else from this batch."""
    seen = staging.seen_table(table)
    return (
        f"WITH firsts AS (INSERT INTO {seen} (phone, line) "
        f"SELECT phone, min(line) FROM {table} WHERE reason IS NULL GROUP BY phone "
        "ON CONFLICT (phone) DO NOTHING RETURNING line) "
        f"UPDATE {table} AS s SET duplicate_of = coalesce("
        f"(SELECT e.line FROM {seen} AS e WHERE e.phone = s.phone), "
        f"(SELECT min(b.line) FROM {table} AS b WHERE b.phone = s.phone AND b.reason IS NULL)) "
        "WHERE s.reason IS NULL AND s.line NOT IN (SELECT line FROM firsts)"
    )


def _report(table: str) -> str:
    return (
        "INSERT INTO import_rejection (import_id, line, column_name, value, reason) "
        "SELECT CAST(:import_id AS uuid), s.line, coalesce(s.reject_column, ''), "
        f"coalesce(s.reject_value, ''), s.reason FROM {table} AS s WHERE s.reason IS NOT NULL "
        "UNION ALL "
        f"SELECT CAST(:import_id AS uuid), s.line, CAST(:phone_header AS text), {_MASKED}, "
        "'phone: duplicate of line ' || s.duplicate_of || ' (that first row is the one imported)' "
        f"FROM {table} AS s WHERE s.duplicate_of IS NOT NULL"
    )


def _assignments(table: str, mode: ImportMode, provided: frozenset[str]) -> list[tuple[str, str]]:
    """(column, its new value) for an existing contact `c` and the row proposed for it
    (EXCLUDED, whose empty cells are NULL except where the column has a default)."""
    replace = mode is ImportMode.REPLACE_ATTRIBUTES
    out = [(f, f"coalesce(EXCLUDED.{f}, c.{f})") for f in _NULLABLE if f in provided]
    for f in _DEFAULTED:
        if f in provided:  # the cell itself, as EXCLUDED holds the default for an empty one
            cell = (
                f"(SELECT b.{f} FROM {table} AS b WHERE b.phone = EXCLUDED.phone "
                "AND b.reason IS NULL AND b.duplicate_of IS NULL)"
            )
            out.append((f, f"coalesce({cell}, c.{f})"))
    if "timezone" in provided:
        out += [
            (f, f"CASE WHEN EXCLUDED.timezone_source = 'explicit' THEN EXCLUDED.{f} ELSE c.{f} END")
            for f in _TIMEZONE
        ]
    for f in _LABELS:
        if f not in provided:
            continue
        if replace:
            out.append((f, f"EXCLUDED.{f}"))
        else:
            union = (
                f'ARRAY(SELECT DISTINCT x COLLATE "C" FROM unnest(c.{f} || EXCLUDED.{f}) AS x '
                "ORDER BY 1)"
            )
            out.append((f, f"CASE WHEN cardinality(EXCLUDED.{f}) = 0 THEN c.{f} ELSE {union} END"))
    if any(p.startswith("attributes.") for p in provided):
        out.append(
            (
                "attributes",
                "EXCLUDED.attributes" if replace else "c.attributes || EXCLUDED.attributes",
            )
        )
    return out


def _upsert(table: str, mode: ImportMode, provided: frozenset[str]) -> str:
    """The batch's kept rows into `contact`, with the record of which contacts need a
    contact.updated event; selects the numbers of contacts created and updated."""
    assignments = [] if mode is ImportMode.CREATE_ONLY else _assignments(table, mode, provided)
    if assignments:
        sets = ", ".join(f"{column} = {value}" for column, value in assignments)
        new = ", ".join(value for _, value in assignments)
        old = ", ".join(f"c.{column}" for column, _ in assignments)
        on_conflict = (
            f"DO UPDATE SET {sets}, updated_at = now() WHERE ROW({new}) IS DISTINCT FROM ROW({old})"
        )
    else:
        on_conflict = "DO NOTHING"
    changed = (
        "INSERT INTO contact AS c (id, workspace_id, phone, country, timezone, timezone_source, "
        "timezone_ambiguous, locale, lifecycle, first_name, last_name, email, attributes, tags, "
        "lists, created_at, updated_at) "
        f"SELECT {UUID7_SQL}, CAST(:workspace_id AS text), s.phone, s.country, s.timezone, "
        "s.timezone_source, s.timezone_ambiguous, coalesce(s.locale, 'fr'), "
        "coalesce(s.lifecycle, 'prospect'), s.first_name, s.last_name, s.email, "
        "coalesce(s.attributes, CAST('{}' AS jsonb)), coalesce(s.tags, CAST('{}' AS text[])), "
        f"coalesce(s.lists, CAST('{{}}' AS text[])), now(), now() FROM {table} AS s "
        f"WHERE {_KEPT} "
        f"ON CONFLICT (workspace_id, phone) {on_conflict} "
        "RETURNING c.id, c.xmax = 0 AS inserted"
    )
    # The batch's contact.updated events are written after the commit (publication.py).
    publication = (
        "INSERT INTO contact_publication (workspace_id, correlation_id, first_event, "
        "contact_ids, headers) SELECT CAST(:workspace_id AS text), CAST(:import_id AS uuid), "
        "CAST(:first AS bigint), array_agg(id ORDER BY id), CAST(:headers AS jsonb) "
        "FROM changed HAVING count(*) > 0"
    )
    return (
        f"WITH changed AS ({changed}), publication AS ({publication}) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) "
        "FROM changed"
    )


def _declare_consents(table: str) -> str:
    rows = f"SELECT s.* FROM {table} AS s WHERE {_KEPT} AND s.opted_in_at IS NOT NULL"
    return outbox_sql.insert_events(CONSENT_TOPIC, "e.phone", outbox_sql.consent_payload("e"), rows)
