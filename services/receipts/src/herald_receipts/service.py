"""Use cases of the receipts service. They never commit: the entrypoint owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from herald_compliance.optout import DEFAULT_BRAND, ReplyKind, evaluate, reply_kind_for
from herald_compliance.phones import InvalidPhone, normalise_phone
from herald_events import Envelope
from herald_events.models.campaigns import SmsPriority, SmsRequestedV1
from herald_events.models.common import Category
from herald_events.models.dispatcher import GatewayInboundV1, SmsSubmittedV1
from herald_events.models.receipts import (
    KeywordKind,
    OptoutReceivedV1,
    OptoutScope,
    SmsDeliveredV1,
    SmsInboundV1,
)
from herald_kit.consumer import caused_by as caused_by_event
from herald_kit.errors import Unprocessable
from herald_kit.logs import get_logger, mask_phone
from herald_kit.outbox import Outbox
from herald_receipts import repository
from herald_receipts.domain import delivery, receipt_status
from herald_receipts.domain.provider_ids import (
    InvalidProviderId,
    ProviderId,
    match_rank,
    normalise_provider_id,
)
from herald_receipts.errors import DeliveryNotFound, ReviewAlreadyResolved, ReviewNotFound
from herald_receipts.models import (
    Delivery,
    InboundMessage,
    OptoutReview,
    ParkedReceipt,
    Submission,
)
from herald_receipts.settings import OptoutSettings

SMS_DELIVERED: Final = "sms.delivered"
SMS_INBOUND: Final = "sms.inbound"
OPTOUT_RECEIVED: Final = "optout.received"
SMS_REQUESTED: Final = "sms.requested"
# Event ids derived from what they announce: handling the same input again (a redelivery
# that slipped past the inbox, a parked receipt replayed) cannot publish twice.
_EVENT_NAMESPACE: Final = uuid.UUID("0d8f4c55-3f0e-4b8e-9a43-6a1f2f0f7e21")

CausedBy = dict[str, uuid.UUID | None]
log = get_logger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _event_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(_EVENT_NAMESPACE, "\x00".join(str(p) for p in parts))


def _part_state(part: Submission) -> delivery.PartState:
    return delivery.PartState(
        status=receipt_status.as_status(part.status),
        final=part.final,
        reported=part.reported_at is not None,
        error_code=part.error_code,
    )


# ── sms.submitted ─────────────────────────────────────────────────────────────
def _distinct_ids(raw_ids: Sequence[str]) -> list[ProviderId]:
    ids: list[ProviderId] = []
    seen: set[str] = set()
    for raw in raw_ids:
        try:
            pid = normalise_provider_id(raw)
        except InvalidProviderId:
            log.warning("receipts.unusable_provider_id")
            continue
        if pid.primary not in seen:
            seen.add(pid.primary)
            ids.append(pid)
    return ids


async def record_submission(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    submitted: SmsSubmittedV1,
    caused_by: CausedBy,
) -> None:
    """One submission row per part, the message's delivery row (with its recipient, which
    `sms.delivered` names), then the receipts that arrived first (parked) are applied."""
    ids = _distinct_ids(submitted.provider_message_ids)
    if not ids:
        log.warning("receipts.submission_without_ids", message_id=str(submitted.message_id))
        return
    erased = False
    if submitted.contact_id is not None:
        erased = await repository.is_erased_contact(session, workspace_id, submitted.contact_id)
    route = submitted.route
    keys = [key for pid in ids for key in pid.keys]
    await repository.lock_provider_ids(session, route, keys)
    await repository.upsert_submissions(session, _submission_rows(workspace_id, submitted, ids))
    await repository.add_delivery(session, _delivery_row(workspace_id, submitted, ids, erased))
    parked = await repository.parked_matching(session, route, keys)
    await _apply_receipts(session, outbox, [(r, caused_by) for r in _unparked(parked)])
    await repository.delete_parked(session, [receipt.id for receipt in parked])


async def record_submissions(
    session: AsyncSession, outbox: Outbox, events: Sequence[Envelope[Any]]
) -> None:
    """`record_submission` for a run of `sms.submitted` with a few statements. A run in which
    two submissions share a provider id (a route reusing ids) goes one by one, so the later
    one takes the id as it would have."""
    prepared: list[tuple[Envelope[Any], SmsSubmittedV1, list[ProviderId], set[str]]] = []
    taken: set[tuple[str, str]] = set()
    for envelope in events:
        submitted: SmsSubmittedV1 = envelope.payload
        ids = _distinct_ids(submitted.provider_message_ids)
        if not ids:
            log.warning("receipts.submission_without_ids", message_id=str(submitted.message_id))
            continue
        keys = {key for pid in ids for key in pid.keys}
        if any((submitted.route, key) in taken for key in keys):
            for each in events:
                await record_submission(
                    session, outbox, each.workspace_id, each.payload, caused_by_event(each)
                )
            return
        taken |= {(submitted.route, key) for key in keys}
        prepared.append((envelope, submitted, ids, keys))
    if not prepared:
        return
    erased = await repository.erased_contacts(
        session,
        [(e.workspace_id, s.contact_id) for e, s, _, _ in prepared if s.contact_id is not None],
    )
    await repository.lock_route_keys(session, taken)
    await repository.upsert_submissions(
        session,
        [row for e, s, ids, _ in prepared for row in _submission_rows(e.workspace_id, s, ids)],
    )
    await repository.add_deliveries(
        session,
        [
            _delivery_row(e.workspace_id, s, ids, (e.workspace_id, s.contact_id) in erased)
            for e, s, ids, _ in prepared
        ],
    )
    parked: list[ParkedReceipt] = []
    for route in sorted({s.route for _, s, _, _ in prepared}):
        parked += await repository.parked_matching(
            session, route, sorted(key for r, key in taken if r == route)
        )
    receipts: list[tuple[tuple[GatewayInboundV1, ProviderId], CausedBy]] = []
    for envelope, submitted, _, keys in prepared:  # each message's receipts, in their order
        mine = [
            receipt
            for receipt in parked
            if receipt.route == submitted.route
            and (receipt.provider_id_normalised in keys or receipt.provider_id_alternate in keys)
        ]
        receipts += [(r, caused_by_event(envelope)) for r in _unparked(mine)]
    await _apply_receipts(session, outbox, receipts)
    await repository.delete_parked(session, [receipt.id for receipt in parked])


def _submission_rows(
    workspace_id: str, submitted: SmsSubmittedV1, ids: list[ProviderId]
) -> list[dict[str, Any]]:
    return [
        {
            "route": submitted.route,
            "provider_id_normalised": pid.primary,
            "provider_id_alternate": pid.alternate,
            "provider_id": pid.raw,
            "workspace_id": workspace_id,
            "message_id": submitted.message_id,
            "campaign_id": submitted.campaign_id,
            "part_index": index,
            "parts_total": len(ids),
            "submitted_at": submitted.submitted_at,
            "status": "unknown",
            "final": False,
            "error_code": None,
            "reported_at": None,
        }
        for index, pid in enumerate(ids)
    ]


def _delivery_row(
    workspace_id: str, submitted: SmsSubmittedV1, ids: list[ProviderId], erased: bool
) -> dict[str, Any]:
    """The message's delivery row; without its recipient when the contact was erased while
    this submission waited in the backlog."""
    return {
        "message_id": submitted.message_id,
        "workspace_id": workspace_id,
        "campaign_id": submitted.campaign_id,
        "phone": None if erased else submitted.phone,
        "contact_id": None if erased else submitted.contact_id,
        "status": "unknown",
        "final": False,
        "parts_total": len(ids),
        "parts_delivered": 0,
        "parts_reported": 0,
        "error_code": None,
        "updated_at": _now(),
    }


def _unparked(parked: Sequence[ParkedReceipt]) -> list[tuple[GatewayInboundV1, ProviderId]]:
    """Parked receipts as they arrived, with their provider ids (readable: they were)."""
    receipts = []
    for row in parked:
        receipt = GatewayInboundV1.model_validate(row.payload)
        receipts.append((receipt, normalise_provider_id(receipt.provider_message_id or "")))
    return receipts


# ── gateway.inbound: delivery receipts ───────────────────────────────────────
async def record_receipt(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    receipt: GatewayInboundV1,
    event_id: uuid.UUID,
    caused_by: CausedBy,
) -> None:
    """Apply a receipt to its message's part, or park it until the submission is known."""
    pid = _receipt_pid(receipt)
    if pid is None:
        return
    await repository.lock_provider_ids(session, receipt.route, pid.keys)
    if await _apply_receipts(session, outbox, [((receipt, pid), caused_by)]):
        await repository.park(session, _parked_row(workspace_id, event_id, receipt, pid))
        log.info("receipts.parked", route=receipt.route, provider_id=pid.raw)


