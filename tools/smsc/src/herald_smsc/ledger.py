"""In-memory record of every ``submit_sm`` received, for tests counting duplicates and losses.

Appends are on the submit hot path, so an entry keeps the raw message bytes and is decoded to
text only when read. Duplicate and per-destination counters are maintained incrementally so
the summary stays cheap however large the ledger grows.

The ledger holds full numbers and texts (it is test data, in memory only); nothing here logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from herald_smsc.pdu import Part, decode_text


@dataclass(slots=True)
class LedgerEntry:
    seq: int  # position in the ledger, 1-based
    system_id: str
    session_id: int
    pdu_seq: int  # sequence_number of the submit_sm
    source: str
    destination: str
    dest_ton: int
    message_id: str | None  # None when rejected (throttled) or never answered (blackhole)
    command_status: int | None  # None while unanswered (blackhole)
    data_coding: int
    esm_class: int
    registered_delivery: int
    received_at: float  # unix time
    body: bytes  # short message without UDH (or message_payload)
    part: Part | None

    @property
    def text(self) -> str:
        return decode_text(self.data_coding, self.body)

    @property
    def taken(self) -> bool:
        """The SMSC kept the message: accepted, or swallowed by a blackhole (never rejected)."""
        return self.command_status is None or self.command_status == 0

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "system_id": self.system_id,
            "session_id": self.session_id,
            "pdu_seq": self.pdu_seq,
            "source": self.source,
            "destination": self.destination,
            "dest_ton": self.dest_ton,
            "message_id": self.message_id,
            "command_status": self.command_status,
            "data_coding": self.data_coding,
            "esm_class": self.esm_class,
            "registered_delivery": self.registered_delivery,
            "received_at": datetime.fromtimestamp(self.received_at, UTC).isoformat(),
            "text": self.text,
            "part": (
                None
                if self.part is None
                else {
                    "ref": self.part.ref,
                    "total": self.part.total,
                    "index": self.part.index,
                    "scheme": self.part.scheme,
                }
            ),
        }


def _normalise(number: str) -> str:
    return number.lstrip("+")


class Ledger:
    def __init__(self) -> None:
        self._entries: list[LedgerEntry] = []
        # (destination, body) of taken submits -> count; and destination -> count.
        self._pairs: dict[tuple[str, bytes], int] = {}
        self._by_destination: dict[str, int] = {}
        self.duplicates = 0
        self.accepted = 0
        self.rejected = 0
        self.unanswered = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[LedgerEntry]:
        return iter(self._entries)

    def clear(self) -> None:
        self._entries = []
        self._pairs = {}
        self._by_destination = {}
        self.duplicates = self.accepted = self.rejected = self.unanswered = 0

    def record(
        self,
        *,
        system_id: str,
        session_id: int,
        pdu_seq: int,
        source: str,
        destination: str,
        dest_ton: int,
        message_id: str | None,
        command_status: int | None,
        data_coding: int,
        esm_class: int,
        registered_delivery: int,
        received_at: float,
        body: bytes,
        part: Part | None,
    ) -> LedgerEntry:
        entries = self._entries
        entry = LedgerEntry(
            len(entries) + 1,
            system_id,
            session_id,
            pdu_seq,
            source,
            destination,
            dest_ton,
            message_id,
            command_status,
            data_coding,
            esm_class,
            registered_delivery,
            received_at,
            body,
            part,
        )
        entries.append(entry)
        if command_status is None:
            self.unanswered += 1
        elif command_status == 0:
            self.accepted += 1
        else:
            self.rejected += 1
            return entry
        # Only messages the SMSC kept can be delivered twice; a throttled retry is no duplicate.
        key = (destination, body)
        seen = self._pairs.get(key, 0)
        if seen:
            self.duplicates += 1
        self._pairs[key] = seen + 1
        self._by_destination[destination] = self._by_destination.get(destination, 0) + 1
        return entry

    def query(
        self,
        *,
        destination: str | None = None,
        system_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[int, list[LedgerEntry]]:
        """(total matching, page) in arrival order."""
        if destination is None and system_id is None:
            return len(self._entries), self._entries[offset : offset + limit]
        wanted = None if destination is None else _normalise(destination)
        matching = [
            entry
            for entry in self._entries
            if (wanted is None or _normalise(entry.destination) == wanted)
            and (system_id is None or entry.system_id == system_id)
        ]
        return len(matching), matching[offset : offset + limit]

    def summary(self, top: int | None = None) -> dict[str, Any]:
        message_ids = {e.message_id for e in self._entries if e.message_id is not None}
        by_destination = self._by_destination
        if top is not None:
            ranked = sorted(by_destination.items(), key=lambda item: (-item[1], item[0]))
            by_destination = dict(ranked[:top])
        return {
            "submits": len(self._entries),
            "accepted": self.accepted,
            "rejected": self.rejected,
            "unanswered": self.unanswered,
            "unique_message_ids": len(message_ids),
            "duplicate_destinations_texts": self.duplicates,
            "by_destination_count": dict(by_destination),
        }
