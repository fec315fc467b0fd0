"""Expansion against a REAL contacts API (herald_contacts served by uvicorn on a loopback
port, with its own migrated database): consent filters the audience, the template is
rendered per contact, one sms.requested per recipient lands in the outbox, and nothing is
ever requested twice: not on a re-run, not after a cut stream, not after a crash."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_campaigns import service
from herald_campaigns.contacts_client import ContactsClient
from herald_campaigns.domain.audience import Recipient
from herald_campaigns.domain.mention import MentionPolicy
from herald_campaigns.domain.messages import (
    message_id,
    requested_event_id,
    scheduled_event_id,
    updated_event_id,
)
from herald_campaigns.expansion import Expander, run_expansion
from herald_campaigns.models import Campaign, ExpansionJob
from herald_campaigns.schemas import (
    AllContactsAudience,
    Audience,
    CampaignCreate,
    SegmentAudience,
)
from herald_campaigns.service import ChunkOutcome
from herald_campaigns.settings import CampaignsSettings, ContactsApiSettings, ExpansionSettings
from herald_events import Envelope
from herald_events.models.campaigns import CapPolicy, SmsPriority, SmsRequestedV1
from herald_events.models.common import Category
from herald_events.models.dispatcher import SmsFailedV1
from herald_kit.consumer import apply_once
from herald_kit.db import make_engine, make_sessionmaker, transaction
from herald_kit.outbox import Outbox
from herald_kit.settings import DbSettings, KafkaSettings
from herald_kit.tables import OUTBOX
from herald_kit.worker import WorkerResources
from herald_stack.kafka import KafkaBroker
from herald_stack.ports import HOST, free_port
from herald_stack.postgres import PostgresCluster
from herald_testing.api import (
    bearer,
    issue_api_key,
    migrated_database,
    service_env,
    wait_until_accepted,
)

SERVICE_DIR = Path(__file__).resolve().parents[2]
TEMPLATE = "Bonjour {{first_name|client}}, -20% ce week-end ! STOP au 36111"
CONTACTS_DIR = SERVICE_DIR.parent / "contacts"
FAST = {"backoff_start": 0.01, "backoff_max": 0.05, "poll_seconds": 0.05}
ConsentRecorder = Callable[..., Awaitable[None]]


def workspace(prefix: str) -> str:
    """A workspace of its own for each test: the database is shared by the session."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- a real contacts API on a loopback port ------------------------------------------------


class _QuietServer(uvicorn.Server):
    """Leaves the test process's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass(frozen=True)
class ContactsApi:
    url: str
    bootstrap: str
    system_key: str  # workspace "*", contacts:read: what campaigns is given in production
    dsn: str  # its database, for events applied through its real handlers
    keys: dict[str, str] = field(default_factory=dict, compare=False)  # workspace → key

    async def key(self, workspace_id: str) -> str:
        """A key of the workspace (contacts:*), issued once and accepted by the app."""
        if workspace_id not in self.keys:
            key = await issue_api_key(self.bootstrap, workspace_id, ("contacts:*",))
            async with httpx.AsyncClient(base_url=self.url) as api:
                await wait_until_accepted(api, key, "/v1/contacts?limit=1")
            self.keys[workspace_id] = key
        return self.keys[workspace_id]

    async def expect(
        self, status: int, workspace_id: str, method: str, path: str, **kwargs: Any
    ) -> Any:
        key = await self.key(workspace_id)
        async with httpx.AsyncClient(base_url=self.url) as api:
            response = await api.request(method, path, headers=bearer(key), **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    async def add_contacts(self, workspace_id: str, contacts: list[dict[str, Any]]) -> list[str]:
        """Create contacts through the API with a key of the workspace; returns their ids."""
        return [
            (await self.expect(201, workspace_id, "POST", "/v1/contacts", json=contact))["id"]
            for contact in contacts
        ]

    async def create_segment(self, workspace_id: str, filter_: dict[str, Any]) -> str:
        body = {"name": f"segment-{uuid.uuid4().hex[:8]}", "filter": filter_}
        segment = await self.expect(201, workspace_id, "POST", "/v1/segments", json=body)
        return str(segment["id"])

    async def delete_segment(self, workspace_id: str, segment_id: str) -> None:
        await self.expect(204, workspace_id, "DELETE", f"/v1/segments/{segment_id}")

    async def declare_attribute(
        self, workspace_id: str, name: str, kind: str, *, status: int = 201
    ) -> None:
        """201 when declared, 200 when an existing declaration's type changes."""
        await self.expect(
            status, workspace_id, "PUT", f"/v1/attributes/{name}", json={"type": kind}
        )

    async def mark_unreachable(self, workspace_id: str, phone: str) -> None:
        """The dispatcher's `sms.failed` for an invalid destination, through contacts' own
        handler: the number becomes unreachable."""
        from herald_contacts.events.subscriptions import groups as contacts_groups

        envelope = Envelope[Any](
            type="sms.failed",
            version=1,
            workspace_id=workspace_id,
            producer="dispatcher",
            payload=SmsFailedV1(
                message_id=uuid.uuid4(),
                phone=phone,
                route="test",
                error_code="0x0000000B",
                reason="invalid destination address",
                failed_at=datetime.now(UTC),
            ),
        )
        [subscription] = [
            s for s in contacts_groups()["contacts.engagement"] if s.topic == "sms.failed"
        ]
        engine = make_engine(DbSettings(url=self.dsn))
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                assert await apply_once(
                    session,
                    Outbox(producer="contacts"),
                    "contacts.engagement",
                    subscription,
                    envelope,
                )
        finally:
            await engine.dispose()


