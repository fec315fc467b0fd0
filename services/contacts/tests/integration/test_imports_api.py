"""CSV imports through the API and the real worker code (ImportRunner, the pipeline the
`consumer` runs), on the real database: what a marketer's files become, row by row."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_contacts.imports import publication
from herald_contacts.imports.runner import ImportRunner
from herald_contacts.imports.settings import ImportSettings
from herald_contacts.models import Contact, ImportJob, ImportUpload
from herald_events.models.contacts import ConsentDeclaredV1, ContactUpdatedV1
from herald_kit.tables import OUTBOX
from herald_testing.api import KeyFactory, bearer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
FAST = ImportSettings(validation_processes=0, batch_rows=7, heartbeat_seconds=0.0)


def workspace(prefix: str) -> str:
    """A workspace of its own for each test: the database is shared by the session."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def upload(
    client: httpx.AsyncClient,
    key: str,
    body: bytes | AsyncIterator[bytes],
    content_type: str = "text/csv",
    **params: Any,
) -> httpx.Response:
    return await client.post(
        "/v1/imports",
        headers={**bearer(key), "Content-Type": content_type},
        params={k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()},
        content=body,
    )


async def run_worker(
    sessions: async_sessionmaker[AsyncSession], settings: ImportSettings = FAST
) -> None:
    """Run every pending job to its end, as the consumer's background task does."""
    runner = ImportRunner(sessions, settings)
    try:
        while await runner.run_once():
            pass
    finally:
        runner.close()


async def imported(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    key: str,
    body: bytes,
    **params: Any,
) -> dict[str, Any]:
    """Upload, run the worker, return the finished job."""
    response = await upload(client, key, body, **params)
    assert response.status_code == 202, response.text
    await run_worker(sessions)
    job = await client.get(f"/v1/imports/{response.json()['id']}", headers=bearer(key))
    result: dict[str, Any] = job.json()
    return result


async def contacts_of(
    sessions: async_sessionmaker[AsyncSession], workspace_id: str
) -> dict[str, Contact]:
    async with sessions() as session:
        rows = await session.scalars(sa.select(Contact).where(Contact.workspace_id == workspace_id))
        return {c.phone: c for c in rows}


async def events_of(
    sessions: async_sessionmaker[AsyncSession], workspace_id: str, topic: str
) -> list[dict[str, Any]]:
    async with sessions() as session:
        values = await session.scalars(
            sa.select(OUTBOX.c.value)
            .where(OUTBOX.c.topic == topic, OUTBOX.c.value["workspace_id"].astext == workspace_id)
            .order_by(OUTBOX.c.id)
        )
        return list(values)


async def report(client: httpx.AsyncClient, key: str, job: dict[str, Any]) -> list[list[str]]:
    response = await client.get(job["errors_url"], headers=bearer(key))
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8-sig")
    delimiter = "\t" if job["delimiter"] == "tab" else job["delimiter"]
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