async def record_receipts(
    session: AsyncSession, outbox: Outbox, events: Sequence[Envelope[Any]]
) -> None:
    """`record_receipt` for a run of delivery receipts, in order: the run's provider ids locked
    at once, the receipts applied together (`_apply_receipts`), the unmatched ones parked."""
    items = [(e, e.payload, pid) for e in events if (pid := _receipt_pid(e.payload)) is not None]
    if not items:
        return
    await repository.lock_route_keys(
        session, {(receipt.route, key) for _, receipt, pid in items for key in pid.keys}
    )
    unmatched = await _apply_receipts(
        session, outbox, [((receipt, pid), caused_by_event(e)) for e, receipt, pid in items]
    )
    parked = []
    for index in unmatched:
        envelope, receipt, pid = items[index]
        parked.append(_parked_row(envelope.workspace_id, envelope.event_id, receipt, pid))
        log.info("receipts.parked", route=receipt.route, provider_id=pid.raw)
    await repository.park_many(session, parked)


async def _apply_receipts(
    session: AsyncSession,
    outbox: Outbox,
    receipts: Sequence[tuple[tuple[GatewayInboundV1, ProviderId], CausedBy]],
) -> list[int]:
    """Apply receipts, in order, to the parts and messages they match, as one by one would:
    the submissions, delivery rows (locked before their parts are read, so two parts'
    receipts handled at once still see each other) and parts read at once, each receipt
    applied in memory, the changes written by one flush and the announcements added
    together. The positions of the receipts no submission matches (yet)."""
    if not receipts:
        return []
    candidates: dict[str, Sequence[Submission]] = {}
    for route in sorted({receipt.route for (receipt, _), _ in receipts}):
        keys = {k for (r, pid), _ in receipts if r.route == route for k in pid.keys}
        candidates[route] = await repository.submissions_matching(session, route, sorted(keys))
    matched = [_best_match(pid, candidates[receipt.route]) for (receipt, pid), _ in receipts]
    # The submission decides the workspace: a bind may carry several workspaces' messages.
    messages = {(part.workspace_id, part.message_id) for part in matched if part is not None}
    records = await repository.lock_deliveries(session, messages)
    parts = await repository.parts_of_messages(session, messages)
    unmatched: list[int] = []
    announcements: list[tuple[str, str, Envelope[Any]]] = []
    for index, (((receipt, _), caused_by), part) in enumerate(zip(receipts, matched, strict=True)):
        if part is None:
            unmatched.append(index)
            continue
        key = (part.workspace_id, part.message_id)
        record = records.get(key)
        if record is None:
            log.error("receipts.delivery_missing", message_id=str(part.message_id))
        elif _receipt_changes(part, record, parts[key], receipt):
            announcements.append(_delivery_event(outbox, record, receipt.received_at, caused_by))
    await repository.flush(session)
    await outbox.add_many(session, announcements)
    return unmatched


