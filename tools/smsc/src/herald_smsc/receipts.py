"""Delivery receipts and MO messages: outcome choice, receipt text, scheduling and routing.

Everything the SMSC pushes to an ESME (a ``deliver_sm``) is a :class:`Deliverable`. Receipts are
scheduled ``dlr_delay_ms`` after the submit on one heap served by a single timer; due items move
to a per-system_id pending queue and are pumped to any bound receiver/transceiver of that
system_id, round-robin, within each session's ``deliver_sm`` window. Items with no receiver
bound wait in the queue; items in flight on a session that drops are put back at the front,
so they are retried when the ESME reconnects.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from herald_smsc.config import Outcomes
from herald_smsc.pdu import (
    ESM_DELIVERY_RECEIPT,
    TLV_MESSAGE_STATE,
    TLV_NETWORK_ERROR_CODE,
    TLV_RECEIPTED_MESSAGE_ID,
    decode_text,
    encode_deliver_sm,
)

log = logging.getLogger("herald_smsc.receipts")

RETRY_DELAY_S: Final = 1.0
# Queue key of MO messages for "whichever receiver binds first" (not a valid system_id).
ANY_SYSTEM_ID: Final = "*"


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str  # as in GET /config outcomes
    stat: str  # receipt "stat:" field
    message_state: int  # message_state TLV (SMPP 3.4 §5.2.28)
    err: int  # receipt "err:" field (also the GSM cause in network_error_code)
    dlvrd: int

    @property
    def delivered(self) -> bool:
        return self.dlvrd > 0


DELIVERED: Final = Outcome("delivered", "DELIVRD", 2, 0, 1)
UNDELIVERABLE: Final = Outcome("undeliverable", "UNDELIV", 5, 1, 0)
EXPIRED: Final = Outcome("expired", "EXPIRED", 3, 0, 0)
ALL_OUTCOMES: Final = (DELIVERED, UNDELIVERABLE, EXPIRED)


class OutcomePicker:
    """Smooth weighted round-robin: exact proportions, evenly interleaved, no randomness.

    With weights 3:1, every fourth message is undeliverable — so a test asserting the mix
    can count exactly.
    """

    def __init__(self, outcomes: Outcomes) -> None:
        self._weights = [
            (o, w)
            for o, w in (
                (DELIVERED, outcomes.delivered),
                (UNDELIVERABLE, outcomes.undeliverable),
                (EXPIRED, outcomes.expired),
            )
            if w > 0
        ]
        self._total = sum(w for _, w in self._weights)
        self._current = [0.0] * len(self._weights)
        self._only = self._weights[0][0] if len(self._weights) == 1 else None

    def next(self) -> Outcome:
        if self._only is not None:
            return self._only
        current = self._current
        best = 0
        for i, (_, weight) in enumerate(self._weights):
            current[i] += weight
            if current[i] > current[best]:
                best = i
        current[best] -= self._total
        return self._weights[best][0]


def _smpp_date(ts: float) -> str:
    return time.strftime("%y%m%d%H%M", time.gmtime(ts))


def receipt_snippet(data_coding: int, body: bytes) -> str:
    """The receipt ``text:`` field: the first 20 characters, ASCII-safe."""
    text = decode_text(data_coding, body[:42])[:20]
    return "".join(c if " " <= c <= "~" else "?" for c in text)


def format_receipt(
    message_id: str, outcome: Outcome, submitted_at: float, done_at: float, snippet: str
) -> bytes:
    """The de-facto standard receipt text (SMPP 3.4 Appendix B)."""
    return (
        f"id:{message_id} sub:001 dlvrd:{outcome.dlvrd:03d} "
        f"submit date:{_smpp_date(submitted_at)} done date:{_smpp_date(done_at)} "
        f"stat:{outcome.stat} err:{outcome.err:03d} text:{snippet}"
    ).encode("ascii")


@dataclass(slots=True)
class Deliverable:
    """One ``deliver_sm`` to push: a delivery receipt (esm_class 0x04) or an MO (0)."""

    kind: str  # "dlr" | "mo"
    system_id: str
    source_addr: str
    source_ton: int
    source_npi: int
    destination_addr: str
    dest_ton: int
    dest_npi: int
    esm_class: int
    data_coding: int
    short_message: bytes
    tlvs: list[tuple[int, bytes]]
    generation: int
    attempts: int = field(default=0)
    # Unix times of an MO's way to the ESME (the P5 bench measures STOP -> stored with them).
    queued_at: float = field(default=0.0)
    first_sent_at: float | None = field(default=None)
    acked_at: float | None = field(default=None)

    def encode(self, sequence: int) -> bytes:
        return encode_deliver_sm(
            sequence,
            source_addr=self.source_addr,
            destination_addr=self.destination_addr,
            short_message=self.short_message,
            esm_class=self.esm_class,
            data_coding=self.data_coding,
            source_addr_ton=self.source_ton,
            source_addr_npi=self.source_npi,
            dest_addr_ton=self.dest_ton,
            dest_addr_npi=self.dest_npi,
            tlvs=self.tlvs,
        )


def build_receipt(
    *,
    system_id: str,
    message_id: str,
    outcome: Outcome,
    submit_source: str,
    submit_source_ton: int,
    submit_source_npi: int,
    submit_destination: str,
    submit_dest_ton: int,
    submit_dest_npi: int,
    data_coding: int,
    body: bytes,
    submitted_at: float,
    delay_s: float,
    generation: int,
) -> Deliverable:
    """The receipt for a submit: addressed back from the handset to the original sender."""
    snippet = receipt_snippet(data_coding, body)
    text = format_receipt(message_id, outcome, submitted_at, submitted_at + delay_s, snippet)
    tlvs = [
        (TLV_RECEIPTED_MESSAGE_ID, message_id.encode("ascii") + b"\x00"),
        (TLV_MESSAGE_STATE, bytes([outcome.message_state])),
    ]
    if not outcome.delivered:
        # network_error_code: type 3 (GSM), 2-byte error code.
        tlvs.append((TLV_NETWORK_ERROR_CODE, bytes([3]) + outcome.err.to_bytes(2, "big")))
    return Deliverable(
        "dlr",
        system_id,
        submit_destination,
        submit_dest_ton,
        submit_dest_npi,
        submit_source,
        submit_source_ton,
        submit_source_npi,
        ESM_DELIVERY_RECEIPT,
        0,
        text,
        tlvs,
        generation,
    )


class Receiver(Protocol):
    """A bound receiver/transceiver session, as the queue sees it."""

    @property
    def has_window(self) -> bool: ...

    def send_deliverable(self, item: Deliverable) -> None: ...

    def flush(self) -> None: ...


@dataclass(slots=True)
class DeliveryStats:
    dlr_sent: int = 0
    dlr_acked: int = 0
    mo_sent: int = 0
    mo_acked: int = 0
    retries: int = 0
    dropped_stale: int = 0


class DeliveryQueue:
    def __init__(self, receivers: Callable[[str], Sequence[Receiver]]) -> None:
        self._receivers = receivers
        self._timers: list[tuple[float, int, Deliverable]] = []
        self._tiebreak = itertools.count()
        self._handle: asyncio.TimerHandle | None = None
        self._handle_at = 0.0
        self._pending: dict[str, deque[Deliverable]] = {}
        self._rr: dict[str, int] = {}
        self.generation = 0
        self.stats = DeliveryStats()

    # ── scheduling ──
    def schedule(self, item: Deliverable, delay_s: float) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + delay_s
        heapq.heappush(self._timers, (due, next(self._tiebreak), item))
        if self._handle is None or due < self._handle_at:
            if self._handle is not None:
                self._handle.cancel()
            self._handle_at = due
            self._handle = loop.call_at(due, self._fire)

    def _fire(self) -> None:
        self._handle = None
        loop = asyncio.get_running_loop()
        # Coalesce: everything due within the next millisecond goes out in this batch.
        horizon = loop.time() + 0.001
        timers = self._timers
        touched: set[str] = set()
        while timers and timers[0][0] <= horizon:
            item = heapq.heappop(timers)[2]
            if item.generation != self.generation:
                self.stats.dropped_stale += 1
                continue
            self._pending.setdefault(item.system_id, deque()).append(item)
            touched.add(item.system_id)
        if timers:
            self._handle_at = timers[0][0]
            self._handle = loop.call_at(self._handle_at, self._fire)
        for system_id in touched:
            self.pump(system_id)

    # ── queueing ──
    def enqueue(self, item: Deliverable) -> None:
        self._pending.setdefault(item.system_id, deque()).append(item)
        self.pump(item.system_id)

    def requeue(self, items: Sequence[Deliverable]) -> None:
        """Items in flight on a session that dropped: back to the front, in order."""
        systems: set[str] = set()
        for item in reversed(items):
            if item.generation != self.generation:
                continue
            self.stats.retries += 1
            self._pending.setdefault(item.system_id, deque()).appendleft(item)
            systems.add(item.system_id)
        for system_id in systems:
            self.pump(system_id)

    def retry_later(self, item: Deliverable) -> None:
        """The ESME answered the deliver_sm with an error: try again shortly."""
        self.stats.retries += 1
        self.schedule(item, RETRY_DELAY_S)

    def acked(self, item: Deliverable) -> None:
        if item.kind == "dlr":
            self.stats.dlr_acked += 1
        else:
            self.stats.mo_acked += 1
            item.acked_at = time.time()

    def pump(self, system_id: str) -> None:
        pending = self._pending.get(system_id)
        if not pending:
            return
        receivers = self._receivers(system_id)
        count = len(receivers)
        if not count:
            return
        index = self._rr.get(system_id, 0)
        used: list[Receiver] = []
        stalled = 0
        while pending and stalled < count:
            receiver = receivers[index % count]
            index += 1
            if not receiver.has_window:
                stalled += 1
                continue
            stalled = 0
            item = pending.popleft()
            if item.generation != self.generation:
                self.stats.dropped_stale += 1
                continue
            if item.attempts == 0:
                if item.kind == "dlr":
                    self.stats.dlr_sent += 1
                else:
                    self.stats.mo_sent += 1
                    item.first_sent_at = time.time()
            item.attempts += 1
            receiver.send_deliverable(item)
            used.append(receiver)
        self._rr[system_id] = index % count
        for receiver in set(used):
            receiver.flush()

    # ── inspection / reset ──
    def queued(self) -> int:
        return sum(len(q) for q in self._pending.values())

    def scheduled(self) -> int:
        return len(self._timers)

    def reset(self) -> None:
        """Forget everything scheduled or queued; in-flight items are dropped when they return."""
        self.generation += 1
        self._timers.clear()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._pending.clear()
        self.stats = DeliveryStats()
