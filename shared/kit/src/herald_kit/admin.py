"""`herald-admin`: topics, API keys and dead-letter replay, for operators."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import typer
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from pydantic_settings import BaseSettings

from herald_events import TOPICS, Envelope, topic
from herald_events.models.external import ApiKeyChangedV1
from herald_kit.auth import APIKEY_TOPIC, new_key
from herald_kit.kafka import encode_envelope, make_producer, value_bytes
from herald_kit.settings import KafkaSettings, settings_config

cli = typer.Typer(help="Herald administration", no_args_is_help=True, add_completion=False)
topics_cli = typer.Typer(help="Kafka topics from the catalogue", no_args_is_help=True)
apikey_cli = typer.Typer(help="API keys", no_args_is_help=True)
dlq_cli = typer.Typer(help="Dead-letter queues", no_args_is_help=True)
cli.add_typer(topics_cli, name="topics")
cli.add_typer(apikey_cli, name="apikey")
cli.add_typer(dlq_cli, name="dlq")


class AdminSettings(BaseSettings):
    model_config = settings_config("admin")
    kafka: KafkaSettings


def _kafka(bootstrap: str | None) -> KafkaSettings:
    if bootstrap:
        return KafkaSettings(bootstrap_servers=bootstrap)
    return AdminSettings().kafka


async def create_topics(kafka: KafkaSettings, replication_factor: int = 1) -> list[str]:
    """Create every catalogued topic and its DLQ; existing ones are left alone."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = []
        for spec in TOPICS:
            wanted.append(
                NewTopic(
                    spec.name,
                    spec.partitions,
                    replication_factor,
                    topic_configs=spec.kafka_config(),
                )
            )
            wanted.append(
                NewTopic(spec.dlq, 1, replication_factor, topic_configs=spec.dlq_kafka_config())
            )
        missing = [t for t in wanted if t.name not in existing]
        for new_topic in missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([new_topic])
        return [t.name for t in missing]
    finally:
        await admin.close()


@topics_cli.command("create")
def topics_create(
    bootstrap: str = typer.Option(None, help="host:port; default from HERALD_ADMIN_KAFKA__..."),
    replication_factor: int = typer.Option(1, min=1),
) -> None:
    created = asyncio.run(create_topics(_kafka(bootstrap), replication_factor))
    typer.echo(f"created {len(created)} topics" + (f": {', '.join(created)}" if created else ""))


async def publish_key_change(
    kafka: KafkaSettings, workspace_id: str, change: ApiKeyChangedV1
) -> None:
    envelope = Envelope[ApiKeyChangedV1](
        type=APIKEY_TOPIC,
        version=1,
        workspace_id=workspace_id,
        producer="admin",
        payload=change,
    )
    producer = make_producer(kafka, "admin")
    await producer.start()
    try:
        await producer.send_and_wait(
            APIKEY_TOPIC,
            value=value_bytes(encode_envelope(envelope)),
            key=change.key_id.encode(),
        )
    finally:
        await producer.stop()


async def create_api_key(
    kafka: KafkaSettings, workspace_id: str, name: str, scopes: list[str]
) -> str:
    key_id, key, secret_hash = new_key()
    change = ApiKeyChangedV1(
        key_id=key_id,
        name=name,
        scopes=scopes,
        secret_sha256=secret_hash,
        changed_at=datetime.now(UTC),
    )
    await publish_key_change(kafka, workspace_id, change)
    return key


@apikey_cli.command("create")
def apikey_create(
    workspace: str = typer.Option(..., help="workspace the key acts for"),
    scopes: str = typer.Option("*", help="comma-separated, e.g. contacts:read,campaigns:write"),
    name: str = typer.Option("default"),
    bootstrap: str = typer.Option(None),
) -> None:
    scope_list = [s.strip() for s in scopes.split(",") if s.strip()]
    key = asyncio.run(create_api_key(_kafka(bootstrap), workspace, name, scope_list))
    typer.echo(key)


@apikey_cli.command("revoke")
def apikey_revoke(
    key_id: str, workspace: str = typer.Option(...), bootstrap: str = typer.Option(None)
) -> None:
    change = ApiKeyChangedV1(
        key_id=key_id,
        name="revoked",
        scopes=[],
        secret_sha256="",
        revoked=True,
        changed_at=datetime.now(UTC),
    )
    asyncio.run(publish_key_change(_kafka(bootstrap), workspace, change))
    typer.echo(f"revoked {key_id}")


async def replay_dlq(kafka: KafkaSettings, topic_name: str, group: str) -> int:
    """Re-publish a DLQ's records to their original topic, then commit; returns the count."""
    spec = topic(topic_name)
    consumer = AIOKafkaConsumer(
        spec.dlq,
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = make_producer(kafka, "admin-replay")
    await consumer.start()
    await producer.start()
    replayed = 0
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=2000, max_records=500)
            if not batches:
                return replayed
            for records in batches.values():
                for record in records:
                    headers = [
                        (k, v) for k, v in record.headers or () if not k.startswith("herald-")
                    ]
                    await producer.send_and_wait(
                        spec.name, value=record.value, key=record.key, headers=headers
                    )
                    replayed += 1
            await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()


@dlq_cli.command("replay")
def dlq_replay(
    topic_name: str = typer.Argument(..., metavar="TOPIC"),
    bootstrap: str = typer.Option(None),
    group: str = typer.Option("herald-admin.dlq-replay"),
) -> None:
    count = asyncio.run(replay_dlq(_kafka(bootstrap), topic_name, group))
    typer.echo(f"replayed {count} records from {topic(topic_name).dlq} to {topic_name}")


def main() -> None:
    cli()