def _receipt_pid(receipt: GatewayInboundV1) -> ProviderId | None:
    """The receipt's provider id, or None (logged) when it has none that can be read."""
    if receipt.provider_message_id is not None:
        try:
            return normalise_provider_id(receipt.provider_message_id)
        except InvalidProviderId:
            pass
    log.warning("receipts.receipt_without_id", route=receipt.route)
    return None


def _parked_row(
    workspace_id: str, event_id: uuid.UUID, receipt: GatewayInboundV1, pid: ProviderId
) -> dict[str, Any]:
    return {
        "id": event_id,
        "workspace_id": workspace_id,
        "route": receipt.route,
        "provider_id_normalised": pid.primary,
        "provider_id_alternate": pid.alternate,
        "payload": receipt.model_dump(mode="json"),
        "received_at": receipt.received_at,
    }


def _best_match(pid: ProviderId, candidates: Sequence[Submission]) -> Submission | None:
    ranked = [
        (rank, -part.submitted_at.timestamp(), part)
        for part in candidates
        if (rank := match_rank(pid, part.provider_id_normalised, part.provider_id_alternate))
        is not None
    ]
    if not ranked:
        return None
    return min(ranked, key=lambda item: (item[0], item[1]))[2]


def _receipt_changes(
    part: Submission, record: Delivery, parts: Sequence[Submission], receipt: GatewayInboundV1
) -> bool:
    """Apply the receipt to its part (one of `parts`, the message's) and the message's
    delivery row, in memory; True when the message's status or finality changed."""
    after = delivery.apply_receipt(
        _part_state(part), receipt_status.from_receipt(receipt.receipt_status), receipt.error_code
    )
    if after is None:
        return False
    part.status = after.status
    part.final = after.final
    part.error_code = after.error_code
    part.reported_at = receipt.received_at
    state = delivery.message_state([_part_state(p) for p in parts], record.parts_total)
    changed = (state.status, state.final) != (record.status, record.final)
    record.status = state.status
    record.final = state.final
    record.parts_delivered = state.parts_delivered
    record.parts_reported = state.parts_reported
    record.error_code = state.error_code
    record.updated_at = _now()
    return changed


