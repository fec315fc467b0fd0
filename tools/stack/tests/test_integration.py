"""Real PostgreSQL and Kafka through the herald_testing fixtures."""

import uuid
from asyncio import timeout as asyncio_timeout

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from herald_events.catalogue import TOPICS, all_topic_names
from herald_stack.kafka import KafkaBroker
from herald_stack.postgres import PostgresCluster
from herald_stack.topics import catalogue_plan, create_topics

pytestmark = pytest.mark.integration


async def test_database_creation_is_idempotent(pg_server: PostgresCluster) -> None:
    pg_server.create_database("stack_it")
    pg_server.create_database("stack_it")

    dsn = pg_server.dsn("stack_it")
    assert dsn == f"postgresql+asyncpg://postgres@127.0.0.1:{pg_server.port}/stack_it"
    connection = await asyncpg.connect(dsn.replace("+asyncpg", ""))
    try:
        assert await connection.fetchval("select current_database()") == "stack_it"
    finally:
        await connection.close()


def test_database_names_are_checked(pg_server: PostgresCluster) -> None:
    with pytest.raises(ValueError, match="not a plain lowercase database name"):
        pg_server.create_database('x"; drop database postgres; --')


async def test_catalogue_topics_exist_with_their_settings(kafka_broker: KafkaBroker) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    await admin.start()
    try:
        assert set(all_topic_names()) <= set(await admin.list_topics())
        described = await admin.describe_topics([spec.name for spec in TOPICS])
        partitions = {topic["topic"]: len(topic["partitions"]) for topic in described}
        assert partitions == {spec.name: spec.partitions for spec in TOPICS}
        [response] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, "contact.updated")]
        )
        configs = {entry[0]: entry[1] for entry in response.resources[0][4]}
        assert configs["cleanup.policy"] == "compact"
    finally:
        await admin.close()


async def test_creating_topics_again_creates_nothing(kafka_broker: KafkaBroker) -> None:
    assert await create_topics(kafka_broker.bootstrap, catalogue_plan()) == []


async def test_idempotent_producer_and_group_consumer(kafka_broker: KafkaBroker) -> None:
    key = uuid.uuid4().hex.encode()
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_broker.bootstrap, enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        await producer.send_and_wait("sms.requested", b"hello", key=key)
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        "sms.requested",
        bootstrap_servers=kafka_broker.bootstrap,
        group_id=f"it-{key.decode()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        async with asyncio_timeout(30):
            async for record in consumer:
                if record.key == key:
                    assert record.value == b"hello"
                    break
    finally:
        await consumer.stop()