@pytest.fixture(scope="module")
async def contacts_api(
    pg_server: PostgresCluster, kafka_broker: KafkaBroker
) -> AsyncIterator[ContactsApi]:
    """herald_contacts' real app with its own migrated database, served by uvicorn."""
    from herald_contacts import settings as contacts_settings
    from herald_contacts.main import create_app

    dsn = migrated_database(pg_server, CONTACTS_DIR)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in service_env("contacts", dsn, kafka_broker.bootstrap).items():
            patch.setenv(name, value)
        contacts_settings.get_settings.cache_clear()
        app = create_app()
        port = free_port()
        server = _QuietServer(
            uvicorn.Config(
                app, host=HOST, port=port, log_config=None, access_log=False, lifespan="on"
            )
        )
        task = asyncio.create_task(server.serve())
        try:
            while not server.started:
                if task.done():
                    raise RuntimeError(f"contacts API did not start: {task.exception()!r}")
                await asyncio.sleep(0.05)
            url = f"http://{HOST}:{port}"
            system_key = await issue_api_key(kafka_broker.bootstrap, "*", ("contacts:read",))
            async with httpx.AsyncClient(base_url=url) as probe:
                await wait_until_accepted(probe, system_key, "/v1/contacts?limit=1")
            yield ContactsApi(
                url=url, bootstrap=kafka_broker.bootstrap, system_key=system_key, dsn=dsn
            )
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, timeout=30)
            contacts_settings.get_settings.cache_clear()


# Expansion claims jobs across workspaces: these tests get a database of their own so that
# the launches of the API tests are not theirs to expand.
@pytest.fixture(scope="module")
def expansion_dsn(pg_server: PostgresCluster) -> str:
    return migrated_database(pg_server, SERVICE_DIR)