def _delivery_event(
    outbox: Outbox, record: Delivery, reported_at: datetime, caused_by: CausedBy
) -> tuple[str, str, Envelope[Any]]:
    """`sms.delivered` for the message's status now (logged, the number masked out)."""
    payload = SmsDeliveredV1(
        message_id=record.message_id,
        campaign_id=record.campaign_id,
        phone=record.phone,
        contact_id=record.contact_id,
        status=record.status,
        final=record.final,
        parts_total=record.parts_total,
        parts_reported=record.parts_reported,
        error_code=record.error_code,
        reported_at=reported_at,
    )
    envelope = outbox.envelope(
        SMS_DELIVERED,
        payload,
        workspace_id=record.workspace_id,
        event_id=_event_id(SMS_DELIVERED, record.message_id, record.status, record.final),
        **caused_by,
    )
    log.info(
        "receipts.delivery_changed",
        message_id=str(record.message_id),
        status=record.status,
        final=record.final,
    )
    return SMS_DELIVERED, str(record.message_id), envelope


# ── gateway.inbound: handsets' messages ──────────────────────────────────────
async def record_mobile_originated(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    inbound: GatewayInboundV1,
    event_id: uuid.UUID,
    caused_by: CausedBy,
    default_region: str,
    optout: OptoutSettings | None = None,
) -> None:
    """Store the message and announce it; in the same transaction, what the opt-out engine
    read in it: an opt-out (`optout.received`), a review item, and the one reply due (opt-out
    confirmation or help text, through `sms.requested`)."""
    optout = optout or OptoutSettings()
    try:
        phone = normalise_phone(inbound.source, default_region, missing_plus=True).e164
    except InvalidPhone:
        log.warning(
            "receipts.unusable_sender", route=inbound.route, sender=mask_phone(inbound.source)
        )
        return
    text = inbound.text or ""
    result = evaluate(
        text,
        policy=optout.policy(),
        destination=inbound.destination,
        language_hint=optout.language_hint(phone),
    )
    inbound_id = _event_id("inbound_message", event_id)
    stored = await repository.add_inbound(
        session,
        {
            "id": inbound_id,
            "workspace_id": workspace_id,
            "phone": phone,
            "destination": inbound.destination,
            "text": text,
            "keyword_kind": result.kind,
            "keyword": result.matched,
            "route": inbound.route,
            "received_at": inbound.received_at,
        },
    )
    if not stored:
        return
    review = result.kind == "review"
    covers = result.kind in ("opt_out", "opt_in")
    message = SmsInboundV1(
        inbound_id=inbound_id,
        phone=phone,
        destination=inbound.destination,
        text=text,
        keyword=KeywordKind.NONE if review else KeywordKind(result.kind),
        received_at=inbound.received_at,
        matched=result.matched,
        language=result.language,
        review=review,
        # What a keyword covers, for consent (a START lifts an opt-out of the same scope).
        scope=OptoutScope(result.scope) if covers and result.scope else None,
        brand=result.brand if covers else None,
    )
    rows = [
        (
            SMS_INBOUND,
            phone,
            outbox.envelope(
                SMS_INBOUND,
                message,
                workspace_id=workspace_id,
                event_id=_event_id(SMS_INBOUND, inbound_id),
                **caused_by,
            ),
        )
    ]
    if result.kind == "opt_out":
        source = "phrase" if result.rule == "phrase" else "keyword"
        rows.append(
            _optout_row(
                outbox,
                workspace_id,
                phone,
                result.scope or "global",
                result.brand,
                source,
                result.matched,
                inbound_id,
                inbound.received_at,
                caused_by,
            )
        )
    if review:
        await repository.add_review(
            session,
            {
                "id": inbound_id,
                "workspace_id": workspace_id,
                "phone": phone,
                "matched": result.matched or "",
                "language": result.language,
                "rule": result.rule,
                "scope": result.scope or "global",
                "brand": result.brand or "*",
                "status": "open",
                "received_at": inbound.received_at,
            },
        )
    reply_kind = reply_kind_for(result)
    if reply_kind is not None:
        rows += await _reply(
            session,
            outbox,
            optout,
            workspace_id,
            phone,
            inbound.destination,
            reply_kind,
            result.language,
            inbound_id,
            inbound.received_at,
            caused_by,
        )
    await outbox.add_many(session, rows)
    log.info("receipts.inbound", phone=mask_phone(phone), keyword=result.kind, rule=result.rule)


