"""Every example of every topic contacts consumes goes through its handler, twice: applied
once, then changing nothing (the tests are herald_testing.contracts.EventContractTests)."""

from __future__ import annotations

from herald_contacts.events import subscriptions
from herald_testing.contracts import EventContractTests


class TestEventContracts(EventContractTests):
    service = "contacts"
    groups = staticmethod(subscriptions.groups)
