"""The send loop: queued messages out through the SMPP bind, receipts in, nothing lost,
nothing sent twice. It runs as a background task of the `consumer` process.

One unit of work per step, each committed before the next step's side effect:
1. claim: lock due `queued` rows (`FOR UPDATE SKIP LOCKED`), run the final gate on the
   consent and campaign projections read in the same transaction, suppress (with
   `sms.suppressed`) or hold what must not go, mark the rest `submitting`, COMMIT;
2. submit: only then do PDUs leave, rate-limited per route, at most `window` outstanding;
3. settle: the answers, batched, in one transaction each: `submitted` + `sms.submitted`,
   back to `queued` with a backoff (throttled: safe, the SMSC did not take it), `failed` +
   `sms.failed`, or `in_doubt` (written, never answered: never re-sent automatically).
At most `window` messages are between 1 and 3 at any time, so a crash leaves at most
`window` rows `submitting`; a sender that finds rows of a sender that is gone (its
PostgreSQL advisory lock is free) marks them `in_doubt`, at start-up and periodically.

Inbound `deliver_sm` (receipts, handset messages) become `gateway.inbound` outbox rows;
their `deliver_sm_resp` is written only after that transaction committed. Several lanes store
them at once (the SMSC's window waits on those commits), each number or receipted message id
in one lane, so a handset's STOP then START stay in order. A handset's
keyword STOP is also remembered the moment it is read (domain/recent_stops.py): a message
claimed before the STOP's commit does not leave; the next claim's gate decides it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from aiolimiter import AsyncLimiter
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from herald_dispatcher import repository, service
from herald_dispatcher.domain.breaker import Breaker
from herald_dispatcher.domain.early_stop import early_stop_phone
from herald_dispatcher.domain.inbound import DeliverFields, inbound_event, receipt_event_id
from herald_dispatcher.domain.messages import destination_address, source_address, submit_parts
from herald_dispatcher.domain.outcomes import OutcomeKind, SendOutcome
from herald_dispatcher.domain.recent_stops import RecentStops
from herald_dispatcher.domain.retry import retry_delay
from herald_dispatcher.domain.smpp_status import (
    ESME_ROK,
    ESME_RX_P_APPN,
    ESME_RX_T_APPN,
    StatusClass,
    classify,
    describe,
    status_code,
)
from herald_dispatcher.gateway.smpp_client import (
    InboundDeliver,
    InDoubt,
    NotSent,
    SmppError,
    SmppSession,
    SubmitResponse,
    open_session,
)
from herald_dispatcher.sending_rules import WorkspaceRules
from herald_dispatcher.service import Outgoing
from herald_dispatcher.settings import DispatcherSettings
from herald_events.models.dispatcher import GatewayInboundV1
from herald_kit.db import transaction
from herald_kit.logs import get_logger
from herald_kit.outbox import Outbox
from herald_kit.worker import BackgroundTask, WorkerResources

log = get_logger(__name__)

MESSAGES = Counter(
    "herald_dispatcher_messages_total", "Messages settled by the sender", ["route", "outcome"]
)
SUPPRESSED = Counter(
    "herald_dispatcher_suppressed_total", "Messages stopped by the gate", ["route"]
)
RELEASED = Counter(
    "herald_dispatcher_released_total", "Held messages put back in the queue", ["route"]
)
INBOUND = Counter("herald_dispatcher_inbound_total", "deliver_sm received and stored", ["route"])
INBOUND_STORE = Histogram(
    "herald_dispatcher_inbound_store_seconds",
    "One transaction storing a batch of deliver_sm (their deliver_sm_resp follow at once)",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)
WITHHELD = Counter(
    "herald_dispatcher_withheld_total",
    "Claimed messages kept back because their number's STOP arrived after the claim",
    ["route"],
)
BIND_UP = Gauge("herald_dispatcher_bind_up", "1 while the route's SMPP bind is up", ["route"])
IN_FLIGHT = Gauge("herald_dispatcher_in_flight", "Messages claimed and not yet settled", ["route"])

MAX_PART_RETRIES = 5
RELEASE_BATCH = 1000
INBOUND_BATCH = 500
SETTLE_GATHER_S = 0.002


def _rate_limiter(rate_per_second: float) -> AsyncLimiter:
    """A token bucket of a tenth of a second's worth (at least one token): the rate holds
    over any second without a whole second's burst at start."""
    period = 0.1 if rate_per_second >= 10 else 1.0 / rate_per_second
    return AsyncLimiter(max(1.0, rate_per_second * period), period)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Inbound:
    """A deliver_sm read from the bind, decoded once: its event (None when unreadable) and,
    for a handset's keyword STOP, the number it stops."""

    delivered: InboundDeliver
    event: GatewayInboundV1 | None
    event_id: uuid.UUID | None
    stops: str | None