def _optout_row(
    outbox: Outbox,
    workspace_id: str,
    phone: str,
    scope: str,
    brand: str | None,
    source: str,
    matched: str | None,
    inbound_id: uuid.UUID,
    received_at: datetime,
    caused_by: CausedBy,
) -> tuple[str, str, Envelope[Any]]:
    """`optout.received`; a brand opt-out names its brand, a global one the default brand."""
    brand_scoped = scope == "brand" and brand not in (None, "*")
    optout = OptoutReceivedV1(
        phone=phone,
        scope=OptoutScope.BRAND if brand_scoped else OptoutScope.GLOBAL,
        brand=brand if brand_scoped and brand else DEFAULT_BRAND,
        source=source,
        keyword=matched,
        inbound_id=inbound_id,
        received_at=received_at,
    )
    envelope = outbox.envelope(
        OPTOUT_RECEIVED,
        optout,
        workspace_id=workspace_id,
        event_id=_event_id(OPTOUT_RECEIVED, inbound_id),
        **caused_by,
    )
    return OPTOUT_RECEIVED, phone, envelope


async def _reply(
    session: AsyncSession,
    outbox: Outbox,
    optout: OptoutSettings,
    workspace_id: str,
    phone: str,
    short_code: str,
    kind: ReplyKind,
    language: str | None,
    inbound_id: uuid.UUID,
    at: datetime,
    caused_by: CausedBy,
) -> list[tuple[str, str, Envelope[Any]]]:
    """The one automatic reply, from the short code the handset wrote to, when it is on
    and none of its kind went to the number within the window (`auto_reply`)."""
    enabled = optout.confirm if kind == "optout_confirmation" else optout.help_reply
    if not enabled:
        return []
    window = optout.confirmation_window_s if kind == "optout_confirmation" else optout.help_window_s
    message_id = _event_id("reply", kind, inbound_id)
    claimed = await repository.claim_reply(
        session,
        workspace_id=workspace_id,
        phone=phone,
        kind=kind,
        at=at,
        window=timedelta(seconds=window),
        message_id=message_id,
    )
    if not claimed:
        log.info("receipts.reply_skipped", phone=mask_phone(phone), reply=kind)
        return []
    reply = optout.replies().render(kind, language, optout.brand_name(short_code))
    request = SmsRequestedV1(
        message_id=message_id,
        phone=phone,
        text=reply.text,
        category=Category.TRANSACTIONAL,
        sender=short_code,
        expires_at=at + timedelta(seconds=optout.reply_validity_s),
        priority=SmsPriority.HIGH,
        reply_kind=kind,
        in_reply_to=inbound_id,
    )
    envelope = outbox.envelope(
        SMS_REQUESTED,
        request,
        workspace_id=workspace_id,
        event_id=_event_id(SMS_REQUESTED, message_id),
        **caused_by,
    )
    return [(SMS_REQUESTED, phone, envelope)]


