"""Kafka clients configured the one way Herald uses them, and the wire encoding of events."""

from __future__ import annotations

import json
from typing import Any

from aiokafka import AIOKafkaProducer
from pydantic import BaseModel

from herald_events import Envelope
from herald_kit.settings import KafkaSettings


def make_producer(settings: KafkaSettings, client_id: str) -> AIOKafkaProducer:
    """Idempotent producer, acks from every in-sync replica: nothing lost, nothing doubled."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=f"{settings.client_id_prefix}-{client_id}",
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        compression_type="lz4",
        max_batch_size=256 * 1024,
        request_timeout_ms=30_000,
    )


def encode_envelope(envelope: Envelope[Any]) -> dict[str, Any]:
    """The JSON document stored in the outbox and sent as the record value."""
    return envelope.model_dump(mode="json")


def value_bytes(document: dict[str, Any] | None) -> bytes | None:
    if document is None:
        return None
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def payload_document(payload: BaseModel) -> dict[str, Any]:
    return payload.model_dump(mode="json")
