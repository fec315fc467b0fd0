"""Double opt-in: a request, a confirmation SMS, and an opt-in only once the handset answers.

`request_double_opt_in` stores the request with its evidence (what the person saw, where,
IP address, user agent) and, in the same transaction, `sms.requested` (transactional,
`reply_kind` `double_opt_in`, from the workspace's short code, no marketing in it); a newer
request for the same number, purpose and brand supersedes a pending one. The request is
confirmed by

- a reply (`sms.inbound` from that number) that is a "yes" (domain/double_opt_in.py): it
  confirms the number's newest pending request made before the reply, if the reply came
  before its expiry; anything else is ignored (logged, number masked);
- the link in the SMS (when `link_base_url` is set): a single-use, unguessable token (only
  its SHA-256 is stored) that proves the link reached the handset.

Confirming appends an opt-in entry with source `double_opt_in` to the chained ledger
(service.apply_entry, so the state and `consent.changed` move as for any opt-in), carrying
the request's evidence and the confirmation's: the reply's inbound id and word, or the
link's time, IP address and user agent (`confirmation_ip`/`confirmation_user_agent`: hashed
by digest and dropped by erasure like the request's). The request row is locked while it
is confirmed, so a reply and a link cannot both confirm it.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from herald_consent import repository, service
from herald_consent.domain import double_opt_in as rules
from herald_consent.domain import ledger
from herald_consent.errors import ConfirmationGone, ConfirmationUsed, DoubleOptInNotFound
from herald_consent.models import DoubleOptInRequest
from herald_consent.schemas import DoubleOptInCreate, DoubleOptInRead
from herald_consent.settings import DoubleOptInSettings
from herald_events.models.campaigns import SmsPriority, SmsRequestedV1
from herald_events.models.common import Category
from herald_events.models.receipts import SmsInboundV1
from herald_kit.logs import get_logger, mask_phone
from herald_kit.outbox import Outbox

SMS_REQUESTED: Final = "sms.requested"
REPLY_KIND: Final = "double_opt_in"
SOURCE: Final = "double_opt_in"
TOKEN_BYTES: Final = 18  # 144 random bits, 24 characters in the link
CONFIRM_PATH: Final = "/v1/consents/double-opt-in/{token}/confirm"

log = get_logger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def confirm_link(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + CONFIRM_PATH.format(token=token)


async def request_double_opt_in(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    data: DoubleOptInCreate,
    default_region: str,
    key_id: str,
    config: DoubleOptInSettings,
) -> DoubleOptInRequest:
    """Store the pending request and stage its confirmation SMS (never commits)."""
    phone = service.parse_phone(data.phone, default_region)
    purpose = ledger.purpose_of(data.purpose.value)
    templates = config.templates()
    language = templates.language(data.language)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = confirm_link(config.link_base_url, token) if config.link_base_url else None
    text = templates.render(language, config.brand_name(data.brand), link)
    now = _now()
    superseded = await repository.supersede_pending_requests(
        session, workspace_id, phone, purpose, data.brand
    )
    request = DoubleOptInRequest(
        id=uuid.uuid4(),
        workspace_id=workspace_id,
        phone=phone,
        purpose=purpose,
        brand=data.brand,
        language=language,
        evidence={
            **data.evidence.model_dump(mode="json"),
            "requested_via": data.source.value,
        },
        requested_by=service.api_recorder(key_id),
        token_hash=rules.token_hash(token),
        message_id=uuid.uuid4(),
        sender=config.sender_for(workspace_id),
        text=text.replace(token, "{token}"),  # what was sent, without the credential
        status=rules.PENDING,
        created_at=now,
        expires_at=rules.expires_at(now, config.expiry_s),
    )
    repository.add_request(session, request)
    sms = SmsRequestedV1(
        message_id=request.message_id,
        phone=phone,
        text=text,
        category=Category.TRANSACTIONAL,
        brand=data.brand,
        sender=request.sender,
        expires_at=request.expires_at,
        priority=SmsPriority.HIGH,
        reply_kind=REPLY_KIND,
    )
    envelope = outbox.envelope(SMS_REQUESTED, sms, workspace_id=workspace_id)
    await outbox.add(session, SMS_REQUESTED, phone, envelope)
    log.info(
        "consent.double_opt_in_requested",
        request_id=str(request.id),
        phone=mask_phone(phone),
        purpose=purpose,
        brand=data.brand,
        superseded=superseded,
    )
    return request


async def confirm_by_reply(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    inbound: SmsInboundV1,
    event_id: uuid.UUID,
    caused_by: dict[str, uuid.UUID | None],
) -> service.Applied | None:
    """A handset's ordinary message: the opt-in when it confirms a pending request."""
    word = rules.confirmation_of(inbound.text)
    if word is None:
        return None
    request = await repository.lock_latest_pending_request(
        session, workspace_id, inbound.phone, inbound.received_at
    )
    if request is None:
        _ignored(inbound.phone, "no pending request")
        return None
    if not rules.accepts(request.created_at, request.expires_at, inbound.received_at):
        _ignored(inbound.phone, "expired", request.id)
        return None
    confirmation: dict[str, Any] = {
        "confirmed_by": "reply",
        "confirmed_at": inbound.received_at.isoformat(),
        "inbound_id": str(inbound.inbound_id),
        "reply": word,
        "reply_to": inbound.destination,
        "event_id": str(event_id),
    }
    return await _confirm(session, outbox, request, confirmation, caused_by)


