"""Example payloads and JSON Schema snapshots, shipped with the package.

Examples are full envelopes under `examples/<topic>/*.json`; every consumer of a topic
runs every one of them in its contract tests. Schema snapshots under `schemas/` are
regenerated with `python -m herald_events.contracts write` and compared in tests, so a
model change that would break consumers shows up as a diff in review.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from herald_events.catalogue import TOPICS, TopicSpec

_ROOT = Path(str(resources.files("herald_events")))
EXAMPLES_DIR = _ROOT / "examples"
SCHEMAS_DIR = _ROOT / "schemas"


def examples(topic_name: str) -> list[tuple[str, dict[str, Any]]]:
    """(file name, envelope) for every example of a topic, in name order."""
    folder = EXAMPLES_DIR / topic_name
    return [
        (path.name, json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(folder.glob("*.json"))
    ]


def schema_path(spec: TopicSpec, version: int) -> Path:
    return SCHEMAS_DIR / f"{spec.name}.v{version}.json"


def current_schema(spec: TopicSpec, version: int) -> dict[str, Any]:
    return spec.versions[version].model_json_schema()


def write_snapshots() -> None:
    SCHEMAS_DIR.mkdir(exist_ok=True)
    for spec in TOPICS:
        for version in spec.versions:
            text = json.dumps(current_schema(spec, version), indent=2, sort_keys=True)
            schema_path(spec, version).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["write"]:
        write_snapshots()
    else:
        raise SystemExit("usage: python -m herald_events.contracts write")
