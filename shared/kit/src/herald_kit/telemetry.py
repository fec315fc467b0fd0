"""OpenTelemetry tracing: one provider per process, trace context carried in Kafka headers.

Spans are recorded only when they are exported (an OTLP endpoint is set). Without one, the
provider still creates trace contexts, so the W3C `traceparent` stored with each outbox row
keeps one trace id from launch to receipt, but no library is instrumented and no span is
recorded: a span per SQL statement, Kafka record and handled event costs a busy consumer a
large share of its CPU on a small machine, for nothing when nobody collects them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, TraceIdRatioBased

from herald_kit.settings import TelemetrySettings

_configured = False
_exporting = False
HEALTH_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def configure_tracing(service: str, settings: TelemetrySettings) -> None:
    """Install the tracer provider once; record and export spans over OTLP/HTTP only when an
    endpoint is set."""
    global _configured, _exporting
    if _configured:
        return
    _exporting = bool(settings.otlp_endpoint)
    sampler = ParentBased(TraceIdRatioBased(settings.sample_ratio)) if _exporting else ALWAYS_OFF
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"herald-{service}"}), sampler=sampler
    )
    if _exporting:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    if _exporting:
        from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().instrument()
        AIOKafkaInstrumentor().instrument()
    _configured = True


def exporting() -> bool:
    """Whether spans are recorded and exported (configure_tracing saw an endpoint)."""
    return _exporting


def instrument_app(app: Any) -> None:
    if not _exporting:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls=",".join(HEALTH_PATHS))


def instrument_engine(engine: Any) -> None:
    if not _exporting:
        return
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine)


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def inject_headers() -> dict[str, str]:
    """The current trace context as a carrier, stored in the outbox row next to the event."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def extract_context(headers: Sequence[tuple[str, bytes]] | None) -> Any:
    carrier = {key: value.decode("latin-1") for key, value in headers or ()}
    return propagate.extract(carrier)
