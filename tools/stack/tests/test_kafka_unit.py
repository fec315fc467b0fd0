import re
from pathlib import Path

import pytest

from herald_stack.errors import PrerequisiteMissing
from herald_stack.kafka import KafkaBroker, ensure_kafka_jars, new_cluster_id


def test_cluster_ids_are_kafka_uuids() -> None:
    for _ in range(200):
        cluster_id = new_cluster_id()
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id)
        assert not cluster_id.startswith("-")


def test_server_properties(tmp_path: Path) -> None:
    broker = KafkaBroker(tmp_path, 40001, 40002)
    lines = broker.server_properties().splitlines()

    assert broker.bootstrap == "127.0.0.1:40001"
    assert "listeners=PLAINTEXT://127.0.0.1:40001,CONTROLLER://127.0.0.1:40002" in lines
    assert "controller.quorum.bootstrap.servers=127.0.0.1:40002" in lines
    assert f"log.dirs={tmp_path / 'data'}" in lines
    assert "auto.create.topics.enable=false" in lines
    assert "group.initial.rebalance.delay.ms=0" in lines
    assert "offsets.topic.num.partitions=1" in lines


def test_missing_java_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")

    with pytest.raises(PrerequisiteMissing, match="`java` not found on PATH"):
        ensure_kafka_jars()


def test_stopping_a_broker_that_never_ran_is_harmless(tmp_path: Path) -> None:
    broker = KafkaBroker(tmp_path, 40001, 40002)

    broker.stop()

    assert not broker.is_running()
