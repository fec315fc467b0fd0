"""Renders the topic catalogue as Markdown: `python -m herald_events.docs > docs/topics.md`.

A test compares the committed page with this output, so the page cannot drift.
"""

from __future__ import annotations

from herald_events.catalogue import DAY_MS, DLQ_RETENTION_MS, TOPICS


def _retention(ms: int) -> str:
    return f"{ms // DAY_MS} d" if ms % DAY_MS == 0 else f"{ms} ms"


def render() -> str:
    lines = [
        "# Topic catalogue",
        "",
        "Generated from `shared/events/src/herald_events/catalogue.py` by",
        "`uv run python -m herald_events.docs > docs/topics.md`; do not edit by hand.",
        "",
        "Every topic has a dead-letter topic `<topic>.dlq` (1 partition, "
        f"{_retention(DLQ_RETENTION_MS)} retention) that receives the records its consumers "
        "could not handle, with `herald-origin-topic`, `herald-origin-partition`, "
        "`herald-origin-offset`, `herald-consumer-group`, `herald-error-class` and "
        "`herald-error` headers. Replay with `herald-admin dlq replay <topic>`.",
        "",
        "| topic | key | producer | consumers | partitions | cleanup | retention | versions |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for spec in TOPICS:
        retention = (
            "compacted" if spec.cleanup_policy == "compact" else _retention(spec.retention_ms)
        )
        consumers = ", ".join(spec.consumers) or "—"
        versions = ", ".join(
            f"v{v} `{model.__name__}`" for v, model in sorted(spec.versions.items())
        )
        producers = ", ".join((spec.owner, *spec.also_produced_by))
        lines.append(
            f"| `{spec.name}` | {spec.key} | {producers} | {consumers} | {spec.partitions} | "
            f"{spec.cleanup_policy} | {retention} | {versions} |"
        )
    lines += ["", "## What each topic carries", ""]
    for spec in TOPICS:
        lines.append(f"- `{spec.name}`: {spec.description}")
    lines += [
        "",
        "## Envelope",
        "",
        "Every value is a JSON envelope: `event_id` (UUID, the consumers' idempotency key), "
        "`type` (the topic name), `version`, `occurred_at` (UTC), `workspace_id`, `producer`, "
        "`correlation_id`, `causation_id`, `payload`. Trace context travels in the W3C "
        "`traceparent` Kafka header. JSON Schema snapshots of every payload version are in "
        "`shared/events/src/herald_events/schemas/`, examples in "
        "`shared/events/src/herald_events/examples/<topic>/`.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")  # noqa: T201 - the module's whole job is to print the page
