"""Outbox rows written by SQL (INSERT ... SELECT): a million events in one statement instead
of a million envelopes built in Python. The documents are those `herald_kit.outbox.Outbox`
writes (tests/integration/test_import_merge.py compares them with `service.to_event`)."""

from __future__ import annotations

from herald_contacts.models import Contact
from herald_events import topic
from herald_events.models.contacts import ContactUpdatedV1

PRODUCER = "contacts"


def envelope(topic_name: str, payload: str, alias: str) -> str:
    """The JSON envelope of one row of `alias`, which carries an `event_id` column. Binds
    :workspace_id and :import_id (the correlation id of every event of an import)."""
    spec = topic(topic_name)
    return (
        "jsonb_build_object("
        f"'event_id', {alias}.event_id, "
        f"'type', '{spec.event_type}', "
        f"'version', {spec.latest_version}, "
        "'occurred_at', now(), "
        "'workspace_id', CAST(:workspace_id AS text), "
        f"'producer', '{PRODUCER}', "
        "'correlation_id', CAST(:import_id AS uuid), "
        "'causation_id', NULL, "
        f"'payload', {payload})"
    )


def contact_payload(alias: str) -> str:
    """ContactUpdatedV1 from a `contact` row: every field of the event that is a column of
    the table (contact_id is `id`), so a field added to both is carried without a change."""
    columns = set(Contact.__table__.c.keys())
    pairs = []
    for field in ContactUpdatedV1.model_fields:
        column = "id" if field == "contact_id" else field
        if column in columns:
            pairs.append(f"'{field}', {alias}.{column}")
    return f"jsonb_build_object({', '.join(pairs)})"


def consent_payload(alias: str) -> str:
    """ConsentDeclaredV1 from a staging row. Binds :import_id and :file_sha256."""
    return (
        "jsonb_build_object("
        f"'phone', {alias}.phone, 'purpose', 'marketing', 'brand', 'default', "
        f"'opted_in_at', {alias}.opted_in_at, 'source', {alias}.consent_source, "
        "'import_id', CAST(:import_id AS uuid), 'file_sha256', CAST(:file_sha256 AS text), "
        f"'row', {alias}.line, 'wording', {alias}.consent_wording)"
    )


def insert_events(topic_name: str, key: str, payload: str, rows: str) -> str:
    """INSERT into the outbox one event per row of the query `rows` (aliased `e`). Binds
    :import_id, :headers and :first. Event ids are the import id with its last 48 bits
    replaced by :first + a counter: unique per import, and in order, so the outbox's unique
    index on event_id grows at its end instead of at random places."""
    event_id = (
        "CAST(overlay(CAST(:import_id AS text) placing "
        "lpad(to_hex(CAST(:first AS bigint) + row_number() OVER ()), 12, '0') from 25) AS uuid)"
    )
    return (
        "INSERT INTO outbox (event_id, topic, key, value, headers) "
        f"SELECT e.event_id, '{topic_name}', {key}, {envelope(topic_name, payload, 'e')}, "
        "CAST(:headers AS jsonb) "
        f"FROM (SELECT {event_id} AS event_id, r.* FROM ({rows}) AS r) AS e"
    )
