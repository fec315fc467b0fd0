"""`/v1/consents/double-opt-in`: ask a number to confirm, follow the request, confirm by link.

The confirmation link is the one public route of the service: the person opening it has no
API key, and the single-use token in it is the credential (it names its request, whatever
the workspace). Every other route takes a key with the usual scopes.
"""

from __future__ import annotations

import html
import uuid
from typing import Annotated, Final

from fastapi import APIRouter, Header, Path, Request, status
from fastapi.responses import HTMLResponse

from herald_consent import double_opt_in
from herald_consent.api.deps import ConsentReader, ConsentWriter
from herald_consent.schemas import DoubleOptInCreate, DoubleOptInRead
from herald_consent.settings import get_settings
from herald_kit.app import OutboxDep, SessionDep
from herald_kit.idempotency import IdempotencyKey, answer_once

router = APIRouter(prefix="/v1/consents/double-opt-in", tags=["double opt-in"])

CONFIRMED_PAGE: Final = {
    "fr": ("Inscription confirmée", "Merci : votre inscription aux SMS de {brand} est confirmée."),
    "en": ("Subscription confirmed", "Thank you: your subscription to {brand} texts is confirmed."),
}
Token = Annotated[str, Path(min_length=16, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


@router.post("", status_code=status.HTTP_201_CREATED)
async def request_double_opt_in(
    body: DoubleOptInCreate,
    principal: ConsentWriter,
    session: SessionDep,
    outbox: OutboxDep,
    idempotency_key: IdempotencyKey = None,
) -> DoubleOptInRead:
    """Store a pending request with its evidence and send the confirmation SMS (transactional,
    from the workspace's short code). Nothing is recorded in the ledger until the handset
    replies OUI / YES or opens the link; the request expires otherwise."""
    workspace = principal.workspace_id
    settings = get_settings()

    async def create() -> DoubleOptInRead:
        request = await double_opt_in.request_double_opt_in(
            session,
            outbox,
            workspace,
            body,
            settings.default_region,
            principal.key_id,
            settings.double_opt_in,
        )
        return double_opt_in.read_model(request, request.created_at)

    return await answer_once(
        session,
        workspace,
        idempotency_key,
        "POST /v1/consents/double-opt-in",
        body,
        DoubleOptInRead,
        create,
    )


@router.get("/{request_id}")
async def get_double_opt_in(
    request_id: uuid.UUID, principal: ConsentReader, session: SessionDep
) -> DoubleOptInRead:
    """A request's status: pending, confirmed (how and when, and its ledger entry), expired
    or superseded."""
    return await double_opt_in.get_request(session, principal.workspace_id, request_id)


@router.get(
    "/{token}/confirm",
    response_model=DoubleOptInRead,
    responses={
        200: {"content": {"text/html": {}}},
        404: {"description": "unknown link"},
        409: {"description": "link already used"},
        410: {"description": "link expired, or replaced by a newer request"},
    },
)
async def confirm_by_link(
    token: Token,
    request: Request,
    session: SessionDep,
    outbox: OutboxDep,
    user_agent: Annotated[str | None, Header()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> DoubleOptInRead | HTMLResponse:
    """Public (no API key): the link sent in the confirmation SMS. Records the opt-in with
    the request's evidence and this browser's IP address and user agent; single use. A
    browser gets a short page in the request's language, other clients JSON."""
    ip = request.client.host if request.client else None
    found, applied = await double_opt_in.confirm_by_link(
        session, outbox, token, ip, user_agent[:1000] if user_agent else None
    )
    read = double_opt_in.read_model(found, applied.entry.created_at)
    if accept and "text/html" in accept:
        title, line = CONFIRMED_PAGE.get(found.language, CONFIRMED_PAGE["fr"])
        brand = get_settings().double_opt_in.brand_name(found.brand)
        text = html.escape(line.format(brand=brand))
        page = (
            f'<!doctype html><html lang="{found.language}"><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><p>{text}</p></html>"
        )
        return HTMLResponse(page, headers={"Content-Language": found.language})
    return read
