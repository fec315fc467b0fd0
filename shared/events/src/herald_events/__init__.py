"""Herald's event contracts: the topic catalogue, the envelope, one model per event version."""

from herald_events.catalogue import TOPICS, TopicSpec, all_topic_names, model_for, topic
from herald_events.envelope import Envelope, RawEnvelope

__all__ = [
    "TOPICS",
    "Envelope",
    "RawEnvelope",
    "TopicSpec",
    "all_topic_names",
    "model_for",
    "topic",
]
