"""Every example of every topic campaigns consumes goes through its handler, twice: applied
once, then changing nothing (the tests are herald_testing.contracts.EventContractTests)."""

from __future__ import annotations

from herald_campaigns.events import subscriptions
from herald_events.contracts import examples
from herald_testing.contracts import EventContractTests, subscribed_topics


class TestEventContracts(EventContractTests):
    service = "campaigns"
    groups = staticmethod(subscriptions.groups)

    def test_subscriptions_match_the_catalogue(self) -> None:
        super().test_subscriptions_match_the_catalogue()
        assert set(subscribed_topics(self.groups())) == {
            "consent.changed",
            "campaign.scheduled",
            "contact.erased",
        }

    def test_every_subscribed_topic_has_examples(self) -> None:
        assert all(examples(topic) for topic in subscribed_topics(self.groups()))
