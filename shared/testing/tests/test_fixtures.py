"""The session servers of the herald pytest plugin, used the way service tests use them."""

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from herald_events.catalogue import all_topic_names
from herald_stack.kafka import KafkaBroker
from herald_stack.postgres import PostgresCluster

pytestmark = pytest.mark.integration


async def test_pg_server(pg_server: PostgresCluster) -> None:
    pg_server.create_database("fixture_check")

    connection = await asyncpg.connect(
        host="127.0.0.1", port=pg_server.port, user="postgres", database="fixture_check"
    )
    try:
        assert await connection.fetchval("select 1") == 1
    finally:
        await connection.close()


def test_pg_server_is_shared_by_the_session(pg_server: PostgresCluster) -> None:
    assert pg_server.is_running()
    assert pg_server.dsn("x").startswith(
        f"postgresql+asyncpg://postgres@127.0.0.1:{pg_server.port}/"
    )


async def test_kafka_broker_holds_the_catalogue(kafka_broker: KafkaBroker) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    await admin.start()
    try:
        topics = set(await admin.list_topics())
    finally:
        await admin.close()

    assert kafka_broker.bootstrap.startswith("127.0.0.1:")
    assert set(all_topic_names()) <= topics