class TestAFrenchFile:
    async def test_rows_become_contacts_and_bad_rows_are_reported_by_line(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("imp-fr")
        key = await key_for(ws)
        job = await imported(client, sessions, key, (FIXTURES / "french_utf8.csv").read_bytes())
        assert job["status"] == "done", job
        assert job["delimiter"] == ";"
        assert job["encoding"] == "UTF-8"
        assert job["columns"]["Téléphone portable"] == "phone"
        assert job["columns"]["Prénom"] == "first_name"
        assert job["progress_pct"] == 100
        contacts = await contacts_of(sessions, ws)
        assert contacts["+33612345678"].first_name == "Élodie"
        assert contacts["+33612345678"].tags == ["fidèle", "vip"]
        assert contacts["+262692123456"].country == "RE"
        assert contacts["+262692123456"].timezone == "Indian/Reunion"
        assert contacts["+590690123456"].country == "GP"
        assert contacts["+596696123456"].country == "MQ"
        assert contacts["+594694123456"].country == "GF"
        assert contacts["+2693212345"].country == "KM"
        assert contacts["+33698765432"].email == "jean.dupont@example.fr"
        rows = await report(client, key, job)
        assert rows[0] == ["line", "column", "value", "reason"]
        reasons = {int(r[0]): r for r in rows[1:]}
        assert reasons[10][3].startswith("phone: not a mobile number (landline)")
        assert reasons[10][2] == "0144***678"
        assert contacts["+33781223344"].first_name == "Inès"
        assert reasons[11][3] == "phone: missing"
        assert reasons[12][3].startswith("phone: not a")
        assert reasons[13][3] == "phone: duplicate of line 2 (that first row is the one imported)"
        assert "612345678" not in reasons[13][2]
        assert job["rows_read"] == 12
        assert job["rejected"] == len(reasons) == 4
        assert job["imported"] == len(contacts) == 8
        events = await events_of(sessions, ws, "contact.updated")
        assert len(events) == 8
        for event in events:
            ContactUpdatedV1.model_validate(event["payload"])
            assert event["correlation_id"] == job["id"]


class TestDuplicates:
    @pytest.mark.parametrize("mode", ["create_only", "update", "replace_attributes"])
    async def test_later_rows_of_a_number_are_refused_within_and_across_batches(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        mode: str,
    ) -> None:
        ws = workspace("imp-dups")
        key = await key_for(ws)
        existing = await client.post(
            "/v1/contacts", headers=bearer(key), json={"phone": "0612000101", "first_name": "Old"}
        )
        assert existing.status_code == 201
        rows = [
            "0612000101;Premier",  # 2: an existing contact
            "0612000102;Un",  # 3
            "+33612000101;Second",  # 4: duplicate of 2, same batch
            "0033 6 12 00 01 02;Deux",  # 5: duplicate of 3, same batch
            "0612000103;Trois",  # 6
            "06 12 00 01 01;Troisième",  # 7: duplicate of 2, same batch
            "0612000104;Quatre",  # 8
            "0612000103;Encore",  # 9: duplicate of 6, next batch
            "0612000101;Dernier",  # 10: duplicate of 2, next batch
        ]
        body = ("tel;prenom\n" + "\n".join(rows) + "\n").encode()
        job = await imported(client, sessions, key, body, mode=mode)
        assert job["status"] == "done", job
        reasons = {int(r[0]): r[3] for r in (await report(client, key, job))[1:]}
        duplicate = "phone: duplicate of line {} (that first row is the one imported)"
        assert reasons == {
            4: duplicate.format(2),
            5: duplicate.format(3),
            7: duplicate.format(2),
            9: duplicate.format(6),
            10: duplicate.format(2),
        }
        contacts = await contacts_of(sessions, ws)
        expected_first = "Old" if mode == "create_only" else "Premier"
        assert contacts["+33612000101"].first_name == expected_first
        assert (job["imported"], job["rejected"]) == (3, 5)
        assert job["updated"] == (0 if mode == "create_only" else 1)


class TestEncodingsAndSeparators:
    async def test_utf8_with_bom_comma_and_a_country_column(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("imp-bom")
        key = await key_for(ws)
        job = await imported(client, sessions, key, (FIXTURES / "utf8_bom_comma.csv").read_bytes())
        assert (job["status"], job["encoding"], job["delimiter"]) == ("done", "UTF-8 (BOM)", ",")
        assert job["columns"] == {
            "Phone": "phone",
            "First name": "first_name",
            "Last name": "last_name",
            "Email": "email",
            "Country": "country",
        }
        contacts = await contacts_of(sessions, ws)
        assert {phone: c.first_name for phone, c in contacts.items()} == {
            "+32470123456": "Amélie",
            "+262692223344": "Maëlys",
            "+41791234567": "Jürg",
            "+590690112233": "Léon",
            "+33612000001": "Chloé",
        }
        (refused,) = (await report(client, key, job))[1:]
        assert refused[:2] == ["7", "Country"]
        assert refused[3].startswith("country: 'Atlantis' is not a country")

    async def test_windows_1252_is_detected_and_read(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("imp-1252")
        key = await key_for(ws)
        body = (FIXTURES / "cp1252_semicolon.csv").read_bytes()
        job = await imported(client, sessions, key, body)
        assert (job["status"], job["encoding"], job["delimiter"]) == ("done", "Windows-1252", ";")
        assert job["columns"]["Notes"] is None  # not a contact field: ignored
        contacts = await contacts_of(sessions, ws)
        assert contacts["+33612000011"].first_name == "Françoise"
        assert contacts["+33612000011"].last_name == "Lefèvre"
        assert contacts["+33612000012"].first_name == "Cœur"

    @pytest.mark.parametrize(
        ("name", "delimiter", "expected"),
        [
            ("tab_separated.tsv", "tab", {"+33612000021": "Anaïs", "+33612000022": "Bruno"}),
            ("excel_sep_hint.csv", ";", {"+33612000031": "Yves"}),
        ],
    )
    async def test_tabs_excel_hints_and_leading_zero_tricks(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        name: str,
        delimiter: str,
        expected: dict[str, str],
    ) -> None:
        ws = workspace("imp-sep")
        key = await key_for(ws)
        job = await imported(client, sessions, key, (FIXTURES / name).read_bytes())
        assert (job["status"], job["delimiter"], job["rejected"]) == ("done", delimiter, 0)
        contacts = await contacts_of(sessions, ws)
        assert {phone: c.first_name for phone, c in contacts.items()} == expected


class TestQuotes:
    async def test_quoted_newlines_blank_lines_and_ragged_rows(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("imp-quotes")
        key = await key_for(ws)
        job = await imported(client, sessions, key, (FIXTURES / "quoted_newlines.csv").read_bytes())
        assert job["status"] == "done", job
        contacts = await contacts_of(sessions, ws)
        assert {phone: c.first_name for phone, c in contacts.items()} == {
            "+33612000041": 'Jean "JJ"',
            "+33612000043": 'Paul 5" écran',
            "+33612000044": "Rémi",
            "+33612000045": "Léa",
        }
        reasons = {r[0]: r[3] for r in (await report(client, key, job))[1:]}
        assert reasons == {
            "5": "last_name: contains a line break (a quote left open on an earlier line?)",
            "11": "6 values where the header has 4 (a separator inside an unquoted value?)",
        }
        assert job["rows_read"] == 6

    async def test_an_unclosed_quote_is_reported_with_the_lines_it_swallowed(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("imp-broken")
        key = await key_for(ws)
        job = await imported(client, sessions, key, (FIXTURES / "broken_quotes.csv").read_bytes())
        assert job["status"] == "done", job
        assert set(await contacts_of(sessions, ws)) == {"+33612000054"}
        (refused,) = (await report(client, key, job))[1:]
        assert refused[0] == "2"
        assert refused[3] == (
            "a quote opened on line 2 is not closed before line 4: "
            "the lines between were read as one value"
        )


class TestRefusedUpFront:
    @pytest.mark.parametrize(
        ("body", "status", "detail"),
        [
            (b"", 422, "file: empty"),
            ((FIXTURES / "header_only.csv").read_bytes(), 422, "file: a header (line 1) but no"),
            ((FIXTURES / "no_phone_column.csv").read_bytes(), 422, "file: no phone column"),
            (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 600, 415, "file: this is a ZIP archive"),
            (b"%PDF-1.7\n" + b"x" * 600, 415, "file: this is a PDF document"),
            (b"tel\n0612\x00345678\n", 415, "file: binary data (a NUL byte at offset 8)"),
            ("tel\n0612345678\n".encode("utf-16"), 422, "file: UTF-16 text is not supported"),
            (b"tel;nom\n0612345678;Ab\x81c\xe9\n", 422, "file: neither UTF-8"),
            (b"\xef\xbb\xbftel;nom\n0612345678;Ren\xe9\n", 422, "file: the file starts as UTF"),
            (b"  \n\n  \n", 422, "file: only blank lines, no header"),
        ],
    )
    async def test_a_file_that_cannot_be_imported_is_refused_and_nothing_is_stored(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        body: bytes,
        status: int,
        detail: str,
    ) -> None:
        ws = workspace("imp-refused")
        key = await key_for(ws)
        response = await upload(client, key, body)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"].startswith(detail), response.json()["detail"]
        async with sessions() as session:
            jobs = await session.scalar(
                sa.select(sa.func.count())
                .select_from(ImportJob)
                .where(ImportJob.workspace_id == ws)
            )
        assert jobs == 0

    @pytest.mark.parametrize(
        ("params", "content_type", "status", "detail"),
        [
            ({}, "application/json", 415, "Content-Type: application/json is not a CSV file"),
            ({}, "multipart/form-data; boundary=x", 415, "Content-Type: multipart/form-data"),
            ({"mapping": "{not json"}, "text/csv", 422, "mapping: not a JSON object"),
            ({"mapping": {"Fax": "phone"}}, "text/csv", 422, "mapping: no column 'Fax'"),
            ({"mapping": {"nom": "shoe_size"}}, "text/csv", 422, "mapping: column 'nom': 'shoe"),
            ({"mapping": {"nom": "attributes.vip"}}, "text/csv", 422, "mapping: attributes.vip"),
            ({"default_region": "XX"}, "text/csv", 422, "default_region: 'XX' is not a region"),
            ({"consent_columns": {"source": "nom"}}, "text/csv", 422, "consent_columns: opted_in"),
            ({"country_column": "Pays"}, "text/csv", 422, "country_column: no column 'Pays'"),
            ({"mode": "merge"}, "text/csv", 422, "mode:"),
        ],
    )
    async def test_bad_parameters_name_the_parameter(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        params: dict[str, Any],
        content_type: str,
        status: int,
        detail: str,
    ) -> None:
        key = await key_for(workspace("imp-params"))
        response = await upload(
            client, key, b"tel;nom\n0612345678;Dupont\n", content_type, **params
        )
        assert response.status_code == status, response.text
        assert response.json()["detail"].startswith(detail), response.json()["detail"]

    async def test_a_read_only_key_cannot_import_and_others_cannot_see(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("imp-auth")
        reader = await key_for(ws, ("contacts:read",))
        assert (await upload(client, reader, b"tel\n0612345678\n")).status_code == 403
        owner = await key_for(ws)
        created = (await upload(client, owner, b"tel\n0612345678\n")).json()
        other = await key_for(workspace("imp-other"))
        for path in ("", "/errors.csv"):
            seen = await client.get(f"/v1/imports/{created['id']}{path}", headers=bearer(other))
            assert seen.status_code == 404
        cancel = await client.post(f"/v1/imports/{created['id']}/cancel", headers=bearer(other))
        assert cancel.status_code == 404
        cancel = await client.post(f"/v1/imports/{created['id']}/cancel", headers=bearer(owner))
        assert cancel.status_code == 200


class TestFailedJobs:
    async def test_a_header_with_only_blank_lines_after_it_fails_with_the_reason(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        """Past the first 64 KiB the API cannot see that no row follows: the job says so."""
        key = await key_for(workspace("imp-blank"))
        job = await imported(client, sessions, key, b"telephone;nom\n" + b";\n" * 40_000)
        assert job["status"] == "failed"
        assert job["error"] == "file: a header (line 1) but no data rows"
        assert job["imported"] == 0
        report_response = await client.get(job["errors_url"], headers=bearer(key))
        assert report_response.status_code == 409
        async with sessions() as session:
            chunks = await session.scalar(
                sa.select(sa.func.count())
                .select_from(ImportUpload)
                .where(ImportUpload.import_id == uuid.UUID(job["id"]))
            )
        assert chunks == 0  # the upload is not kept once the job has ended


class TestModes:
    async def existing(
        self,
        client: httpx.AsyncClient,
        ws: str,
        key: str,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        for name, kind in (("points", "number"), ("vip", "boolean"), ("city", "string")):
            declared = await client.put(
                f"/v1/attributes/{name}", headers=bearer(key), json={"type": kind}
            )
            assert declared.status_code in (200, 201), declared.text
        created = await client.post(
            "/v1/contacts",
            headers=bearer(key),
            json={
                "phone": "0612000061",
                "first_name": "Ancien",
                "last_name": "Nom",
                "email": "ancien@example.fr",
                "tags": ["old"],
                "attributes": {"points": 10, "city": "Lyon"},
            },
        )
        assert created.status_code == 201, created.text

    FILE = (
        b"tel;prenom;nom;email;tags;attr points;attr vip\n"
        b"0612000061;Nouveau;;;new;1 250,5;oui\n"
        b"0612000062;Neuf;Contact;;a|b;;non\n"
    )
    MAPPING: ClassVar[dict[str, str]] = {
        "attr points": "attributes.points",
        "attr vip": "attributes.vip",
    }

    async def run(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        mode: str,
    ) -> tuple[dict[str, Any], dict[str, Contact], str]:
        ws = workspace(f"imp-{mode[:6]}")
        key = await key_for(ws)
        await self.existing(client, ws, key, sessions)
        job = await imported(client, sessions, key, self.FILE, mode=mode, mapping=self.MAPPING)
        assert job["status"] == "done", job
        return job, await contacts_of(sessions, ws), ws

    async def test_create_only_leaves_existing_contacts_alone(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        job, contacts, ws = await self.run(client, key_for, sessions, "create_only")
        assert (job["imported"], job["updated"], job["unchanged"]) == (1, 0, 1)
        old = contacts["+33612000061"]
        assert (old.first_name, old.tags, old.attributes) == (
            "Ancien",
            ["old"],
            {"points": 10, "city": "Lyon"},
        )
        new = contacts["+33612000062"]
        assert (new.first_name, new.tags, new.attributes) == ("Neuf", ["a", "b"], {"vip": False})
        assert len(await events_of(sessions, ws, "contact.updated")) == 2  # API create + 1

    async def test_update_overwrites_given_cells_merges_attributes_and_adds_tags(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        job, contacts, ws = await self.run(client, key_for, sessions, "update")
        assert (job["imported"], job["updated"], job["unchanged"]) == (1, 1, 0)
        old = contacts["+33612000061"]
        assert (old.first_name, old.last_name, old.email) == (
            "Nouveau",
            "Nom",
            "ancien@example.fr",
        )
        assert old.tags == ["new", "old"]
        assert old.attributes == {"points": 1250.5, "city": "Lyon", "vip": True}
        events = await events_of(sessions, ws, "contact.updated")
        assert events[-2]["payload"]["first_name"] in ("Nouveau", "Neuf")
        assert len(events) == 3

    async def test_replace_attributes_replaces_attributes_and_tags(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        job, contacts, _ = await self.run(client, key_for, sessions, "replace_attributes")
        assert (job["imported"], job["updated"]) == (1, 1)
        old = contacts["+33612000061"]
        assert (old.first_name, old.last_name) == ("Nouveau", "Nom")
        assert old.tags == ["new"]
        assert old.attributes == {"points": 1250.5, "vip": True}

    async def test_the_same_file_twice_changes_nothing_the_second_time(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("imp-again")
        key = await key_for(ws)
        body = (FIXTURES / "french_utf8.csv").read_bytes()
        first = await imported(client, sessions, key, body)
        second = await imported(client, sessions, key, body)
        assert first["imported"] == second["unchanged"] == 8
        assert (second["imported"], second["updated"], second["rejected"]) == (0, 0, 4)
        assert second["file_sha256"] == first["file_sha256"]
        assert len(await events_of(sessions, ws, "contact.updated")) == 8

    async def test_values_with_tabs_backslashes_and_quotes_arrive_intact(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("imp-escape")
        key = await key_for(ws)
        body = b'tel,prenom,nom,tags\n0612000071,"a\tb","c\\\\N\\d","x ""y"" z;{w},v"\n'
        job = await imported(client, sessions, key, body)
        assert job["status"] == "done", job
        contact = (await contacts_of(sessions, ws))["+33612000071"]
        assert (contact.first_name, contact.last_name) == ("a\tb", "c\\\\N\\d")
        assert contact.tags == ["v", 'x "y" z', "{w}"]


class TestEvents:
    async def test_contact_updated_written_by_sql_is_the_service_event(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        from herald_contacts.service import to_event

        ws = workspace("imp-event")
        key = await key_for(ws)
        body = "tel;prenom;tags;langue;fuseau\n0612000081;Zoé;b,a;en-gb;America/Cayenne\n"
        job = await imported(client, sessions, key, body.encode())
        contact = (await contacts_of(sessions, ws))["+33612000081"]
        (event,) = await events_of(sessions, ws, "contact.updated")
        assert ContactUpdatedV1.model_validate(event["payload"]) == to_event(contact)
        assert (contact.locale, contact.timezone, contact.timezone_source) == (
            "en-GB",
            "America/Cayenne",
            "explicit",
        )
        assert event["type"] == "contact.updated"
        assert event["producer"] == "contacts"
        assert event["workspace_id"] == ws
        assert event["correlation_id"] == job["id"]
        async with sessions() as session:
            key_of = await session.scalar(
                sa.select(OUTBOX.c.key).where(OUTBOX.c.event_id == uuid.UUID(event["event_id"]))
            )
        assert key_of == str(contact.id)


class TestConsent:
    FILE = (
        "Portable;Prénom;Opt-in le;Origine;Texte\n"
        "0612000091;Ana;15/03/2025 14:30;jeu concours;J'accepte les SMS\n"
        "0612000092;Ben;;;\n"
        "0612000093;Cid;2025-06-01T09:30:00+02:00;;\n"
        "0612000094;Dan;hier;;\n"
        "0612000095;Eva;01/01/2099;;\n"
    ).encode()

    async def test_declared_columns_become_consent_evidence_with_the_file_hash(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("imp-consent")
        key = await key_for(ws)
        columns = {"opted_in_at": "Opt-in le", "source": "Origine", "wording": "Texte"}
        job = await imported(client, sessions, key, self.FILE, consent_columns=columns)
        assert job["status"] == "done", job
        assert job["columns"]["Opt-in le"] == "consent.opted_in_at"
        events = await events_of(sessions, ws, "consent.declared")
        declared = [ConsentDeclaredV1.model_validate(e["payload"]) for e in events]
        assert [(d.phone, d.row, d.source) for d in declared] == [
            ("+33612000091", 2, "jeu concours"),
            ("+33612000093", 4, "import"),
        ]
        first = declared[0]
        assert first.opted_in_at == datetime(2025, 3, 15, 14, 30, tzinfo=ZoneInfo("Europe/Paris"))
        assert first.wording == "J'accepte les SMS"
        assert (first.file_sha256, str(first.import_id)) == (job["file_sha256"], job["id"])
        assert {e["key"] for e in await self.keys(sessions, ws)} == {"+33612000091", "+33612000093"}
        reasons = {r[0]: r[3] for r in (await report(client, key, job))[1:]}
        assert reasons["5"].startswith("opted_in_at: not a date")
        assert reasons["6"] == "opted_in_at: in the future"
        assert job["imported"] == 3

    async def keys(
        self, sessions: async_sessionmaker[AsyncSession], ws: str
    ) -> list[dict[str, Any]]:
        async with sessions() as session:
            rows = await session.execute(
                sa.select(OUTBOX.c.key).where(
                    OUTBOX.c.topic == "consent.declared",
                    OUTBOX.c.value["workspace_id"].astext == ws,
                )
            )
            return [{"key": row.key} for row in rows]

    async def test_consent_is_never_implied(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("imp-noconsent")
        key = await key_for(ws)
        job = await imported(client, sessions, key, self.FILE)
        assert job["status"] == "done"
        assert job["columns"]["Opt-in le"] is None
        assert await events_of(sessions, ws, "consent.declared") == []


def numbers_file(count: int, start: int = 0) -> bytes:
    lines = ["telephone;prenom"] + [f"06{12000000 + start + n:08d};P{n}" for n in range(count)]
    return ("\n".join(lines) + "\n").encode()


async def leftovers(
    sessions: async_sessionmaker[AsyncSession], ws: str, job_id: str
) -> dict[str, int]:
    """What a job that applied nothing must not have left anywhere."""
    async with sessions() as session:
        counts = {
            "contacts": await session.scalar(
                sa.select(sa.func.count()).select_from(Contact).where(Contact.workspace_id == ws)
            ),
            "events": await session.scalar(
                sa.select(sa.func.count())
                .select_from(OUTBOX)
                .where(OUTBOX.c.value["workspace_id"].astext == ws)
            ),
            "staging_tables": await session.scalar(
                sa.text("SELECT count(*) FROM pg_tables WHERE tablename LIKE :name"),
                {"name": f"import_staging_{uuid.UUID(job_id).hex}%"},
            ),
            "upload_chunks": await session.scalar(
                sa.select(sa.func.count())
                .select_from(ImportUpload)
                .where(ImportUpload.import_id == uuid.UUID(job_id))
            ),
        }
    return {name: int(value or 0) for name, value in counts.items()}


NOTHING = {"contacts": 0, "events": 0, "staging_tables": 0, "upload_chunks": 0}


class TestCancel:
    async def test_a_cancel_while_rows_are_read_leaves_nothing(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from herald_contacts.imports import staging

        ws = workspace("imp-cancel")
        key = await key_for(ws)
        job = (await upload(client, key, numbers_file(200))).json()
        real_copy = staging.copy_rows
        copies = 0
        seen: dict[str, Any] = {}

        async def copy_then_cancel(session: AsyncSession, table: str, data: bytes) -> None:
            nonlocal copies
            await real_copy(session, table, data)
            copies += 1
            if copies == 3:
                seen["running"] = (
                    await client.get(f"/v1/imports/{job['id']}", headers=bearer(key))
                ).json()
                cancelled = await client.post(
                    f"/v1/imports/{job['id']}/cancel", headers=bearer(key)
                )
                assert cancelled.status_code == 200, cancelled.text

        monkeypatch.setattr(staging, "copy_rows", copy_then_cancel)
        await run_worker(sessions)
        assert seen["running"]["status"] == "running"
        assert 0 < seen["running"]["progress_pct"] < 100
        assert seen["running"]["rows_read"] > 0
        final = (await client.get(f"/v1/imports/{job['id']}", headers=bearer(key))).json()
        assert (final["status"], final["imported"]) == ("cancelled", 0)
        assert copies < 200 // FAST.batch_rows  # it stopped soon after the cancel
        assert await leftovers(sessions, ws, job["id"]) == NOTHING

    async def test_a_cancel_during_the_merge_waits_and_finds_the_import_done(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        import asyncio

        from herald_contacts.imports import pipeline

        ws = workspace("imp-late-cancel")
        key = await key_for(ws)
        job = (await upload(client, key, numbers_file(20))).json()
        real_finish = pipeline._finish
        cancels: list[asyncio.Task[httpx.Response]] = []

        async def finish_then_cancel(*args: Any, **kwargs: Any) -> Any:
            figures = await real_finish(*args, **kwargs)  # the job's row is now locked
            url = f"/v1/imports/{job['id']}/cancel"
            cancels.append(asyncio.create_task(client.post(url, headers=bearer(key))))
            await asyncio.sleep(0.3)  # the cancel is now waiting for the job's row
            assert not cancels[0].done()
            return figures

        monkeypatch.setattr(pipeline, "_finish", finish_then_cancel)
        await run_worker(sessions)
        response = await cancels[0]
        assert response.status_code == 409
        assert response.json()["detail"] == "the import is already done"
        assert len(await contacts_of(sessions, ws)) == 20

    async def test_a_pending_import_cancelled_is_never_run(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("imp-pending")
        key = await key_for(ws)
        job = (await upload(client, key, numbers_file(5))).json()
        assert job["status"] == "pending"
        url = f"/v1/imports/{job['id']}/cancel"
        assert (await client.post(url, headers=bearer(key))).json()["status"] == "cancelled"
        await run_worker(sessions)
        assert await leftovers(sessions, ws, job["id"]) == NOTHING
        again = await client.post(url, headers=bearer(key))
        assert again.status_code == 409
        assert again.json()["detail"] == "the import is already cancelled"

    async def test_a_stopping_worker_hands_the_job_back_and_the_next_run_applies_it(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        import asyncio

        from herald_contacts.imports import staging

        ws = workspace("imp-stop")
        key = await key_for(ws)
        job = (await upload(client, key, numbers_file(100))).json()
        stopping = asyncio.Event()
        real_copy = staging.copy_rows

        async def copy_then_stop(session: AsyncSession, table: str, data: bytes) -> None:
            await real_copy(session, table, data)
            stopping.set()  # SIGTERM

        with monkeypatch.context() as patch:
            patch.setattr(staging, "copy_rows", copy_then_stop)
            runner = ImportRunner(sessions, FAST, stopping)
            assert await runner.run_once()
        state = (await client.get(f"/v1/imports/{job['id']}", headers=bearer(key))).json()
        assert state["status"] == "pending"
        assert (await leftovers(sessions, ws, job["id"]))["contacts"] == 0
        await run_worker(sessions)
        final = (await client.get(f"/v1/imports/{job['id']}", headers=bearer(key))).json()
        assert (final["status"], final["imported"]) == ("done", 100)


class TestUpdateModeDefaults:
    async def test_an_empty_cell_keeps_the_language_and_lifecycle_a_filled_one_changes_them(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("imp-defaults")
        key = await key_for(ws)
        for phone in ("0612000111", "0612000112"):
            created = await client.post(
                "/v1/contacts",
                headers=bearer(key),
                json={"phone": phone, "locale": "en", "lifecycle": "member"},
            )
            assert created.status_code == 201, created.text
        body = "tel;langue;cycle de vie\n0612000111;;\n0612000112;fr;client\n0612000113;;\n"
        job = await imported(client, sessions, key, body.encode())
        assert (job["imported"], job["updated"], job["unchanged"]) == (1, 1, 1)
        contacts = await contacts_of(sessions, ws)
        assert (contacts["+33612000111"].locale, contacts["+33612000111"].lifecycle) == (
            "en",
            "member",
        )
        assert (contacts["+33612000112"].locale, contacts["+33612000112"].lifecycle) == (
            "fr",
            "customer",
        )
        assert (contacts["+33612000113"].locale, contacts["+33612000113"].lifecycle) == (
            "fr",
            "prospect",
        )


class TestConcurrentImports:
    async def test_two_imports_of_one_workspace_take_turns_and_both_apply(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        import asyncio

        ws = workspace("imp-turns")
        key = await key_for(ws)
        first = (await upload(client, key, numbers_file(60))).json()
        second = (await upload(client, key, numbers_file(60, start=30))).json()
        settings = ImportSettings(validation_processes=0, batch_rows=10, heartbeat_seconds=0.05)
        runners = [ImportRunner(sessions, settings) for _ in range(2)]
        try:
            claimed = await asyncio.gather(*(runner.run_once() for runner in runners))
        finally:
            for runner in runners:
                runner.close()
        assert claimed == [True, True]
        jobs = [
            (await client.get(f"/v1/imports/{job['id']}", headers=bearer(key))).json()
            for job in (first, second)
        ]
        assert [job["status"] for job in jobs] == ["done", "done"]
        assert sorted((job["imported"], job["updated"]) for job in jobs) == [(30, 30), (60, 0)]
        assert len(await contacts_of(sessions, ws)) == 90
        assert await publication.publish_pending(sessions) == 120  # after the commits
        assert len(await events_of(sessions, ws, "contact.updated")) == 120


class TestProcessPool:
    async def test_rows_checked_in_worker_processes_give_the_same_import(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("imp-pool")
        key = await key_for(ws)
        response = await upload(client, key, (FIXTURES / "french_utf8.csv").read_bytes())
        settings = ImportSettings(validation_processes=1, batch_rows=5)
        await run_worker(sessions, settings)
        job = (await client.get(f"/v1/imports/{response.json()['id']}", headers=bearer(key))).json()
        assert (job["status"], job["imported"], job["rejected"]) == ("done", 8, 4)
        assert (await contacts_of(sessions, ws))["+33612345678"].first_name == "Élodie"


class TestDeferredEvents:
    """An import's contact.updated events are written after its commit (publication.py)."""

    async def _import_without_events(
        self, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], ws: str
    ) -> str:
        key = await self.key
        response = await upload(client, key, numbers_file(5))
        assert response.status_code == 202, response.text
        runner = ImportRunner(sessions, FAST)
        try:
            assert await runner.run_once()  # the import only: its events are still owed
        finally:
            runner.close()
        return key

    @pytest.fixture(autouse=True)
    def _key(self, key_for: KeyFactory) -> None:
        self.ws = workspace("imp-deferred")
        self.key = key_for(self.ws)

    async def test_events_follow_the_commit_with_ids_in_order_and_nothing_left_owed(
        self, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        await self._import_without_events(client, sessions, self.ws)
        assert len(await contacts_of(sessions, self.ws)) == 5
        assert await events_of(sessions, self.ws, "contact.updated") == []
        assert await publication.publish_pending(sessions) == 5
        events = await events_of(sessions, self.ws, "contact.updated")
        contacts = await contacts_of(sessions, self.ws)
        assert sorted(e["payload"]["phone"] for e in events) == sorted(contacts)
        ids = [uuid.UUID(e["event_id"]) for e in events]
        assert ids == sorted(ids)
        assert len(set(ids)) == 5
        assert await publication.publish_pending(sessions) == 0  # the row was deleted

    async def test_an_event_carries_the_state_when_written_and_skips_erased_contacts(
        self, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        key = await self._import_without_events(client, sessions, self.ws)
        contacts = sorted((await contacts_of(sessions, self.ws)).values(), key=lambda c: c.phone)
        renamed, erased = contacts[0], contacts[1]
        response = await client.patch(
            f"/v1/contacts/{renamed.id}", headers=bearer(key), json={"first_name": "Zoé"}
        )
        assert response.status_code == 200, response.text
        response = await client.delete(f"/v1/contacts/{erased.id}", headers=bearer(key))
        assert response.status_code == 204, response.text

        assert await publication.publish_pending(sessions) == 5
        events = await events_of(sessions, self.ws, "contact.updated")
        by_key: dict[str, list[dict[str, Any] | None]] = {}
        async with sessions() as session:
            rows = await session.execute(
                sa.select(OUTBOX.c.key, OUTBOX.c.value)
                .where(
                    OUTBOX.c.topic == "contact.updated",
                    OUTBOX.c.key.in_([str(c.id) for c in contacts]),
                )
                .order_by(OUTBOX.c.id)
            )
            for row_key, value in rows:
                by_key.setdefault(row_key, []).append(value)
        # The renamed contact: its API event, then the import's, both with the new name.
        assert [v and v["payload"]["first_name"] for v in by_key[str(renamed.id)]] == ["Zoé"] * 2
        # The erased contact: its tombstone only, never resurrected by the import's events.
        assert by_key[str(erased.id)] == [None]
        assert len([e for e in events if e is not None]) >= 4
