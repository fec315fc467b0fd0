"""The merge: each checked batch of rows applied to `contact` in the run's one transaction,
while the next batches are still being read and checked (PostgreSQL's work overlaps the
checking processes' instead of following it).

Batches come in file order. A batch is COPY'd into the run's batch table; numbers already
seen earlier in the file (the `seen` table keeps each number's first line) make the row a
duplicate, refused with the line of the first. Refused rows go to the job's report,
existing contacts are updated as the mode says and new numbers inserted, each in one
statement whose RETURNING feeds, in the same statement, the `contact.updated` event of
every contact it created or changed; every row declaring consent gets its
`consent.declared`. All with INSERT ... SELECT. Existing contacts are updated
before new ones are inserted, so a contact created by this import is never counted as
updated too. Event ids follow each other within an import (the import id with a counter),
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
from herald_kit.telemetry import inject_headers

CONTACT_TOPIC = "contact.updated"
CONSENT_TOPIC = "consent.declared"
CONSENT_EVENTS = 1 << 40  # where the consent.declared events' counter starts
_SCALARS = ("first_name", "last_name", "email", "locale", "lifecycle")
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
    events: int = 0  # contact.updated events written


@dataclass
class Merger:
    """Merges the batches of one run, in order, in the run's transaction."""

    session: AsyncSession
    table: str
    request: MergeRequest
    merged: Merged = field(default_factory=Merged)

    async def start(self) -> None:
        await staging.create(self.session, self.table)
        # Each batch is small and every table it meets is indexed on the join key (contact
        # on workspace and phone, seen on phone): index lookups, never a scan of the big side.
        for setting in ("work_mem = '64MB'", "enable_hashjoin = off", "enable_mergejoin = off"):
            await self.session.execute(sa.text(f"SET LOCAL {setting}"))
        await self.session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext('herald.import:' || :workspace_id))"),
            {"workspace_id": self.request.workspace_id},
        )

    async def add(self, data: bytes) -> None:
        """Merge one batch of rows in staging's COPY format."""
        if not data:
            return
        table, merged = self.table, self.merged
        await staging.copy_rows(self.session, table, data)
        await self.session.execute(sa.text(f"ANALYZE {table}"))
        await self._run(_first_lines(table))
        merged.duplicates += await self._run(_mark_duplicates(table))
        merged.refused += await self._run(_report(table))
        if self.request.mode is not ImportMode.CREATE_ONLY:
            assignments = _assignments(self.request.mode, self.request.provided)
            if assignments:
                updated = await self._count(_update(table, assignments), first=merged.events)
                merged.updated += updated
                merged.events += updated
        created = await self._count(_insert(table), first=merged.events)
        merged.created += created
        merged.events += created
        merged.consents += await self._run(
            _declare_consents(table), first=CONSENT_EVENTS + merged.consents
        )
        await staging.clear(self.session, table)

    async def finish(self) -> Merged:
        await staging.drop(self.session, self.table)
        return self.merged

    async def _run(self, sql: str, **extra: Any) -> int:
        """The statement's rowcount."""
        result = await self._execute(sql, extra)
        return int(result.rowcount)

    async def _count(self, sql: str, **extra: Any) -> int:
        """The count the statement selects."""
        result = await self._execute(sql, extra)
        return int(result.scalar_one())

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


def _first_lines(table: str) -> str:
    """Remember the first line of each number the batch brings (earlier ones stay)."""
    return (
        f"INSERT INTO {staging.seen_table(table)} (phone, line) "
        f"SELECT phone, min(line) FROM {table} WHERE reason IS NULL GROUP BY phone "
        "ON CONFLICT (phone) DO NOTHING"
    )


def _mark_duplicates(table: str) -> str:
    return (
        f"UPDATE {table} AS s SET duplicate_of = f.line FROM {staging.seen_table(table)} AS f "
        "WHERE s.phone = f.phone AND s.line <> f.line AND s.reason IS NULL"
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


def _assignments(mode: ImportMode, provided: frozenset[str]) -> list[tuple[str, str]]:
    """(column, its new value) for an existing contact `c` and its staging row `s`."""
    replace = mode is ImportMode.REPLACE_ATTRIBUTES
    out = [(f, f"coalesce(s.{f}, c.{f})") for f in _SCALARS if f in provided]
    if "timezone" in provided:
        out += [
            (f, f"CASE WHEN s.timezone_source = 'explicit' THEN s.{f} ELSE c.{f} END")
            for f in _TIMEZONE
        ]
    for f in _LABELS:
        if f not in provided:
            continue
        if replace:
            out.append((f, f"coalesce(s.{f}, CAST('{{}}' AS text[]))"))
        else:
            union = (
                f'ARRAY(SELECT DISTINCT x COLLATE "C" FROM unnest(c.{f} || s.{f}) AS x ORDER BY 1)'
            )
            out.append((f, f"CASE WHEN s.{f} IS NULL THEN c.{f} ELSE {union} END"))
    if any(p.startswith("attributes.") for p in provided):
        empty = "CAST('{}' AS jsonb)"
        value = f"coalesce(s.attributes, {empty})"
        out.append(("attributes", value if replace else f"c.attributes || {value}"))
    return out


def _update(table: str, assignments: list[tuple[str, str]]) -> str:
    sets = ", ".join(f"{column} = {value}" for column, value in assignments)
    new = ", ".join(value for _, value in assignments)
    old = ", ".join(f"c.{column}" for column, _ in assignments)
    changed = (
        f"UPDATE contact AS c SET {sets}, updated_at = now() FROM {table} AS s "
        f"WHERE c.workspace_id = :workspace_id AND c.phone = s.phone AND {_KEPT} "
        f"AND ROW({new}) IS DISTINCT FROM ROW({old}) RETURNING c.*"
    )
    return _with_events(changed)


def _insert(table: str) -> str:
    created = (
        "INSERT INTO contact (id, workspace_id, phone, country, timezone, timezone_source, "
        "timezone_ambiguous, locale, lifecycle, first_name, last_name, email, attributes, tags, "
        "lists, created_at, updated_at) "
        "SELECT gen_random_uuid(), CAST(:workspace_id AS text), s.phone, s.country, s.timezone, "
        "s.timezone_source, s.timezone_ambiguous, coalesce(s.locale, 'fr'), "
        "coalesce(s.lifecycle, 'prospect'), s.first_name, s.last_name, s.email, "
        "coalesce(s.attributes, CAST('{}' AS jsonb)), coalesce(s.tags, CAST('{}' AS text[])), "
        f"coalesce(s.lists, CAST('{{}}' AS text[])), now(), now() FROM {table} AS s "
        f"WHERE {_KEPT} "
        "ON CONFLICT (workspace_id, phone) DO NOTHING RETURNING contact.*"
    )
    return _with_events(created)


def _with_events(statement: str) -> str:
    """`statement` (returning contact rows) with their contact.updated events; its count."""
    events = outbox_sql.insert_events(
        CONTACT_TOPIC, "e.id::text", outbox_sql.contact_payload("e"), "SELECT * FROM changed"
    )
    return f"WITH changed AS ({statement}), events AS ({events}) SELECT count(*) FROM changed"


def _declare_consents(table: str) -> str:
    rows = f"SELECT s.* FROM {table} AS s WHERE {_KEPT} AND s.opted_in_at IS NOT NULL"
    return outbox_sql.insert_events(CONSENT_TOPIC, "e.phone", outbox_sql.consent_payload("e"), rows)
