"""Use cases of the dispatcher. They never commit: the entrypoint owns the transaction
(the request, the consumer runner, or the sender's own units of work)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy.ext.asyncio import AsyncSession

from herald_compliance import gate
from herald_compliance.frequency_caps import CapPolicy, PreviousSend, Priority
from herald_compliance.phones import InvalidPhone
from herald_compliance.rule_packs import Recipient, recipient_for_phone
from herald_compliance.segments import analyse
from herald_dispatcher import repository
from herald_dispatcher.domain.messages import priority_name, priority_rank
from herald_dispatcher.domain.outcomes import OutcomeKind, SendOutcome
from herald_dispatcher.domain.retry import retry_delay
from herald_dispatcher.domain.sending_rules import (
    MessageFacts,
    RuleSet,
    Verdict,
    apply_sending_rules,
)
from herald_dispatcher.erased_facts import erased_facts
from herald_dispatcher.errors import MessageNotFound
from herald_dispatcher.schemas import MessageRead, RouteRead, SendingRulesRead, SendingRulesWrite
from herald_dispatcher.sending_rules import WorkspaceRules, history_window
from herald_dispatcher.settings import DispatcherSettings
from herald_events import Envelope
from herald_events.models.campaigns import CampaignState, CampaignUpdatedV1, SmsRequestedV1
from herald_events.models.consent import ConsentChangedV1
from herald_events.models.dispatcher import (
    GatewayInboundV1,
    SmsFailedV1,
    SmsSubmittedV1,
    SmsSuppressedV1,
    SuppressionReason,
)
from herald_events.models.receipts import OptoutReceivedV1, OptoutScope
from herald_kit.outbox import Outbox

SMS_SUBMITTED: Final = "sms.submitted"
SMS_SUPPRESSED: Final = "sms.suppressed"
SMS_FAILED: Final = "sms.failed"
GATEWAY_INBOUND: Final = "gateway.inbound"
WITHHELD_RECHECK_S: Final = 0.2


def event_id_for(message_id: uuid.UUID, topic_name: str) -> uuid.UUID:
    """One event per message and outcome topic: a replayed settlement cannot publish twice."""
    return uuid.uuid5(message_id, topic_name)


# ── requests and projections (event handlers) ────────────────────────────────
async def request_sms(
    session: AsyncSession, workspace_id: str, request: SmsRequestedV1, now: datetime
) -> bool:
    """Queue a requested message; False when its deterministic id is already known."""
    return await repository.insert_message(session, _queued_row(workspace_id, request, now))


async def request_sms_many(
    session: AsyncSession, requests: Sequence[tuple[str, SmsRequestedV1]], now: datetime
) -> int:
    """`request_sms` for a run of `(workspace, request)` in one statement (a campaign's);
    how many were new."""
    rows: dict[uuid.UUID, dict[str, Any]] = {}
    for workspace_id, request in requests:
        rows.setdefault(request.message_id, _queued_row(workspace_id, request, now))
    return await repository.insert_messages(session, list(rows.values()))


def _queued_row(workspace_id: str, request: SmsRequestedV1, now: datetime) -> dict[str, Any]:
    info = analyse(request.text)
    not_before = request.not_before
    return {
        "message_id": request.message_id,
        "workspace_id": workspace_id,
        "campaign_id": request.campaign_id,
        "contact_id": request.contact_id,
        "phone": request.phone,
        "text": request.text,
        "category": request.category.value,
        "brand": request.brand,
        "sender": request.sender,
        "priority": priority_rank(request.priority.value),
        "not_before": not_before,
        "expires_at": request.expires_at,
        "status": "queued",
        "provider_message_ids": [],
        "segments": info.segments,
        "encoding": info.encoding,
        "attempts": 0,
        "reply_kind": request.reply_kind,
        "cap_policy": request.cap_policy.value,
        "next_attempt_at": max(now, not_before) if not_before else now,
        "created_at": now,
        "updated_at": now,
    }


async def record_consent(
    session: AsyncSession, workspace_id: str, change: ConsentChangedV1
) -> None:
    await repository.upsert_consent(
        session,
        [(change.phone, change.purpose.value, change.brand, change.status.value)],
        workspace_id=workspace_id,
        changed_at=change.changed_at,
    )


async def record_consents(
    session: AsyncSession, changes: Sequence[tuple[str, ConsentChangedV1]]
) -> None:
    """`record_consent` for a run of `(workspace, change)` at once: a statement a workspace."""
    by_workspace: dict[str, list[ConsentChangedV1]] = {}
    for workspace_id, change in changes:
        by_workspace.setdefault(workspace_id, []).append(change)
    for workspace_id, batch in by_workspace.items():
        await repository.upsert_consent_facts(
            session,
            [(c.phone, c.purpose.value, c.brand, c.status.value, c.changed_at) for c in batch],
            workspace_id=workspace_id,
        )


async def record_optout(session: AsyncSession, workspace_id: str, optout: OptoutReceivedV1) -> None:
    """A STOP applies here even when the consent service is down: a global one stops both
    purposes for every brand, a brand one stops that brand's marketing."""
    if optout.scope == OptoutScope.GLOBAL:
        rows = _global_optout(optout.phone)
    else:
        rows = [(optout.phone, "marketing", optout.brand, gate.OPTED_OUT)]
    await repository.upsert_consent(
        session, rows, workspace_id=workspace_id, changed_at=optout.received_at
    )


def _global_optout(phone: str) -> list[tuple[str, str, str, str]]:
    """The projection rows of a global STOP: both purposes, every brand."""
    return [
        (phone, purpose, gate.ANY_BRAND, gate.OPTED_OUT)
        for purpose in ("marketing", "transactional")
    ]


async def record_campaign(
    session: AsyncSession, workspace_id: str, update: CampaignUpdatedV1
) -> None:
    await repository.upsert_campaign(
        session,
        campaign_id=update.campaign_id,
        workspace_id=workspace_id,
        state=update.state.value,
        changed_at=update.changed_at,
    )
    if update.state == CampaignState.CANCELLED:
        # Held messages of a cancelled campaign are suppressed now, not when their hold ends.
        await repository.release_campaign(
            session, workspace_id, update.campaign_id, datetime.now(UTC)
        )


# ── API ──────────────────────────────────────────────────────────────────────
async def get_message(
    session: AsyncSession, workspace_id: str, message_id: uuid.UUID
) -> MessageRead:
    message = await repository.get_message(session, workspace_id, message_id)
    if message is None:
        raise MessageNotFound()
    return MessageRead(
        message_id=message.message_id,
        campaign_id=message.campaign_id,
        contact_id=message.contact_id,
        phone=message.phone,
        text=message.text,
        category=message.category,
        brand=message.brand,
        sender=message.sender,
        priority=priority_name(message.priority),
        not_before=message.not_before,
        expires_at=message.expires_at,
        status=message.status,
        suppression_reason=message.suppression_reason,
        held_until=message.held_until,
        hold_reason=message.hold_reason,
        rule=message.rule,
        route=message.route,
        provider_message_ids=message.provider_message_ids,
        segments=message.segments,
        encoding=message.encoding,
        attempts=message.attempts,
        next_attempt_at=message.next_attempt_at,
        last_error=message.last_error,
        created_at=message.created_at,
        updated_at=message.updated_at,
    )


def _rules_read(source: str, rules: Any, updated_at: datetime | None) -> SendingRulesRead:
    return SendingRulesRead.model_validate(
        {
            "source": source,
            "packs": [p.model_dump(mode="json") for p in rules.packs],
            "caps": [c.model_dump(mode="json") for c in rules.caps],
            "updated_at": updated_at,
        }
    )


async def get_sending_rules(
    session: AsyncSession, workspace_id: str, settings: DispatcherSettings
) -> SendingRulesRead:
    saved = (await repository.sending_rules_of(session, [workspace_id])).get(workspace_id)
    if saved is not None:
        return SendingRulesRead(
            source="workspace", packs=saved.packs, caps=saved.caps, updated_at=saved.updated_at
        )
    compliance = settings.compliance
    return _rules_read("deployment", compliance.workspaces.get(workspace_id, compliance), None)


async def put_sending_rules(
    session: AsyncSession, workspace_id: str, rules: SendingRulesWrite
) -> SendingRulesRead:
    now = datetime.now(UTC)
    read = _rules_read("workspace", rules, now)
    await repository.put_sending_rules(session, workspace_id, read.packs, read.caps, now)
    return read


async def delete_sending_rules(session: AsyncSession, workspace_id: str) -> None:
    await repository.delete_sending_rules(session, workspace_id)


def list_routes(settings: DispatcherSettings) -> list[RouteRead]:
    smpp = settings.smpp
    return [
        RouteRead(
            name=smpp.route_name,
            kind="smpp",
            host=smpp.host,
            port=smpp.port,
            system_id=smpp.system_id,
            window=smpp.window,
            rate_per_second=smpp.rate_per_second,
            source_addr_default=smpp.source_addr_default,
        )
    ]


# ── the sender's units of work ───────────────────────────────────────────────
@dataclass(frozen=True)
class Outgoing:
    """A message marked `submitting`: what the sender needs once the claim committed."""

    message_id: uuid.UUID
    workspace_id: str
    campaign_id: uuid.UUID | None
    phone: str
    text: str
    category: str
    sender: str
    segments: int
    encoding: str
    attempts: int
    contact_id: uuid.UUID | None = None  # the request's, passed on by sms.submitted


@dataclass(frozen=True)
class ClaimResult:
    claimed: int
    to_send: list[Outgoing]
    suppressed: int
    held: int


def _consent_by_phone(rows: Sequence[Any]) -> dict[tuple[str, str], dict[tuple[str, str], str]]:
    views: dict[tuple[str, str], dict[tuple[str, str], str]] = {}
    for row in rows:
        views.setdefault((row.workspace_id, row.phone), {})[(row.purpose, row.brand)] = row.status
    return views


def _suppressed_event(
    outbox: Outbox,
    message: Any,
    reason: str,
    now: datetime,
    *,
    rule: str | None = None,
    detail: str | None = None,
) -> tuple[str, str, Envelope[Any]]:
    payload = SmsSuppressedV1(
        message_id=message.message_id,
        phone=message.phone,
        campaign_id=message.campaign_id,
        category=message.category,
        reason=SuppressionReason(reason),
        rule_pack_version=rule,
        detail=detail,
        decided_at=now,
    )
    envelope = outbox.envelope(
        SMS_SUPPRESSED,
        payload,
        workspace_id=message.workspace_id,
        event_id=event_id_for(message.message_id, SMS_SUPPRESSED),
    )
    return SMS_SUPPRESSED, str(message.message_id), envelope


OPTOUT_CONFIRMATION: Final = "optout_confirmation"
NO_CONSENT_FACTS: Final = gate.ConsentView()


def consent_for_gate(message: Any, consent: gate.ConsentView) -> gate.ConsentView:
    """The consent the gate sees. The one confirmation of a STOP (transactional, from
    receipts) is the reply the rules expect after an opt-out: the opted-out rule does not
    stop it. Never a marketing message, whatever it claims."""
    if message.reply_kind == OPTOUT_CONFIRMATION and message.category == "transactional":
        return NO_CONSENT_FACTS
    return consent


def _recipient(phone: str) -> Recipient | None:
    try:
        return recipient_for_phone(phone)
    except (InvalidPhone, ValueError):
        return None


class _History:
    """Each contact's sends the caps count: the ledger's, plus those of this batch."""

    def __init__(self, rows: Sequence[Any]) -> None:
        self.sends: dict[tuple[str, str], list[PreviousSend]] = {}
        for row in rows:
            self.add(row.workspace_id, row.phone, row.sent_at, row.category, row.campaign_id)

    def add(
        self,
        workspace_id: str,
        phone: str,
        at: datetime,
        category: str,
        campaign_id: uuid.UUID | None,
    ) -> None:
        subject = str(campaign_id) if campaign_id else None
        self.sends.setdefault((workspace_id, phone), []).append(PreviousSend(at, category, subject))

    def of(self, workspace_id: str, phone: str) -> list[PreviousSend]:
        return self.sends.get((workspace_id, phone), [])


def sending_verdict(
    message: Any,
    rules: RuleSet,
    fallback: RuleSet,
    history: Sequence[PreviousSend],
    now: datetime,
) -> Verdict:
    """Hours and caps for a message the consent gate lets through."""
    recipient = _recipient(message.phone)
    if recipient is None:
        return Verdict(
            "suppress",
            SuppressionReason.INVALID_NUMBER.value,
            detail="the number has no country or time zone",
        )
    facts = MessageFacts(
        category=message.category,
        expires_at=message.expires_at,
        priority=cast(Priority, priority_name(message.priority)),
        subject=str(message.campaign_id) if message.campaign_id else None,
        cap_policy=cast(CapPolicy, message.cap_policy),
    )
    return apply_sending_rules(rules, facts, recipient, now, history, fallback=fallback)


@dataclass
class _Decided:
    suppressed: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    events: list[tuple[str, str, Envelope[Any]]] = field(default_factory=list)
    paused: list[uuid.UUID] = field(default_factory=list)
    held: list[tuple[uuid.UUID, datetime, str, str | None]] = field(default_factory=list)
    to_send: list[Outgoing] = field(default_factory=list)
    scrubbed: list[uuid.UUID] = field(default_factory=list)


def _outgoing(message: Any) -> Outgoing:
    return Outgoing(
        message_id=message.message_id,
        workspace_id=message.workspace_id,
        campaign_id=message.campaign_id,
        phone=message.phone,
        text=message.text,
        category=message.category,
        sender=message.sender,
        segments=message.segments,
        encoding=message.encoding,
        attempts=message.attempts + 1,
        contact_id=message.contact_id,
    )


async def claim_batch(
    session: AsyncSession,
    outbox: Outbox,
    *,
    claim_limit: int,
    send_limit: int,
    sender_id: uuid.UUID,
    now: datetime,
    hold_until: datetime,
    erasure_key: bytes,
    rules: WorkspaceRules | None = None,
) -> ClaimResult:
    """Lock due messages and run the final gate on facts read in this same transaction:
    suppress (with `sms.suppressed`), hold, or mark at most `send_limit` `submitting`. The
    caller commits before any PDU leaves. A message naming an erased contact is suppressed
    and scrubbed; an erased number's kept opt-outs still count (herald_dispatcher.erasure).
    With `rules`, a message consent lets through must also be inside its recipient's
    sending hours and frequency caps (held until they allow it, or suppressed)."""
    messages = await repository.claim_due(session, claim_limit, now)
    if not messages:
        return ClaimResult(0, [], 0, 0)
    consent_rows = await repository.consent_rows(
        session, ((m.workspace_id, m.phone) for m in messages)
    )
    erased = await erased_facts(session, messages, erasure_key)
    consents = erased.consent_with_kept_optouts(_consent_by_phone(consent_rows), consent_rows)
    campaigns = await repository.campaign_states(
        session, ((m.workspace_id, m.campaign_id) for m in messages if m.campaign_id)
    )
    rule_sets: dict[str, RuleSet] = {}
    history = _History(())
    if rules is not None:
        rule_sets = await rules.for_workspaces(session, {m.workspace_id for m in messages})
        since = now - history_window(rule_sets.values())
        history = _History(
            await repository.recent_sends(
                session, {(m.workspace_id, m.phone) for m in messages}, since
            )
        )
    out = _Decided()
    for message in messages:
        if erased.names_erased_contact(message):
            reason = SuppressionReason.CONTACT_ERASED.value
            out.suppressed.append((message.message_id, reason))
            out.events.append(_suppressed_event(outbox, message, reason, now))
            out.scrubbed.append(message.message_id)
            continue
        consent = gate.ConsentView(consents.get((message.workspace_id, message.phone), {}))
        decision = gate.decide(
            gate.GateInput(
                category=message.category, brand=message.brand, expires_at=message.expires_at
            ),
            consent_for_gate(message, consent),
            campaigns.get((message.workspace_id, message.campaign_id))
            if message.campaign_id
            else None,
            now,
        )
        if decision.outcome == "suppress":
            reason = decision.reason or SuppressionReason.NO_CONSENT.value
            out.suppressed.append((message.message_id, reason))
            out.events.append(_suppressed_event(outbox, message, reason, now))
            continue
        if decision.outcome == "hold":
            out.paused.append(message.message_id)
            continue
        if len(out.to_send) >= send_limit:
            continue  # sendable but no window left: it stays queued, unlocked at commit
        if rules is not None:
            verdict = sending_verdict(
                message,
                rule_sets[message.workspace_id],
                rules.default,
                history.of(message.workspace_id, message.phone),
                now,
            )
            if verdict.outcome == "suppress":
                reason = verdict.reason or SuppressionReason.OUTSIDE_SENDING_HOURS.value
                out.suppressed.append((message.message_id, reason))
                out.events.append(
                    _suppressed_event(
                        outbox, message, reason, now, rule=verdict.rule, detail=verdict.detail
                    )
                )
                continue
            if verdict.outcome == "hold":
                assert verdict.held_until is not None
                out.held.append(
                    (message.message_id, verdict.held_until, verdict.detail or "", verdict.rule)
                )
                continue
            history.add(
                message.workspace_id, message.phone, now, message.category, message.campaign_id
            )
        out.to_send.append(_outgoing(message))
    await repository.mark_suppressed(session, out.suppressed, now)
    await repository.scrub_messages(session, out.scrubbed)
    await outbox.add_many(session, out.events)
    await repository.recheck_later(session, out.paused, hold_until, now)
    await repository.mark_held(session, out.held, now)
    await repository.mark_submitting(session, [o.message_id for o in out.to_send], sender_id, now)
    return ClaimResult(
        len(messages), out.to_send, len(out.suppressed), len(out.paused) + len(out.held)
    )


async def release_held(session: AsyncSession, now: datetime, limit: int) -> int:
    """The sweeper's unit of work: held messages whose time has come go back to the queue."""
    return await repository.release_held(session, now, limit)


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float
    max_s: float
    max_transient_attempts: int
    rng: random.Random | None = None


@dataclass
class Settled:
    submitted: int = 0
    requeued: int = 0
    failed: int = 0
    in_doubt: int = 0


async def settle(
    session: AsyncSession,
    outbox: Outbox,
    results: Sequence[tuple[Outgoing, SendOutcome]],
    *,
    route: str,
    policy: RetryPolicy,
    now: datetime,
) -> Settled:
    """Write what the gateway answered, with the events, in one transaction."""
    submitted: list[tuple[uuid.UUID, str, list[str]]] = []
    requeued: list[tuple[uuid.UUID, datetime, str, int]] = []
    failed: list[tuple[uuid.UUID, str | None, list[str]]] = []
    in_doubt: list[tuple[uuid.UUID, str | None, list[str]]] = []
    events: list[tuple[str, str, Envelope[Any]]] = []
    for message, outcome in results:
        key = str(message.message_id)
        known_ids = list(outcome.provider_message_ids)
        kind = outcome.kind
        if kind == OutcomeKind.TRANSIENT and message.attempts >= policy.max_transient_attempts:
            kind = OutcomeKind.FAILED
            outcome = SendOutcome(
                kind,
                outcome.provider_message_ids,
                outcome.error_code,
                f"retries exhausted: {outcome.reason}",
            )
        if kind == OutcomeKind.SUBMITTED:
            submitted.append((message.message_id, route, known_ids))
            payload: Any = SmsSubmittedV1(
                message_id=message.message_id,
                phone=message.phone,
                campaign_id=message.campaign_id,
                contact_id=message.contact_id,
                category=message.category,
                route=route,
                provider_message_ids=known_ids,
                segments=message.segments,
                encoding=message.encoding,
                submitted_at=now,
            )
            events.append((SMS_SUBMITTED, key, _envelope(outbox, SMS_SUBMITTED, payload, message)))
        elif kind in (OutcomeKind.THROTTLED, OutcomeKind.TRANSIENT):
            delay = retry_delay(message.attempts, policy.base_s, policy.max_s, policy.rng)
            requeued.append(
                (message.message_id, now + timedelta(seconds=delay), outcome.reason or kind, 0)
            )
        elif kind == OutcomeKind.NOT_SENT:
            requeued.append((message.message_id, now, outcome.reason or kind, 1))
        elif kind == OutcomeKind.WITHHELD:
            # The next claim's gate decides it once the STOP is committed (recent_stops.py).
            at = now + timedelta(seconds=WITHHELD_RECHECK_S)
            requeued.append((message.message_id, at, outcome.reason or kind, 1))
        elif kind == OutcomeKind.FAILED:
            failed.append((message.message_id, outcome.reason, known_ids))
            payload = SmsFailedV1(
                message_id=message.message_id,
                phone=message.phone,
                campaign_id=message.campaign_id,
                route=route,
                error_code=outcome.error_code or "unknown",
                reason=outcome.reason or "rejected by the gateway",
                failed_at=now,
            )
            events.append((SMS_FAILED, key, _envelope(outbox, SMS_FAILED, payload, message)))
        else:
            in_doubt.append((message.message_id, outcome.reason, known_ids))
    await repository.mark_submitted(session, submitted, now)
    await repository.mark_requeued(session, requeued, now)
    await repository.mark_final(session, "failed", failed, now)
    await repository.mark_final(session, "in_doubt", in_doubt, now)
    await outbox.add_many(session, events)
    return Settled(len(submitted), len(requeued), len(failed), len(in_doubt))


def _envelope(outbox: Outbox, topic_name: str, payload: Any, message: Outgoing) -> Envelope[Any]:
    return outbox.envelope(
        topic_name,
        payload,
        workspace_id=message.workspace_id,
        event_id=event_id_for(message.message_id, topic_name),
    )


async def recover_abandoned(session: AsyncSession, me: uuid.UUID, now: datetime) -> int:
    """Rows left `submitting` by a sender that is gone (its lock is free) become in doubt:
    never re-sent automatically. A live sender's rows are left alone."""
    count = 0
    for sender_id in await repository.senders_with_submitting(session, me):
        if await repository.sender_is_gone(session, sender_id):
            count += await repository.mark_abandoned_in_doubt(session, sender_id, now)
    return count


async def record_inbound(
    session: AsyncSession,
    outbox: Outbox,
    items: Sequence[tuple[GatewayInboundV1, uuid.UUID | None]],
    *,
    workspace_id: str,
    stops: Sequence[tuple[str, datetime]] = (),
) -> None:
    """Stage `gateway.inbound` events (key: the provider id, or the sender's number). The
    handsets' keyword STOPs among them, `(E.164, received_at)` read by the sender with
    domain/early_stop.py, suppress their numbers now, in this transaction, as
    `optout.received` will later."""
    rows = [
        (
            GATEWAY_INBOUND,
            event.provider_message_id or event.source,
            outbox.envelope(GATEWAY_INBOUND, event, workspace_id=workspace_id, event_id=event_id),
        )
        for event, event_id in items
    ]
    await outbox.add_many(session, rows)
    await repository.upsert_consent_facts(
        session,
        ((*row, received_at) for phone, received_at in stops for row in _global_optout(phone)),
        workspace_id=workspace_id,
    )