def _fields(pdu: Any) -> DeliverFields:
    return DeliverFields(
        source_addr=pdu.source_addr,
        source_addr_ton=pdu.source_addr_ton,
        destination_addr=pdu.destination_addr,
        dest_addr_ton=pdu.dest_addr_ton,
        esm_class=pdu.esm_class,
        data_coding=pdu.data_coding,
        short_message=pdu.short_message,
        tlvs={tlv.tag: tlv.value for tlv in pdu.tlvs},
    )


class Sender:
    def __init__(
        self,
        settings: DispatcherSettings,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        clock: Callable[[], datetime] = _now,
        rules: WorkspaceRules | None = None,
    ) -> None:
        # `clock` is the gate's `now` (sending hours, holds, expiry): tests inject one.
        self.clock = clock
        self.rules = rules or WorkspaceRules.from_settings(settings.compliance)
        self.smpp = settings.smpp
        early = settings.early_stop
        self.early_stop_region = early.default_region if early.enabled else None
        self.tuning = settings.sender
        self.erasure_key = settings.erasure.key.get_secret_value().encode()
        self.route = self.smpp.route_name
        self.engine = engine
        self.sessions = sessions
        self.outbox = outbox
        self.sender_id = uuid.uuid4()
        self.limiter = _rate_limiter(self.smpp.rate_per_second)
        self.breaker = Breaker(cooldown_s=self.tuning.breaker_cooldown_s)
        self.policy = service.RetryPolicy(
            base_s=self.tuning.retry_base_s,
            max_s=self.tuning.retry_max_s,
            max_transient_attempts=self.tuning.max_transient_attempts,
        )
        self.session: SmppSession | None = None
        self.in_flight = 0
        self.in_doubt_total = 0
        self._bound = asyncio.Event()
        self._slot_freed = asyncio.Event()
        self._stopping = asyncio.Event()
        self._results: asyncio.Queue[tuple[Outgoing, SendOutcome]] = asyncio.Queue()
        self._inbound = [asyncio.Queue[_Inbound]() for _ in range(self.tuning.inbound_lanes)]
        self.stops = RecentStops()
        self._submissions: set[asyncio.Task[None]] = set()
        self._reference = random.randrange(256)
        self._lock_connection: AsyncConnection | None = None
        self._send_everything_claimed = True

    # ── lifecycle ─────────────────────────────────────────────────────────────
    async def run(self, stopping: asyncio.Event) -> None:
        """Until `stopping` is set; then finish the messages in flight and unbind."""
        await self._hold_liveness_lock()
        await self._recover()
        loops = [
            asyncio.create_task(self._bind_loop(), name="dispatcher-bind"),
            asyncio.create_task(self._claim_loop(), name="dispatcher-claim"),
            asyncio.create_task(self._settle_loop(), name="dispatcher-settle"),
            *(
                asyncio.create_task(self._inbound_loop(lane), name=f"dispatcher-inbound-{n}")
                for n, lane in enumerate(self._inbound)
            ),
            asyncio.create_task(self._sweep_loop(), name="dispatcher-sweep"),
            asyncio.create_task(self._release_loop(), name="dispatcher-release"),
        ]
        log.info("dispatcher.sender_started", route=self.route, sender_id=str(self.sender_id))
        try:
            waiter = asyncio.create_task(stopping.wait())
            done, _ = await asyncio.wait([waiter, *loops], return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            for task in done:
                if task is not waiter and task.exception() is not None:
                    raise cast(BaseException, task.exception())
        finally:
            await self._shutdown(loops)

    async def _shutdown(self, loops: Sequence[asyncio.Task[None]]) -> None:
        self._stopping.set()
        deadline = time.monotonic() + self.smpp.response_timeout_s + 2
        while self.in_flight > 0 and time.monotonic() < deadline:
            self._slot_freed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._slot_freed.wait(), timeout=0.2)
        if self.in_flight:
            log.warning("dispatcher.stopped_with_messages_in_flight", count=self.in_flight)
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        if self.session is not None:
            await self.session.unbind()
            self.session = None
        BIND_UP.labels(self.route).set(0)
        await self._release_liveness_lock()
        log.info("dispatcher.sender_stopped", route=self.route, in_doubt=self.in_doubt_total)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    # ── liveness and recovery ─────────────────────────────────────────────────
    async def _hold_liveness_lock(self) -> None:
        connection = await self.engine.connect()
        await repository.lock_sender(connection, self.sender_id)
        await connection.commit()
        self._lock_connection = connection

    async def _release_liveness_lock(self) -> None:
        if self._lock_connection is not None:
            with contextlib.suppress(Exception):
                await self._lock_connection.close()
            self._lock_connection = None

    async def _ensure_liveness_lock(self) -> None:
        """Our lock went with a lost DB connection: take it again."""
        connection = self._lock_connection
        try:
            if connection is None:
                raise ConnectionError("no lock connection")
            await repository.ping(connection)
        except Exception:
            await self._release_liveness_lock()
            await self._hold_liveness_lock()

    async def _recover(self) -> None:
        async with transaction(self.sessions) as session:
            count = await service.recover_abandoned(session, self.sender_id, self.clock())
        if count:
            self.in_doubt_total += count
            MESSAGES.labels(self.route, "in_doubt").inc(count)
            log.warning("dispatcher.in_doubt_after_crash", route=self.route, count=count)

    async def _sweep_loop(self) -> None:
        while not self._stopping.is_set():
            await self._sleep(self.tuning.sweep_interval_s)
            try:
                self.stops.prune(time.monotonic())
                await self._ensure_liveness_lock()
                await self._recover()
            except Exception as error:
                log.warning("dispatcher.sweep_failed", error=repr(error))

    async def _release_loop(self) -> None:
        """Held messages whose hold ended go back to the queue (crash-safe: the hold is a
        row, any sender releases it); the claim then decides them again."""
        while not self._stopping.is_set():
            try:
                while True:
                    async with transaction(self.sessions) as db:
                        count = await service.release_held(db, self.clock(), RELEASE_BATCH)
                    if count:
                        RELEASED.labels(self.route).inc(count)
                        log.info("dispatcher.held_released", route=self.route, count=count)
                    if count < RELEASE_BATCH:
                        break
            except Exception as error:
                log.warning("dispatcher.release_failed", error=repr(error))
            await self._sleep(self.tuning.release_interval_s)

    # ── the bind ──────────────────────────────────────────────────────────────
    async def _bind_loop(self) -> None:
        backoff = self.smpp.reconnect_min_s
        while not self._stopping.is_set():
            try:
                session = await open_session(
                    self.smpp.host,
                    self.smpp.port,
                    self.smpp.system_id,
                    self.smpp.password.get_secret_value(),
                    system_type=self.smpp.system_type,
                    window=self.smpp.window,
                    response_timeout_s=self.smpp.response_timeout_s,
                    enquire_link_s=self.smpp.enquire_link_s,
                    on_deliver=self._on_deliver,
                )
            except (OSError, TimeoutError, SmppError) as error:
                wait = backoff * random.uniform(0.5, 1.0)
                log.warning(
                    "dispatcher.bind_failed", route=self.route, error=str(error), retry_in=wait
                )
                await self._sleep(wait)
                backoff = min(backoff * 2, self.smpp.reconnect_max_s)
                continue
            backoff = self.smpp.reconnect_min_s
            self.session = session
            self._bound.set()
            BIND_UP.labels(self.route).set(1)
            log.info("dispatcher.bound", route=self.route, host=self.smpp.host)
            closed = asyncio.create_task(session.closed.wait())
            stopping = asyncio.create_task(self._stopping.wait())
            await asyncio.wait([closed, stopping], return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            stopping.cancel()
            if self._stopping.is_set():
                return
            self._bound.clear()
            self.session = None
            BIND_UP.labels(self.route).set(0)
            log.warning("dispatcher.bind_lost", route=self.route)

    # ── claim ─────────────────────────────────────────────────────────────────
    async def _claim_loop(self) -> None:
        backoff = 0.2
        while not self._stopping.is_set():
            session = self.session
            if session is None or not session.usable:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._bound.wait(), timeout=0.5)
                continue
            free = self.smpp.window - self.in_flight
            allowance = self.breaker.allowance(time.monotonic(), free)
            if allowance <= 0:
                self._slot_freed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._slot_freed.wait(), timeout=0.2)
                continue
            # After a batch the gate stopped entirely, look further ahead: suppressing a
            # cancelled campaign must not crawl at one window per transaction.
            claim_limit = allowance if self._send_everything_claimed else self.tuning.max_claim
            now = self.clock()
            claimed_at = time.monotonic()  # before the claim's snapshot (recent_stops.py)
            try:
                async with transaction(self.sessions) as db:
                    result = await service.claim_batch(
                        db,
                        self.outbox,
                        claim_limit=min(claim_limit, self.tuning.max_claim),
                        send_limit=allowance,
                        sender_id=self.sender_id,
                        now=now,
                        hold_until=now + timedelta(seconds=self.tuning.hold_recheck_s),
                        erasure_key=self.erasure_key,
                        rules=self.rules,
                    )
            except Exception as error:
                log.warning("dispatcher.claim_failed", error=repr(error), retry_in=backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            backoff = 0.2
            if result.suppressed:
                SUPPRESSED.labels(self.route).inc(result.suppressed)
            self._send_everything_claimed = bool(result.to_send) or result.claimed == 0
            for outgoing in result.to_send:
                self.in_flight += 1
                task = asyncio.create_task(self._send(session, outgoing, claimed_at))
                self._submissions.add(task)
                task.add_done_callback(self._submissions.discard)
            IN_FLIGHT.labels(self.route).set(self.in_flight)
            if result.claimed == 0:
                await self._sleep(self.tuning.idle_poll_s)

    # ── submit ────────────────────────────────────────────────────────────────
    async def _send(self, session: SmppSession, message: Outgoing, claimed_at: float) -> None:
        try:
            outcome = await self._submit(session, message, claimed_at)
        except Exception as error:  # a bug must not lose track of a `submitting` row
            log.exception("dispatcher.submit_crashed", message_id=str(message.message_id))
            outcome = SendOutcome(OutcomeKind.IN_DOUBT, reason=f"unexpected error: {error!r}")
        now = time.monotonic()
        if outcome.kind == OutcomeKind.SUBMITTED:
            self.breaker.success(now)
        elif outcome.kind == OutcomeKind.IN_DOUBT:
            self.breaker.failure(now)
        self._results.put_nowait((message, outcome))

    def _withheld(self, message: Outgoing, claimed_at: float) -> bool:
        """Before a message's first PDU: did a STOP from its number arrive after its claim
        began? (recent_stops.py)"""
        if not self.stops.withholds(message.workspace_id, message.phone, claimed_at):
            return False
        WITHHELD.labels(self.route).inc()
        return True

    def _next_reference(self) -> int:
        self._reference = (self._reference + 1) & 0xFF
        return self._reference

    async def _submit(
        self, session: SmppSession, message: Outgoing, claimed_at: float
    ) -> SendOutcome:
        source = source_address(message.sender or self.smpp.source_addr_default)
        destination = destination_address(message.phone)
        parts = submit_parts(message.text, self._next_reference())
        ids: list[str | None] = [None] * len(parts)
        todo = list(range(len(parts)))
        part_retries = 0
        while True:
            sent: list[tuple[int, asyncio.Future[SubmitResponse]]] = []
            not_sent = False
            for index in todo:
                await self.limiter.acquire()
                if part_retries == 0 and index == 0 and self._withheld(message, claimed_at):
                    return SendOutcome(
                        OutcomeKind.WITHHELD, reason="the number sent STOP after the claim"
                    )
                try:
                    sent.append(
                        (index, await session.send_submit(source, destination, parts[index]))
                    )
                except NotSent:
                    not_sent = True
                    break
            doubt: str | None = None
            rejected: dict[int, int] = {}
            for index, future in sent:
                try:
                    response = await future
                except InDoubt as error:
                    doubt = f"{type(error).__name__}: {error}"
                    continue
                if response.command_status == ESME_ROK:
                    ids[index] = response.message_id or ""
                else:
                    rejected[index] = response.command_status
            known = tuple(i for i in ids if i is not None)
            if doubt is not None:
                return SendOutcome(OutcomeKind.IN_DOUBT, known, reason=doubt)
            permanent = [s for s in rejected.values() if classify(s) is StatusClass.PERMANENT]
            if permanent:
                return SendOutcome(
                    OutcomeKind.FAILED, known, status_code(permanent[0]), describe(permanent[0])
                )
            missing = [index for index, value in enumerate(ids) if value is None]
            if not missing:
                return SendOutcome(OutcomeKind.SUBMITTED, known)
            if not known:  # nothing of it reached the handset's SMSC: safe to retry later
                if not rejected:
                    return SendOutcome(OutcomeKind.NOT_SENT, reason="the bind went away")
                status = next(iter(rejected.values()))
                kind = (
                    OutcomeKind.THROTTLED
                    if classify(status) is StatusClass.THROTTLED
                    else OutcomeKind.TRANSIENT
                )
                return SendOutcome(kind, (), status_code(status), describe(status))
            # Some parts are accepted: finish the others now (the handset waits for them).
            if not_sent:
                return SendOutcome(
                    OutcomeKind.IN_DOUBT, known, reason="bind lost in the middle of a long message"
                )
            part_retries += 1
            if part_retries > MAX_PART_RETRIES:
                status = next(iter(rejected.values()))
                return SendOutcome(
                    OutcomeKind.FAILED,
                    known,
                    status_code(status),
                    f"{describe(status)} (parts still rejected after a partial submit)",
                )
            await asyncio.sleep(retry_delay(part_retries, 0.2, 5.0))
            todo = missing

    # ── settle ────────────────────────────────────────────────────────────────
    async def _settle_loop(self) -> None:
        while True:
            batch = [await self._results.get()]
            if self._results.qsize() < self.tuning.flush_max:
                await asyncio.sleep(SETTLE_GATHER_S)  # let the answers of this burst gather
            while len(batch) < self.tuning.flush_max and not self._results.empty():
                batch.append(self._results.get_nowait())
            await self._settle(batch)
            self.in_flight -= len(batch)
            IN_FLIGHT.labels(self.route).set(self.in_flight)
            self._slot_freed.set()

    async def _settle(self, batch: list[tuple[Outgoing, SendOutcome]]) -> None:
        backoff = 0.2
        while True:
            try:
                async with transaction(self.sessions) as db:
                    settled = await service.settle(
                        db,
                        self.outbox,
                        batch,
                        route=self.route,
                        policy=self.policy,
                        now=self.clock(),
                    )
                break
            except Exception as error:  # the answers stay in memory until written
                log.warning("dispatcher.settle_failed", error=repr(error), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
        for outcome, count in (
            ("submitted", settled.submitted),
            ("requeued", settled.requeued),
            ("failed", settled.failed),
            ("in_doubt", settled.in_doubt),
        ):
            if count:
                MESSAGES.labels(self.route, outcome).inc(count)
        if settled.in_doubt:
            self.in_doubt_total += settled.in_doubt
            log.warning(
                "dispatcher.in_doubt",
                route=self.route,
                count=settled.in_doubt,
                message_ids=[str(m.message_id) for m, o in batch if o.kind == OutcomeKind.IN_DOUBT][
                    :20
                ],
            )

    # ── inbound ───────────────────────────────────────────────────────────────
    def _on_deliver(self, delivered: InboundDeliver) -> None:
        """Called as each deliver_sm is read: decode it once and remember a STOP at once,
        before its transaction; storing and answering it is the inbound loop's job."""
        try:
            fields = _fields(delivered.pdu)
            event = inbound_event(fields, self.route, delivered.received_at)
            event_id = receipt_event_id(fields, self.route)
        except Exception as error:
            log.error("dispatcher.inbound_unreadable", error=repr(error))
            self._inbound[0].put_nowait(_Inbound(delivered, None, None, None))
            return
        stops = early_stop_phone(event, self.early_stop_region) if self.early_stop_region else None
        if stops is not None:
            self.stops.heard(self.smpp.workspace_id, stops, time.monotonic())
        key = event.provider_message_id or event.source  # the outbox key: order per key
        lane = self._inbound[zlib.crc32(key.encode()) % len(self._inbound)]
        lane.put_nowait(_Inbound(delivered, event, event_id, stops))

    async def _inbound_loop(self, lane: asyncio.Queue[_Inbound]) -> None:
        while True:
            batch = [await lane.get()]
            if lane.qsize() < INBOUND_BATCH:
                await asyncio.sleep(SETTLE_GATHER_S)  # one transaction for the whole burst
            while len(batch) < INBOUND_BATCH and not lane.empty():
                batch.append(lane.get_nowait())
            await self._store_inbound(batch)

    async def _store_inbound(self, batch: list[_Inbound]) -> None:
        items: list[tuple[GatewayInboundV1, uuid.UUID | None]] = []
        stops: list[tuple[str, datetime]] = []
        for item in batch:
            if item.event is not None:
                items.append((item.event, item.event_id))
                if item.stops is not None:
                    stops.append((item.stops, item.event.received_at))
        answers = [
            (item.delivered, ESME_ROK if item.event is not None else ESME_RX_P_APPN)
            for item in batch
        ]
        started = time.monotonic()
        try:
            async with transaction(self.sessions) as db:
                await service.record_inbound(
                    db, self.outbox, items, workspace_id=self.smpp.workspace_id, stops=stops
                )
        except Exception as error:
            # Not stored: ask the SMSC to send them again (never acknowledge what is lost).
            log.warning("dispatcher.inbound_store_failed", error=repr(error), count=len(batch))
            answers = [(item.delivered, ESME_RX_T_APPN) for item in batch]
        else:
            if stops:
                workspace = self.smpp.workspace_id
                self.stops.committed([(workspace, phone) for phone, _ in stops], time.monotonic())
            INBOUND.labels(self.route).inc(len(items))
            INBOUND_STORE.labels(self.route).observe(time.monotonic() - started)
        for delivered, status in answers:
            delivered.session.respond_deliver(delivered.sequence, status)


async def run_sender(resources: WorkerResources) -> None:
    settings = resources.settings
    if not isinstance(settings, DispatcherSettings):
        raise TypeError("the sender needs the dispatcher's settings")
    sender = Sender(settings, resources.engine, resources.sessions, resources.outbox)
    await sender.run(resources.stopping)


def background_tasks() -> Sequence[BackgroundTask]:
    return [run_sender]
