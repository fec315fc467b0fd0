from dataclasses import dataclass, field

from herald_events.catalogue import all_topic_names
from herald_stack.topics import TopicPlan, catalogue_plan, plan_topics


@dataclass(frozen=True)
class FakeSpec:
    name: str
    partitions: int = 3
    config: dict[str, str] = field(default_factory=lambda: {"cleanup.policy": "compact"})

    @property
    def dlq(self) -> str:
        return self.name + ".dlq"

    def kafka_config(self) -> dict[str, str]:
        return self.config

    def dlq_kafka_config(self) -> dict[str, str]:
        return {"cleanup.policy": "delete"}


def test_each_topic_comes_with_its_dead_letter_topic() -> None:
    plans = plan_topics([FakeSpec("a.b", partitions=6)])

    assert plans == [
        TopicPlan("a.b", 6, {"cleanup.policy": "compact"}),
        TopicPlan("a.b.dlq", 6, {"cleanup.policy": "delete"}),
    ]


def test_the_catalogue_plan_covers_every_topic_name() -> None:
    assert [plan.name for plan in catalogue_plan()] == all_topic_names()