async def confirm_by_link(
    session: AsyncSession,
    outbox: Outbox,
    token: str,
    ip: str | None,
    user_agent: str | None,
) -> tuple[DoubleOptInRequest, service.Applied]:
    """The link in the SMS was opened: 404 unknown, 409 used, 410 expired or replaced."""
    request = await repository.lock_request_by_token(session, rules.token_hash(token))
    if request is None:
        raise DoubleOptInNotFound("confirmation link")
    now = _now()
    shown = rules.shown_status(request.status, request.expires_at, now)
    if shown == rules.CONFIRMED:
        raise ConfirmationUsed()
    if shown == rules.SUPERSEDED:
        raise ConfirmationGone(
            "this confirmation link was replaced by a newer request: use the last SMS received"
        )
    if shown == rules.EXPIRED:
        raise ConfirmationGone(
            f"this confirmation link expired at {request.expires_at.isoformat()}: "
            "nothing was recorded, ask for a new confirmation"
        )
    confirmation: dict[str, Any] = {
        "confirmed_by": "link",
        "confirmed_at": now.isoformat(),
        "confirmation_ip": ip,
        "confirmation_user_agent": user_agent,
    }
    return request, await _confirm(session, outbox, request, confirmation, None)


async def _confirm(
    session: AsyncSession,
    outbox: Outbox,
    request: DoubleOptInRequest,
    confirmation: dict[str, Any],
    caused_by: dict[str, uuid.UUID | None] | None,
) -> service.Applied:
    evidence = {
        **request.evidence,
        "double_opt_in_request_id": str(request.id),
        "requested_at": request.created_at.isoformat(),
        "confirmation_message_id": str(request.message_id),
        "confirmation_sender": request.sender,
        "confirmation_text": request.text,
        "confirmation_language": request.language,
        **confirmation,
    }
    applied = await service.apply_entry(
        session,
        outbox,
        workspace_id=request.workspace_id,
        phone=request.phone,
        purpose=ledger.purpose_of(request.purpose),
        brand=request.brand,
        action="opt_in",
        source=SOURCE,
        evidence=evidence,
        recorded_by=request.requested_by,
        caused_by=caused_by,
    )
    request.status = rules.CONFIRMED
    request.confirmed_at = applied.entry.created_at
    request.confirmation = confirmation
    request.ledger_entry_id = applied.entry.id
    await session.flush()
    log.info(
        "consent.double_opt_in_confirmed",
        request_id=str(request.id),
        phone=mask_phone(request.phone),
        by=confirmation["confirmed_by"],
        changed=applied.changed,
    )
    return applied


def _ignored(phone: str, reason: str, request_id: uuid.UUID | None = None) -> None:
    log.info(
        "consent.double_opt_in_reply_ignored",
        phone=mask_phone(phone),
        reason=reason,
        request_id=str(request_id) if request_id else None,
    )


async def get_request(
    session: AsyncSession, workspace_id: str, request_id: uuid.UUID
) -> DoubleOptInRead:
    request = await repository.get_request(session, workspace_id, request_id)
    if request is None:
        raise DoubleOptInNotFound()
    return read_model(request, _now())


def read_model(request: DoubleOptInRequest, now: datetime) -> DoubleOptInRead:
    confirmed_by = (request.confirmation or {}).get("confirmed_by")
    return DoubleOptInRead(
        id=request.id,
        phone=request.phone,
        purpose=request.purpose,
        brand=request.brand,
        language=request.language,
        status=rules.shown_status(request.status, request.expires_at, now),
        requested_at=request.created_at,
        expires_at=request.expires_at,
        confirmed_at=request.confirmed_at,
        confirmed_by=confirmed_by,
        ledger_entry_id=request.ledger_entry_id,
        message_id=request.message_id,
        sender=request.sender,
    )
