"""The topic catalogue as data: the one declaration that the local stack, docker-compose's
topic job, the Helm hook and the docs page are all generated from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from herald_events.models.campaigns import (
    CampaignScheduledV1,
    CampaignUpdatedV1,
    LinkClickedV1,
    SmsRequestedV1,
)
from herald_events.models.consent import ConsentChangedV1
from herald_events.models.contacts import ConsentDeclaredV1, ContactErasedV1, ContactUpdatedV1
from herald_events.models.dispatcher import (
    GatewayInboundV1,
    SmsFailedV1,
    SmsSubmittedV1,
    SmsSuppressedV1,
)
from herald_events.models.external import ApiKeyChangedV1, CommerceEventV1
from herald_events.models.receipts import OptoutReceivedV1, SmsDeliveredV1, SmsInboundV1

DAY_MS = 24 * 3600 * 1000
DLQ_SUFFIX = ".dlq"
DLQ_RETENTION_MS = 30 * DAY_MS


@dataclass(frozen=True)
class TopicSpec:
    """One topic: what it carries, who writes it, who reads it, how Kafka keeps it.

    `consumers` lists the services that subscribe today (the contract tests hold every
    service to it); the design's future readers are added when their handler lands."""

    name: str
    key: str
    owner: str
    consumers: tuple[str, ...]
    versions: dict[int, type[BaseModel]]
    description: str
    partitions: int = 3
    cleanup_policy: Literal["delete", "compact"] = "delete"
    retention_ms: int = 7 * DAY_MS
    extra_config: dict[str, str] = field(default_factory=dict)
    # Services that also write the topic, for a purpose of their own (the owner defines it).
    also_produced_by: tuple[str, ...] = ()

    @property
    def event_type(self) -> str:
        return self.name

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX

    @property
    def latest_version(self) -> int:
        return max(self.versions)

    def kafka_config(self) -> dict[str, str]:
        config = {"cleanup.policy": self.cleanup_policy, **self.extra_config}
        if self.cleanup_policy == "delete":
            config["retention.ms"] = str(self.retention_ms)
        return config

    def dlq_kafka_config(self) -> dict[str, str]:
        return {"cleanup.policy": "delete", "retention.ms": str(DLQ_RETENTION_MS)}


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        name="contact.updated",
        key="contact_id",
        owner="contacts",
        consumers=(),
        versions={1: ContactUpdatedV1},
        cleanup_policy="compact",
        description="Full current state of a contact; a null value (tombstone) on erase.",
    ),
    TopicSpec(
        name="contact.erased",
        key="contact_id",
        owner="contacts",
        consumers=("consent", "campaigns", "dispatcher", "receipts"),
        versions={1: ContactErasedV1},
        retention_ms=30 * DAY_MS,
        description="A contact was erased: every service forgets the number (GDPR).",
    ),
    TopicSpec(
        name="consent.declared",
        key="phone",
        owner="contacts",
        consumers=("consent",),
        versions={1: ConsentDeclaredV1},
        retention_ms=30 * DAY_MS,
        description="Consent evidence declared by a contact import, with the file's SHA-256.",
    ),
    TopicSpec(
        name="consent.changed",
        key="phone",
        owner="consent",
        consumers=("dispatcher", "campaigns"),
        versions={1: ConsentChangedV1},
        retention_ms=30 * DAY_MS,
        description="Consent state per phone, purpose and brand, with the ledger entry id.",
    ),
    TopicSpec(
        name="campaign.scheduled",
        key="campaign_id",
        owner="campaigns",
        consumers=("campaigns", "analytics"),
        versions={1: CampaignScheduledV1},
        description="A campaign's launch plan: category, expiry, rate, audience size.",
    ),
    TopicSpec(
        name="campaign.updated",
        key="campaign_id",
        owner="campaigns",
        consumers=("dispatcher", "analytics"),
        versions={1: CampaignUpdatedV1},
        description="Pause, resume, cancel or completion of a campaign.",
    ),
    TopicSpec(
        name="sms.requested",
        key="phone",
        owner="campaigns",
        consumers=("dispatcher", "analytics"),
        versions={1: SmsRequestedV1},
        partitions=6,
        description="One message to send, with its deterministic message_id and rendered text "
        "(campaigns; receipts for STOP confirmations and help replies, consent for double "
        "opt-in confirmations, both transactional with a `reply_kind`).",
        also_produced_by=("receipts", "consent"),
    ),
    TopicSpec(
        name="sms.submitted",
        key="message_id",
        owner="dispatcher",
        consumers=("receipts", "analytics"),
        versions={1: SmsSubmittedV1},
        description="A message accepted by a gateway: route, provider ids, segments, cost.",
    ),
    TopicSpec(
        name="sms.suppressed",
        key="message_id",
        owner="dispatcher",
        consumers=("analytics",),
        versions={1: SmsSuppressedV1},
        description="A message not sent, with the reason and the rule-pack version.",
    ),
    TopicSpec(
        name="sms.failed",
        key="message_id",
        owner="dispatcher",
        consumers=("contacts", "analytics"),
        versions={1: SmsFailedV1},
        description="Permanent gateway rejection or retries exhausted.",
    ),
    TopicSpec(
        name="gateway.inbound",
        key="provider_message_id",
        owner="dispatcher",
        consumers=("receipts",),
        versions={1: GatewayInboundV1},
        description=(
            "Raw delivery receipts and handset messages received on gateway binds; keyed by "
            "the provider message id, or by the sender's number for a handset message."
        ),
    ),
    TopicSpec(
        name="sms.delivered",
        key="message_id",
        owner="receipts",
        consumers=("contacts", "analytics"),
        versions={1: SmsDeliveredV1},
        description="Delivery state of a message: delivered, undelivered, expired, rejected.",
    ),
    TopicSpec(
        name="sms.inbound",
        key="phone",
        owner="receipts",
        consumers=("contacts", "consent", "analytics"),
        versions={1: SmsInboundV1},
        description="A handset's message after keyword handling.",
    ),
    TopicSpec(
        name="optout.received",
        key="phone",
        owner="receipts",
        consumers=("consent", "dispatcher", "analytics"),
        versions={1: OptoutReceivedV1},
        retention_ms=30 * DAY_MS,
        description="A STOP keyword or an API opt-out, with its scope.",
    ),
    TopicSpec(
        name="link.clicked",
        key="message_id",
        owner="campaigns",
        consumers=("contacts",),
        versions={1: LinkClickedV1},
        description="A recipient followed a short link; bots are flagged.",
    ),
    TopicSpec(
        name="commerce.events",
        key="external_customer_ref",
        owner="external",
        consumers=("contacts",),
        versions={1: CommerceEventV1},
        description="Business facts from e-commerce systems (orders, carts, appointments).",
    ),
    TopicSpec(
        name="apikey.changed",
        key="key_id",
        owner="admin",
        consumers=("contacts", "consent", "campaigns", "dispatcher", "receipts", "analytics"),
        versions={1: ApiKeyChangedV1},
        partitions=1,
        cleanup_policy="compact",
        description="API keys: workspace, scopes, hashed secret, revoked flag.",
    ),
)

_BY_NAME = {spec.name: spec for spec in TOPICS}


class UnknownTopic(KeyError):
    pass


def topic(name: str) -> TopicSpec:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownTopic(name) from None


def all_topic_names() -> list[str]:
    """Every topic to create, each followed by its dead-letter topic."""
    names: list[str] = []
    for spec in TOPICS:
        names += [spec.name, spec.dlq]
    return names


def model_for(event_type: str, version: int) -> type[BaseModel]:
    """The payload model of an event type at a version; KeyError when unknown."""
    return topic(event_type).versions[version]