@pytest.fixture
async def sessions(expansion_dsn: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(DbSettings(url=expansion_dsn))
    yield make_sessionmaker(engine)
    await engine.dispose()


class CutOnce(httpx.AsyncBaseTransport):
    """A real transport whose first response dies after `lines` NDJSON lines; it records
    every URL asked for."""

    def __init__(self, lines: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.lines = lines
        self.cut = False
        self.urls: list[httpx.URL] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(request.url)
        response = await self.inner.handle_async_request(request)
        if not self.cut:
            self.cut = True
            assert isinstance(response.stream, httpx.AsyncByteStream)
            response.stream = _Cut(response.stream, self.lines)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Cut(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, lines: int) -> None:
        self.inner = inner
        self.lines = lines

    async def __aiter__(self) -> AsyncIterator[bytes]:
        buffer = b""
        async for chunk in self.inner:
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if self.lines == 0:
                    raise httpx.ReadError("connection reset by peer")
                self.lines -= 1
                yield line + b"\n"
        raise httpx.ReadError("connection reset by peer")

    async def aclose(self) -> None:
        await self.inner.aclose()


def expander(
    sessions: async_sessionmaker[AsyncSession],
    contacts_api: ContactsApi,
    *,
    url: str | None = None,
    key: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    mention: MentionPolicy | None = None,
    **settings: Any,
) -> Expander:
    client = ContactsClient(
        ContactsApiSettings(url=url or contacts_api.url, api_key=key or contacts_api.system_key),
        transport=transport,
    )
    return Expander(
        sessions,
        Outbox(producer="campaigns"),
        client,
        ExpansionSettings(**{"chunk_size": 2, **FAST, **settings}),
        mention=mention,
    )


async def drain(worker: Expander) -> int:
    """Run passes until no job is left to claim; the number of jobs worked on."""
    passes = 0
    try:
        while await worker.run_once():
            passes += 1
    finally:
        await worker.contacts.aclose()
    return passes


async def launch(
    sessions: async_sessionmaker[AsyncSession],
    ws: str,
    *,
    category: Category = Category.MARKETING,
    brand: str = "default",
    template: str = TEMPLATE,
    audience: Audience | None = None,
    **composition: Any,
) -> uuid.UUID:
    outbox = Outbox(producer="campaigns")
    async with transaction(sessions) as session:
        campaign = await service.create_campaign(
            session,
            ws,
            CampaignCreate(
                name="Soldes",
                template=template,
                category=category,
                brand=brand,
                sender="HERALD",
                audience=audience or AllContactsAudience(type="all_contacts"),
                **composition,
            ),
        )
        await service.launch_campaign(session, outbox, ws, campaign.id)
    return campaign.id


async def requested(
    sessions: async_sessionmaker[AsyncSession], campaign_id: uuid.UUID
) -> list[sa.Row[Any]]:
    async with sessions() as session:
        result = await session.execute(
            sa.select(OUTBOX.c.event_id, OUTBOX.c.key, OUTBOX.c.value)
            .where(
                OUTBOX.c.topic == "sms.requested",
                OUTBOX.c.value["payload"]["campaign_id"].astext == str(campaign_id),
            )
            .order_by(OUTBOX.c.id)
        )
        return list(result.all())


async def updates(
    sessions: async_sessionmaker[AsyncSession], campaign_id: uuid.UUID
) -> list[dict[str, Any]]:
    async with sessions() as session:
        values = await session.scalars(
            sa.select(OUTBOX.c.value)
            .where(OUTBOX.c.topic == "campaign.updated", OUTBOX.c.key == str(campaign_id))
            .order_by(OUTBOX.c.id)
        )
        return [v["payload"] for v in values]


async def state(
    sessions: async_sessionmaker[AsyncSession], campaign_id: uuid.UUID
) -> tuple[Campaign, ExpansionJob]:
    async with sessions() as session:
        campaign = await session.get(Campaign, campaign_id)
        job = await session.get(ExpansionJob, campaign_id)
    assert campaign is not None
    assert job is not None
    return campaign, job


def phones(ws_number: int, count: int) -> list[str]:
    return [f"+3361{ws_number:03d}{n:04d}" for n in range(count)]


class TestThinPath:
    async def test_one_rendered_message_per_consenting_contact_and_never_twice(
        self,
        sessions: async_sessionmaker[AsyncSession],
        contacts_api: ContactsApi,
        record_consent: ConsentRecorder,
    ) -> None:
        ws, other_ws = workspace("ws-expand"), workspace("ws-expand-other")
        alice, bob, carol, dave, eve, fred, gina = phones(1, 7)
        await contacts_api.add_contacts(
            ws,
            [
                {"phone": alice, "first_name": "Alice"},
                {"phone": bob},
                {"phone": carol, "first_name": "Carol"},
                {"phone": dave, "first_name": "Dave"},
                {"phone": eve, "first_name": "Eve"},
                {"phone": fred, "first_name": "Fred"},
                {"phone": gina, "first_name": "Gina"},
            ],
        )
        [outsider] = await contacts_api.add_contacts(other_ws, [{"phone": phones(2, 1)[0]}])
        now = datetime.now(UTC)
        await record_consent(ws, alice, "opted_in")
        await record_consent(ws, bob, "opted_in", brand="*")
        await record_consent(ws, carol, "opted_in")
        await record_consent(ws, carol, "opted_out", brand="*")  # STOP for every brand
        await record_consent(ws, eve, "opted_in", brand="other-brand")
        await record_consent(ws, fred, "opted_in", changed_at=now - timedelta(days=1))
        await record_consent(ws, fred, "opted_out", changed_at=now)
        await record_consent(other_ws, gina, "opted_in")  # consent of another workspace
        await record_consent(other_ws, phones(2, 1)[0], "opted_in")

        campaign_id = await launch(sessions, ws)
        assert await drain(expander(sessions, contacts_api)) >= 1

        rows = await requested(sessions, campaign_id)
        assert sorted((r.key, r.value["payload"]["text"]) for r in rows) == [
            (alice, "Bonjour Alice, -20% ce week-end ! STOP au 36111"),
            (bob, "Bonjour client, -20% ce week-end ! STOP au 36111"),
        ]
        campaign, job = await state(sessions, campaign_id)
        assert (campaign.status, campaign.audience_size, campaign.expanded_count) == (
            "running",
            2,
            2,
        )
        assert job.state == "done"
        assert job.attempts == 0
        for row in rows:
            envelope = row.value
            payload = envelope["payload"]
            contact_id = uuid.UUID(payload["contact_id"])
            assert uuid.UUID(payload["message_id"]) == message_id(campaign_id, contact_id)
            assert row.event_id == requested_event_id(uuid.UUID(payload["message_id"]))
            assert payload["phone"] == row.key
            assert payload["category"] == "marketing"
            assert payload["sender"] == "HERALD"
            assert payload["brand"] == "default"
            assert campaign.expires_at is not None
            assert datetime.fromisoformat(payload["expires_at"]) == campaign.expires_at
            assert envelope["workspace_id"] == ws
            assert envelope["correlation_id"] == str(campaign_id)
            assert envelope["causation_id"] == str(scheduled_event_id(campaign_id))
            assert str(contact_id) != outsider
        [running] = await updates(sessions, campaign_id)
        assert (running["state"], running["audience_size"]) == ("running", 2)

        # Expanding the same campaign again from the start requests nothing new.
        async with transaction(sessions) as session:
            await session.execute(
                sa.update(Campaign)
                .where(Campaign.id == campaign_id)
                .values(status="launching", expanded_count=0)
            )
            await session.execute(
                sa.update(ExpansionJob)
                .where(ExpansionJob.campaign_id == campaign_id)
                .values(state="pending", cursor=None)
            )
        await drain(expander(sessions, contacts_api, chunk_size=1000))
        again = await requested(sessions, campaign_id)
        assert sorted(r.event_id for r in again) == sorted(r.event_id for r in rows)
        assert len(await updates(sessions, campaign_id)) == 1
        campaign, _ = await state(sessions, campaign_id)
        assert (campaign.status, campaign.audience_size) == ("running", 2)

    async def test_a_transactional_campaign_needs_no_opt_in_but_skips_opt_outs(
        self,
        sessions: async_sessionmaker[AsyncSession],
        contacts_api: ContactsApi,
        record_consent: ConsentRecorder,
    ) -> None:
        ws = workspace("ws-transactional")
        xavier, yann, zoe = phones(3, 3)
        await contacts_api.add_contacts(
            ws,
            [
                {"phone": xavier, "last_name": "Durand"},
                {"phone": yann},
                {"phone": zoe, "first_name": "Zoé"},
            ],
        )
        await record_consent(ws, yann, "opted_out", purpose="transactional", brand="*")
        await record_consent(ws, zoe, "opted_out", purpose="marketing", brand="*")
        campaign_id = await launch(
            sessions,
            ws,
            category=Category.TRANSACTIONAL,
            template="{{first_name|Madame, Monsieur}} {{last_name}}: votre colis arrive",
        )
        await drain(expander(sessions, contacts_api))
        rows = await requested(sessions, campaign_id)
        assert sorted((r.key, r.value["payload"]["text"]) for r in rows) == [
            (xavier, "Madame, Monsieur Durand: votre colis arrive"),
            (zoe, "Zoé : votre colis arrive"),
        ]
        assert {r.value["payload"]["category"] for r in rows} == {"transactional"}

    async def test_an_empty_audience_still_starts_the_campaign(
        self, sessions: async_sessionmaker[AsyncSession], contacts_api: ContactsApi
    ) -> None:
        campaign_id = await launch(sessions, workspace("ws-empty"))
        await drain(expander(sessions, contacts_api))
        campaign, job = await state(sessions, campaign_id)
        assert (campaign.status, campaign.audience_size, job.state) == ("running", 0, "done")
        assert [u["audience_size"] for u in await updates(sessions, campaign_id)] == [0]


class TestComposition:
    async def test_messages_carry_the_campaigns_priority_cap_policy_and_folded_text(
        self,
        sessions: async_sessionmaker[AsyncSession],
        contacts_api: ContactsApi,
        record_consent: ConsentRecorder,
    ) -> None:
        """What the dispatcher reads from `sms.requested`: the campaign's priority and cap
        policy, and the text folded before the STOP mention was added."""
        ws = workspace("ws-compose")
        anais, noname = phones(9, 2)
        await contacts_api.add_contacts(
            ws, [{"phone": anais, "first_name": "Anaïs"}, {"phone": noname}]
        )
        for phone in (anais, noname):
            await record_consent(ws, phone, "opted_in")
        template = "Bonjour {{first_name|client}}, la forêt vous attend – à bientôt"
        folded = await launch(
            sessions,
            ws,
            template=template,
            priority=SmsPriority.HIGH,
            cap_policy=CapPolicy.SKIP,
            fold_accents=True,
        )
        plain = await launch(sessions, ws, template=template)
        await drain(expander(sessions, contacts_api, mention=MentionPolicy("36111")))

        expected = {
            folded: (
                "high",
                "skip",
                [
                    (anais, "Bonjour Anais, la foret vous attend - à bientot STOP au 36111"),
                    (noname, "Bonjour client, la foret vous attend - à bientot STOP au 36111"),
                ],
            ),
            plain: (
                "normal",
                "postpone",
                [
                    (anais, "Bonjour Anaïs, la forêt vous attend – à bientôt STOP au 36111"),
                    (noname, "Bonjour client, la forêt vous attend – à bientôt STOP au 36111"),
                ],
            ),
        }
        for campaign_id, (priority, cap_policy, texts) in expected.items():
            rows = await requested(sessions, campaign_id)
            assert sorted((r.key, r.value["payload"]["text"]) for r in rows) == sorted(texts)
            for row in rows:
                payload = SmsRequestedV1.model_validate(row.value["payload"])
                assert (payload.priority.value, payload.cap_policy.value) == (
                    priority,
                    cap_policy,
                )


def segment(segment_id: str, *, include_unreachable: bool = False) -> SegmentAudience:
    return SegmentAudience(
        type="segment", segment_id=uuid.UUID(segment_id), include_unreachable=include_unreachable
    )


VIP = {"field": "tags", "op": "has", "value": "vip"}


class TestSegmentAudience:
    async def test_only_the_segments_consenting_contacts_are_requested(
        self,
        sessions: async_sessionmaker[AsyncSession],
        contacts_api: ContactsApi,
        record_consent: ConsentRecorder,
    ) -> None:
        ws = workspace("ws-segment")
        vip_in, vip_in_2, vip_no_consent, other_in = phones(20, 4)
        await contacts_api.add_contacts(
            ws,
            [
                {"phone": vip_in, "first_name": "Inès", "tags": ["vip"]},
                {"phone": vip_in_2, "tags": ["vip", "lyon"]},
                {"phone": vip_no_consent, "first_name": "Noé", "tags": ["vip"]},
                {"phone": other_in, "first_name": "Otto", "tags": ["lyon"]},
            ],
        )
        for phone in (vip_in, vip_in_2, other_in):
            await record_consent(ws, phone, "opted_in")
        segment_id = await contacts_api.create_segment(ws, VIP)
        campaign_id = await launch(sessions, ws, audience=segment(segment_id))
        # The stream is cut after the first chunk: the retry asks for the same segment again.
        transport = CutOnce(lines=2)
        await drain(expander(sessions, contacts_api, transport=transport))

        rows = await requested(sessions, campaign_id)
        assert sorted((r.key, r.value["payload"]["text"]) for r in rows) == sorted(
            [
                (vip_in, "Bonjour Inès, -20% ce week-end ! STOP au 36111"),
                (vip_in_2, "Bonjour client, -20% ce week-end ! STOP au 36111"),
            ]
        )
        assert [url.params["segment_id"] for url in transport.urls] == [segment_id] * 2
        assert "after" in transport.urls[1].params
        assert all("include_unreachable" not in url.params for url in transport.urls)
        campaign, job = await state(sessions, campaign_id)
        assert (campaign.status, campaign.audience_size, job.state) == ("running", 2, "done")

    async def test_unreachable_numbers_are_left_out_unless_asked_for(
        self,
        sessions: async_sessionmaker[AsyncSession],
        contacts_api: ContactsApi,
        record_consent: ConsentRecorder,
    ) -> None:
        ws = workspace("ws-segment-unreachable")
        reachable, unreachable = phones(21, 2)
        await contacts_api.add_contacts(
            ws, [{"phone": p, "tags": ["vip"]} for p in (reachable, unreachable)]
        )
        for phone in (reachable, unreachable):
            await record_consent(ws, phone, "opted_in")
        await contacts_api.mark_unreachable(ws, unreachable)
        segment_id = await contacts_api.create_segment(ws, VIP)
        default = await launch(sessions, ws, audience=segment(segment_id))
        everyone = await launch(
            sessions, ws, audience=segment(segment_id, include_unreachable=True)
        )
        await drain(expander(sessions, contacts_api))
        assert [r.key for r in await requested(sessions, default)] == [reachable]
        assert sorted(r.key for r in await requested(sessions, everyone)) == sorted(
            [reachable, unreachable]
        )

    async def test_a_segment_deleted_after_the_launch_fails_the_job_saying_so(
        self,
        sessions: async_sessionmaker[AsyncSession],
        contacts_api: ContactsApi,
        record_consent: ConsentRecorder,
    ) -> None:
        ws = workspace("ws-segment-deleted")
        [phone] = phones(22, 1)
        await contacts_api.add_contacts(ws, [{"phone": phone, "tags": ["vip"]}])
        await record_consent(ws, phone, "opted_in")
        segment_id = await contacts_api.create_segment(ws, VIP)
        campaign_id = await launch(sessions, ws, audience=segment(segment_id))
        await contacts_api.delete_segment(ws, segment_id)
        await drain(expander(sessions, contacts_api))
        campaign, job = await state(sessions, campaign_id)
        assert (job.state, job.attempts) == ("failed", 1)  # permanent: not retried
        assert job.last_error == (
            "contacts answered HTTP 404 to the snapshot request: "
            "no segment with this id in this workspace"
        )
        assert campaign.status == "launching"  # still cancellable; nothing was requested
        assert await requested(sessions, campaign_id) == []
        assert await drain(expander(sessions, contacts_api)) == 0  # no retry loop

    async def test_a_segment_whose_filter_went_stale_fails_the_job_with_the_reason(
        self, sessions: async_sessionmaker[AsyncSession], contacts_api: ContactsApi
    ) -> None:
        ws = workspace("ws-segment-stale")
        await contacts_api.declare_attribute(ws, "ville", "string")
        segment_id = await contacts_api.create_segment(
            ws, {"field": "attributes.ville", "op": "eq", "value": "Lyon"}
        )
        # No contact holds it yet, so its type may change: the saved filter no longer fits.
        await contacts_api.declare_attribute(ws, "ville", "number", status=200)
        campaign_id = await launch(sessions, ws, audience=segment(segment_id))
        await drain(expander(sessions, contacts_api))
        _, job = await state(sessions, campaign_id)
        assert job.state == "failed"
        assert job.last_error == (
            "contacts answered HTTP 422 to the snapshot request: "
            "filter.value: expected a number for attribute 'ville'"
        )

    async def test_another_workspaces_segment_streams_nothing_of_theirs(
        self,
        sessions: async_sessionmaker[AsyncSession],
        contacts_api: ContactsApi,
        record_consent: ConsentRecorder,
    ) -> None:
        ws, other_ws = workspace("ws-segment-mine"), workspace("ws-segment-theirs")
        [theirs] = phones(23, 1)
        await contacts_api.add_contacts(other_ws, [{"phone": theirs, "tags": ["vip"]}])
        await record_consent(ws, theirs, "opted_in")
        their_segment = await contacts_api.create_segment(other_ws, VIP)
        campaign_id = await launch(sessions, ws, audience=segment(their_segment))
        await drain(expander(sessions, contacts_api))
        _, job = await state(sessions, campaign_id)
        assert job.state == "failed"
        assert job.last_error is not None
        assert "HTTP 404" in job.last_error
        assert await requested(sessions, campaign_id) == []


class TestResilience:
    async def _five_consenting(
        self, contacts_api: ContactsApi, record_consent: ConsentRecorder, ws: str, number: int
    ) -> list[tuple[str, str]]:
        """Five opted-in contacts: (id, phone) in id order, the order contacts streams in."""
        numbers = phones(number, 5)
        ids = await contacts_api.add_contacts(ws, [{"phone": p} for p in numbers])
        for phone in numbers:
            await record_consent(ws, phone, "opted_in")
        return sorted(zip(ids, numbers, strict=True), key=lambda pair: uuid.UUID(pair[0]))

    async def test_a_cut_stream_is_retried_from_the_cursor(
        self,
        sessions: async_sessionmaker[AsyncSession],
        contacts_api: ContactsApi,
        record_consent: ConsentRecorder,
    ) -> None:
        ws = workspace("ws-cut")
        ids = [i for i, _ in await self._five_consenting(contacts_api, record_consent, ws, 4)]
        campaign_id = await launch(sessions, ws)
        transport = CutOnce(lines=3)
        await drain(expander(sessions, contacts_api, transport=transport))
        rows = await requested(sessions, campaign_id)
        assert len(rows) == 5
        assert len({r.event_id for r in rows}) == 5
        campaign, job = await state(sessions, campaign_id)
        assert (campaign.status, campaign.audience_size, job.state) == ("running", 5, "done")
        assert job.attempts == 1
        assert job.last_error is not None
        assert "ReadError" in job.last_error
        # The first chunk (2 contacts) was committed before the cut: the retry resumed there.
        assert "after" not in transport.urls[0].params
        assert transport.urls[1].params["after"] == ids[1]

    async def test_after_a_crash_another_worker_resumes_at_the_cursor(
        self,
        sessions: async_sessionmaker[AsyncSession],
        contacts_api: ContactsApi,
        record_consent: ConsentRecorder,
    ) -> None:
        ws = workspace("ws-crash")
        contacts = await self._five_consenting(contacts_api, record_consent, ws, 5)
        ids = [i for i, _ in contacts]
        campaign_id = await launch(sessions, ws)
        # A worker claims the job, commits its first chunk of two contacts, and dies.
        outbox = Outbox(producer="campaigns")
        async with transaction(sessions) as session:
            job = await service.claim_job(session, timedelta(seconds=60))
        assert job is not None
        assert job.campaign_id == campaign_id
        async with transaction(sessions) as session:
            first = [Recipient(uuid.UUID(i), phone) for i, phone in contacts[:2]]
            result = await service.apply_chunk(
                session, outbox, job, None, first, uuid.UUID(ids[1]), final=False
            )
        assert result.outcome is ChunkOutcome.CONTINUE
        assert len(await requested(sessions, campaign_id)) == 2
        # While its lease runs, nobody else takes the job.
        assert await drain(expander(sessions, contacts_api)) == 0
        # Once the lease expired, the next worker resumes after the last committed contact.
        transport = CutOnce(lines=1_000)
        await asyncio.sleep(0.05)
        await drain(expander(sessions, contacts_api, transport=transport, lease_seconds=0.01))
        assert transport.urls[0].params["after"] == ids[1]
        rows = await requested(sessions, campaign_id)
        assert sorted(r.value["payload"]["contact_id"] for r in rows) == ids
        campaign, done = await state(sessions, campaign_id)
        assert (campaign.status, campaign.audience_size, done.state) == ("running", 5, "done")

    async def test_a_worker_whose_job_moved_on_writes_nothing(
        self,
        sessions: async_sessionmaker[AsyncSession],
        contacts_api: ContactsApi,
        record_consent: ConsentRecorder,
    ) -> None:
        ws = workspace("ws-lost")
        [(first_id, first_phone), *_] = await self._five_consenting(
            contacts_api, record_consent, ws, 8
        )
        campaign_id = await launch(sessions, ws)
        async with transaction(sessions) as session:
            job = await service.claim_job(session, timedelta(seconds=60))
        assert job is not None
        # Meanwhile another worker (this one's lease had run out) committed a chunk.
        async with transaction(sessions) as session:
            await session.execute(
                sa.update(ExpansionJob)
                .where(ExpansionJob.campaign_id == campaign_id)
                .values(cursor=uuid.UUID(first_id))
            )
        async with transaction(sessions) as session:
            result = await service.apply_chunk(
                session,
                Outbox(producer="campaigns"),
                job,
                None,
                [Recipient(uuid.UUID(first_id), first_phone)],
                uuid.UUID(first_id),
                final=True,
            )
        assert result.outcome is ChunkOutcome.LOST
        assert await requested(sessions, campaign_id) == []
        campaign, row = await state(sessions, campaign_id)
        assert (campaign.status, row.state) == ("launching", "running")
        async with transaction(sessions) as session:
            await service.cancel_campaign(session, Outbox(producer="campaigns"), ws, campaign_id)

    async def test_an_unreachable_contacts_api_fails_the_job_after_its_attempts(
        self, sessions: async_sessionmaker[AsyncSession], contacts_api: ContactsApi
    ) -> None:
        campaign_id = await launch(sessions, workspace("ws-down"))
        await drain(
            expander(sessions, contacts_api, url=f"http://{HOST}:{free_port()}", max_attempts=3)
        )
        campaign, job = await state(sessions, campaign_id)
        assert (job.state, job.attempts) == ("failed", 3)
        assert job.last_error is not None
        assert "ConnectError" in job.last_error
        assert campaign.status == "launching"  # still cancellable; nothing was requested
        assert await requested(sessions, campaign_id) == []
        assert await drain(expander(sessions, contacts_api)) == 0  # failed jobs stay failed

    async def test_a_refused_key_fails_the_job_at_once(
        self, sessions: async_sessionmaker[AsyncSession], contacts_api: ContactsApi
    ) -> None:
        campaign_id = await launch(sessions, workspace("ws-refused"))
        await drain(expander(sessions, contacts_api, key="hrl_unknown_" + "x" * 43))
        _, job = await state(sessions, campaign_id)
        assert (job.state, job.attempts) == ("failed", 1)
        assert job.last_error == "contacts answered HTTP 401 to the snapshot request"

    async def test_a_cancelled_campaign_is_not_expanded_further(
        self,
        sessions: async_sessionmaker[AsyncSession],
        contacts_api: ContactsApi,
        record_consent: ConsentRecorder,
    ) -> None:
        ws = workspace("ws-cancelled")
        [(first_id, first_phone), *_] = await self._five_consenting(
            contacts_api, record_consent, ws, 6
        )
        campaign_id = await launch(sessions, ws)
        outbox = Outbox(producer="campaigns")
        async with transaction(sessions) as session:
            job = await service.claim_job(session, timedelta(seconds=60))
        assert job is not None
        async with transaction(sessions) as session:
            await service.cancel_campaign(session, outbox, ws, campaign_id)
        async with transaction(sessions) as session:
            result = await service.apply_chunk(
                session,
                outbox,
                job,
                None,
                [Recipient(uuid.UUID(first_id), first_phone)],
                uuid.UUID(first_id),
                final=False,
            )
        assert result.outcome is ChunkOutcome.LOST
        assert await requested(sessions, campaign_id) == []
        assert await drain(expander(sessions, contacts_api)) == 0
        assert [u["state"] for u in await updates(sessions, campaign_id)] == ["cancelled"]
        async with sessions() as session:
            event_ids = await session.scalars(
                sa.select(OUTBOX.c.event_id).where(OUTBOX.c.key == str(campaign_id))
            )
            assert updated_event_id(campaign_id, "cancelled") in set(event_ids)


async def test_the_consumer_background_task_expands_launched_campaigns(
    sessions: async_sessionmaker[AsyncSession],
    expansion_dsn: str,
    kafka_broker: KafkaBroker,
    contacts_api: ContactsApi,
    record_consent: ConsentRecorder,
) -> None:
    ws = workspace("ws-background")
    [phone] = phones(7, 1)
    await contacts_api.add_contacts(ws, [{"phone": phone, "first_name": "Léa"}])
    await record_consent(ws, phone, "opted_in")
    settings = CampaignsSettings(
        db=DbSettings(url=expansion_dsn),
        kafka=KafkaSettings(bootstrap_servers=kafka_broker.bootstrap),
        contacts=ContactsApiSettings(url=contacts_api.url, api_key=contacts_api.system_key),
        expansion=ExpansionSettings(**FAST),
    )
    engine = make_engine(settings.db)
    stopping = asyncio.Event()
    resources = WorkerResources(
        "campaigns", settings, engine, make_sessionmaker(engine), Outbox("campaigns"), stopping
    )
    task = asyncio.create_task(run_expansion(resources))
    try:
        campaign_id = await launch(sessions, ws)
        async with asyncio.timeout(20):
            while (await state(sessions, campaign_id))[0].status != "running":
                assert not task.done(), task
                await asyncio.sleep(0.05)
    finally:
        stopping.set()
        await asyncio.wait_for(task, timeout=10)
        await engine.dispose()
    [row] = await requested(sessions, campaign_id)
    assert row.value["payload"]["text"] == "Bonjour Léa, -20% ce week-end ! STOP au 36111"
