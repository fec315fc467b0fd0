"""Which of two facts about the same thing wins, whatever order they arrived in.

Events reach the analytics consumer in order per partition only: `sms.delivered` can come
before `sms.submitted`, `campaign.updated` before `campaign.scheduled`, and a late receipt
after a final one. Each fact therefore carries an *order key*, and the read model keeps the
fact with the greatest key. Taking a maximum is commutative and associative, so the state
after a set of events does not depend on the order they were applied in, and applying a
fact twice changes nothing.

The repository's UPSERTs compare the very same keys in SQL (row comparison on the stored
columns); the unit tests of this module pin the rules down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from herald_events.models.campaigns import CampaignState
from herald_events.models.receipts import DeliveryStatus

SCHEDULED = "scheduled"

# A campaign's life moves forward: scheduled, then running / paused (back and forth, ordered
# by their event time), then cancelled or completed. An earlier stage never replaces a later.
STATE_RANK: Mapping[str, int] = {
    SCHEDULED: 0,
    CampaignState.RUNNING.value: 1,
    CampaignState.PAUSED.value: 1,
    CampaignState.CANCELLED.value: 2,
    CampaignState.COMPLETED.value: 2,
}
UNKNOWN_STATE_RANK = -1


def state_rank(state: str) -> int:
    return STATE_RANK.get(state, UNKNOWN_STATE_RANK)


@dataclass(frozen=True)
class StateChange:
    state: str
    changed_at: datetime

    def key(self) -> tuple[int, datetime, str]:
        """Stage first, then event time; the state's name only breaks exact ties."""
        return (state_rank(self.state), self.changed_at, self.state)


def state_supersedes(new: StateChange, current: StateChange | None) -> bool:
    return current is None or new.key() > current.key()


@dataclass(frozen=True)
class DeliveryReport:
    status: str
    final: bool
    reported_at: datetime

    def key(self) -> tuple[bool, bool, datetime, str]:
        """A final status beats any non-final one (a final status never regresses); among
        finals, a real outcome beats `unknown` (no receipt within the validity window, then
        a late one); otherwise the later report wins. The status only breaks exact ties."""
        return (
            self.final,
            self.status != DeliveryStatus.UNKNOWN.value,
            self.reported_at,
            self.status,
        )


def delivery_supersedes(new: DeliveryReport, current: DeliveryReport | None) -> bool:
    return current is None or new.key() > current.key()