# ── API ──────────────────────────────────────────────────────────────────────
async def get_delivery(
    session: AsyncSession, workspace_id: str, message_id: uuid.UUID
) -> tuple[Delivery, Sequence[Submission]]:
    record = await repository.get_delivery(session, workspace_id, message_id)
    if record is None:
        raise DeliveryNotFound()
    return record, await repository.parts_of(session, workspace_id, message_id)


async def list_inbound(
    session: AsyncSession,
    workspace_id: str,
    raw_phone: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
    default_region: str,
) -> Sequence[InboundMessage]:
    phone = None
    if raw_phone is not None:
        try:
            phone = normalise_phone(raw_phone, default_region, missing_plus=True).e164
        except InvalidPhone as error:
            raise Unprocessable(f"phone: {error}") from error
    return await repository.inbound_page(session, workspace_id, phone, before, limit)


async def list_reviews(
    session: AsyncSession,
    workspace_id: str,
    status: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[tuple[OptoutReview, InboundMessage]]:
    return await repository.reviews_page(session, workspace_id, status, before, limit)


async def resolve_review(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    review_id: uuid.UUID,
    decision: Literal["opt_out", "dismiss"],
    resolved_by: str,
    optout: OptoutSettings,
) -> tuple[OptoutReview, InboundMessage]:
    """A person's decision on a queued message. `opt_out` announces the opt-out (source
    `review`, dated when the handset sent it) and the confirmation, as a keyword would;
    the same decision again changes nothing; the other decision afterwards is a conflict."""
    found = await repository.lock_review(session, workspace_id, review_id)
    if found is None:
        raise ReviewNotFound()
    review, message = found
    target = "opted_out" if decision == "opt_out" else "dismissed"
    if review.status == target:
        return review, message
    if review.status != "open":
        raise ReviewAlreadyResolved(review.status)
    now = _now()
    review.status, review.resolved_at, review.resolved_by = target, now, resolved_by
    await repository.flush(session)
    if decision == "opt_out":
        caused_by: CausedBy = {}
        rows = [
            _optout_row(
                outbox,
                workspace_id,
                review.phone,
                review.scope,
                review.brand,
                "review",
                review.matched,
                review.id,
                message.received_at,
                caused_by,
            )
        ]
        rows += await _reply(
            session,
            outbox,
            optout,
            workspace_id,
            review.phone,
            message.destination,
            "optout_confirmation",
            review.language,
            review.id,
            now,
            caused_by,
        )
        await outbox.add_many(session, rows)
    log.info("receipts.review_resolved", phone=mask_phone(review.phone), decision=decision)
    return review, message
