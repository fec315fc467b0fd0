"""Who receives a campaign, and the deterministic ids of what they receive."""

from __future__ import annotations

import uuid

import pytest

from herald_campaigns.domain.audience import (
    AudienceScope,
    Recipient,
    may_receive,
    plan_messages,
    scope_of,
)
from herald_campaigns.domain.messages import (
    message_id,
    requested_event_id,
    scheduled_event_id,
    updated_event_id,
)
from herald_campaigns.domain.templates import parse
from herald_campaigns.schemas import CampaignCreate
from herald_compliance.gate import ConsentView

IN, OUT = "opted_in", "opted_out"


def view(**statuses: str) -> ConsentView:
    """view(marketing__default="opted_in", marketing__ANY="opted_out")"""
    return ConsentView(
        {
            tuple(key.replace("ANY", "*").split("__")): value  # type: ignore[misc]
            for key, value in statuses.items()
        }
    )


class TestMayReceive:
    @pytest.mark.parametrize(
        ("consent", "expected"),
        [
            (view(), False),
            (view(marketing__default=IN), True),
            (view(marketing__ANY=IN), True),
            (view(marketing__other=IN), False),
            (view(marketing__default=IN, marketing__ANY=OUT), False),
            (view(marketing__ANY=IN, marketing__default=OUT), False),
            (view(transactional__default=IN), False),
        ],
    )
    def test_marketing_needs_an_opt_in_and_no_opt_out(
        self, consent: ConsentView, expected: bool
    ) -> None:
        assert may_receive("marketing", "default", consent) is expected

    @pytest.mark.parametrize(
        ("consent", "expected"),
        [
            (view(), True),
            (view(marketing__ANY=OUT), True),
            (view(transactional__default=OUT), False),
            (view(transactional__ANY=OUT), False),
            (view(transactional__other=OUT), True),
        ],
    )
    def test_transactional_needs_no_opt_in_but_respects_opt_outs(
        self, consent: ConsentView, expected: bool
    ) -> None:
        assert may_receive("transactional", "default", consent) is expected


class TestPlanMessages:
    campaign_id = uuid.UUID("7c6b5a49-3827-4165-9f4e-3d2c1b0a9f8e")

    def recipients(self) -> list[Recipient]:
        return [
            Recipient(uuid.UUID(int=1), "+33600000001", "Alice"),
            Recipient(uuid.UUID(int=2), "+33600000002", None),
            Recipient(uuid.UUID(int=3), "+33600000003", "Carol"),
        ]

    def test_one_rendered_message_per_consenting_recipient(self) -> None:
        planned = plan_messages(
            campaign_id=self.campaign_id,
            category="marketing",
            brand="default",
            template=parse("Bonjour {{first_name|client}} !"),
            recipients=self.recipients(),
            consents={
                "+33600000001": view(marketing__default=IN),
                "+33600000002": view(marketing__ANY=IN),
                "+33600000003": view(marketing__default=IN, marketing__ANY=OUT),
            },
        )
        assert [(m.phone, m.text) for m in planned] == [
            ("+33600000001", "Bonjour Alice !"),
            ("+33600000002", "Bonjour client !"),
        ]
        assert planned[0].message_id == message_id(self.campaign_id, uuid.UUID(int=1))

    def test_a_blank_text_is_not_requested(self) -> None:
        planned = plan_messages(
            campaign_id=self.campaign_id,
            category="transactional",
            brand="default",
            template=parse("{{first_name}}"),
            recipients=self.recipients(),
            consents={},
        )
        assert [m.text for m in planned] == ["Alice", "Carol"]


class TestIds:
    def test_message_ids_are_deterministic_and_distinct(self) -> None:
        campaign, contact = uuid.uuid4(), uuid.uuid4()
        assert message_id(campaign, contact) == message_id(campaign, contact, None)
        assert message_id(campaign, contact) == message_id(campaign, contact, "")
        assert message_id(campaign, contact, "B") != message_id(campaign, contact)
        assert message_id(campaign, contact) != message_id(campaign, uuid.uuid4())

    def test_message_ids_are_stable_across_releases(self) -> None:
        # Changing the namespace would let a re-expansion after an upgrade send twice.
        assert message_id(uuid.UUID(int=1), uuid.UUID(int=2)) == uuid.UUID(
            "4ae9b344-3f2a-5402-bf8a-3ad8b895a5d2"
        )

    def test_event_ids_derive_from_what_they_announce(self) -> None:
        message, campaign = uuid.uuid4(), uuid.uuid4()
        assert requested_event_id(message) == uuid.uuid5(message, "sms.requested")
        assert (
            len(
                {
                    scheduled_event_id(campaign),
                    updated_event_id(campaign, "running"),
                    updated_event_id(campaign, "cancelled"),
                }
            )
            == 3
        )


class TestAudienceScope:
    SEGMENT = uuid.UUID(int=42)

    def test_every_contact_is_the_default_scope(self) -> None:
        assert scope_of({"type": "all_contacts"}) == AudienceScope(None, False)

    def test_a_segment_audience_names_its_segment(self) -> None:
        stored = {"type": "segment", "segment_id": str(self.SEGMENT)}
        assert scope_of(stored) == AudienceScope(self.SEGMENT, False)
        stored["include_unreachable"] = True  # type: ignore[assignment]
        assert scope_of(stored) == AudienceScope(self.SEGMENT, True)

    @pytest.mark.parametrize(
        ("stored", "message"),
        [
            ({"type": "everyone"}, "unknown type 'everyone'"),
            ({}, "unknown type None"),
            ({"type": "segment"}, "no valid segment_id"),
            ({"type": "segment", "segment_id": "nope"}, "no valid segment_id"),
        ],
    )
    def test_an_unreadable_stored_audience_is_a_value_error(
        self, stored: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            scope_of(stored)

    @pytest.mark.parametrize(
        "audience",
        [
            {"type": "all_contacts"},
            {"type": "segment", "segment_id": str(SEGMENT)},
            {"type": "segment", "segment_id": str(SEGMENT), "include_unreachable": True},
        ],
    )
    def test_what_the_api_stores_reads_back_as_the_same_scope(
        self, audience: dict[str, object]
    ) -> None:
        body = CampaignCreate.model_validate(
            {
                "name": "n",
                "template": "t",
                "category": "marketing",
                "sender": "HERALD",
                "audience": audience,
            }
        )
        stored = body.audience.model_dump(mode="json")
        expected = AudienceScope(
            self.SEGMENT if audience["type"] == "segment" else None,
            bool(audience.get("include_unreachable", False)),
        )
        assert scope_of(stored) == expected
