"""The contracts stay true: snapshots current, examples valid, catalogue well formed."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from herald_events import TOPICS, Envelope, RawEnvelope, all_topic_names, model_for, topic
from herald_events.catalogue import TopicSpec, UnknownTopic
from herald_events.contracts import current_schema, examples, schema_path

VERSIONS = [(spec, version) for spec in TOPICS for version in spec.versions]
EXAMPLES = [(spec.name, name, doc) for spec in TOPICS for name, doc in examples(spec.name)]


class TestSchemaSnapshots:
    @pytest.mark.parametrize(
        ("spec", "version"), VERSIONS, ids=[f"{s.name}.v{v}" for s, v in VERSIONS]
    )
    def test_the_snapshot_matches_the_model(self, spec: TopicSpec, version: int) -> None:
        snapshot = json.loads(schema_path(spec, version).read_text(encoding="utf-8"))
        assert snapshot == current_schema(spec, version), (
            "model changed: run `uv run python -m herald_events.contracts write` and review "
            "that the change is additive (a breaking change needs a new version)"
        )


class TestExamples:
    def test_every_topic_has_an_example(self) -> None:
        assert {spec.name for spec in TOPICS} == {topic_name for topic_name, _, _ in EXAMPLES}

    @pytest.mark.parametrize(
        ("topic_name", "name", "document"), EXAMPLES, ids=[f"{t}/{n}" for t, n, _ in EXAMPLES]
    )
    def test_the_example_validates(
        self, topic_name: str, name: str, document: dict[str, object]
    ) -> None:
        raw = RawEnvelope.model_validate(document)
        assert raw.type == topic_name
        model = model_for(raw.type, raw.version)
        payload = model.model_validate(raw.payload)
        Envelope[model](**{**raw.model_dump(exclude={"payload"}), "payload": payload})  # type: ignore[valid-type]
        schema = json.loads(schema_path(topic(topic_name), raw.version).read_text("utf-8"))
        jsonschema.validate(raw.payload, schema)

    @pytest.mark.parametrize(
        ("topic_name", "name", "document"), EXAMPLES, ids=[f"{t}/{n}" for t, n, _ in EXAMPLES]
    )
    def test_the_key_field_is_in_the_payload(
        self, topic_name: str, name: str, document: dict[str, object]
    ) -> None:
        key = topic(topic_name).key
        assert key in document["payload"]  # type: ignore[operator]


class TestCatalogue:
    def test_names_are_entity_dot_past_tense_with_dots_only(self) -> None:
        for spec in TOPICS:
            assert re.fullmatch(r"[a-z]+(\.[a-z_]+)+", spec.name), spec.name
            assert "_" not in spec.name.split(".")[0]

    def test_every_topic_has_its_dead_letter_topic(self) -> None:
        names = all_topic_names()
        assert len(names) == 2 * len(TOPICS)
        assert all(f"{spec.name}.dlq" in names for spec in TOPICS)

    def test_compacted_topics_carry_no_retention(self) -> None:
        for spec in TOPICS:
            config = spec.kafka_config()
            assert ("retention.ms" in config) == (spec.cleanup_policy == "delete")

    def test_an_unknown_topic_is_refused(self) -> None:
        with pytest.raises(UnknownTopic):
            topic("sms.sent")


def test_the_topic_page_is_current() -> None:
    from pathlib import Path

    from herald_events.docs import render

    page = Path(__file__).resolve().parents[3] / "docs" / "topics.md"
    assert page.read_text(encoding="utf-8") == render(), (
        "run `uv run python -m herald_events.docs > docs/topics.md`"
    )
