"""Prometheus metrics shared by every process, and the `/metrics` response."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.responses import Response

EVENTS_CONSUMED = Counter(
    "herald_events_consumed_total", "Events handled by a consumer", ["group", "topic", "outcome"]
)
EVENTS_PUBLISHED = Counter(
    "herald_events_published_total", "Outbox rows published to Kafka", ["topic"]
)
HANDLER_SECONDS = Histogram(
    "herald_handler_seconds", "Time spent handling one event", ["group", "topic"]
)
OUTBOX_BATCH_SECONDS = Histogram("herald_outbox_batch_seconds", "Relay time per published batch")


def metrics_response() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
