"""Who of a workspace's contacts may receive a campaign, and what each one is sent.

Pure: the caller reads the consent rows of a chunk of contacts and gives them here. The
rule is the dispatcher's final gate (herald_compliance.gate), applied early so that no
message is requested for someone who will certainly be suppressed:
- an opt-out for the campaign's purpose, for its brand or for every brand ('*'), excludes;
- a marketing campaign needs a marketing opt-in for its brand or for every brand;
- a transactional campaign needs no opt-in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from herald_campaigns.domain.compose import final_text
from herald_campaigns.domain.mention import mention_country
from herald_campaigns.domain.messages import message_id
from herald_campaigns.domain.templates import Template
from herald_compliance.gate import OPTED_IN, OPTED_OUT, ConsentView

MARKETING = "marketing"
NO_CONSENT = ConsentView()


@dataclass(frozen=True)
class AudienceScope:
    """Which contacts the snapshot streams: a saved segment's or every contact's, and
    whether numbers known to be unreachable are streamed too."""

    segment_id: uuid.UUID | None = None
    include_unreachable: bool = False


def scope_of(audience: Mapping[str, Any]) -> AudienceScope:
    """The scope of a campaign's stored audience (schemas.Audience as JSON); ValueError
    when it is none of the known kinds, so the job fails with that message."""
    kind = audience.get("type")
    if kind == "all_contacts":
        return AudienceScope()
    if kind == "segment":
        try:
            segment_id = uuid.UUID(str(audience["segment_id"]))
        except (KeyError, ValueError):
            raise ValueError("the campaign's audience names no valid segment_id") from None
        return AudienceScope(segment_id, bool(audience.get("include_unreachable", False)))
    raise ValueError(f"the campaign's audience is of an unknown type {kind!r}")


def may_receive(category: str, brand: str, consent: ConsentView) -> bool:
    purpose = category
    if consent.any_is(purpose, brand, OPTED_OUT):
        return False
    return purpose != MARKETING or consent.any_is(purpose, brand, OPTED_IN)


@dataclass(frozen=True)
class Recipient:
    """What expansion needs of a contact."""

    contact_id: uuid.UUID
    phone: str
    first_name: str | None = None
    last_name: str | None = None


@dataclass(frozen=True)
class PlannedMessage:
    message_id: uuid.UUID
    contact_id: uuid.UUID
    phone: str
    text: str


def plan_messages(
    *,
    campaign_id: uuid.UUID,
    category: str,
    brand: str,
    template: Template,
    recipients: Iterable[Recipient],
    consents: Mapping[str, ConsentView],
    variant: str | None = None,
    short_code: str | None = None,
    fold: bool = False,
) -> list[PlannedMessage]:
    """One message per recipient allowed by `consents` (keyed by phone), in input order;
    a recipient whose rendered text would be blank gets none. The text is composed as
    domain/compose.py says: folded to GSM-7 when `fold`, then, for marketing, the
    recipient's opt-out mention (`short_code`: the workspace's)."""
    planned: list[PlannedMessage] = []
    for recipient in recipients:
        if not may_receive(category, brand, consents.get(recipient.phone, NO_CONSENT)):
            continue
        text = template.render(
            {"first_name": recipient.first_name, "last_name": recipient.last_name}
        )
        if not text.strip():  # a template of variables only, for a contact without values
            continue
        planned.append(
            PlannedMessage(
                message_id=message_id(campaign_id, recipient.contact_id, variant),
                contact_id=recipient.contact_id,
                phone=recipient.phone,
                text=final_text(
                    text,
                    category=category,
                    # Reading the number costs: only a marketing text needs its country.
                    country=mention_country(recipient.phone) if category == MARKETING else "",
                    short_code=short_code,
                    fold=fold,
                )[0],
            )
        )
    return planned
