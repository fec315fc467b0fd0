"""Erasure in the campaigns service: forget the number's consent projection rows.

That projection is the only place campaigns keeps a phone number. Dropping it is safe for
an opted-out number: without a row, expansion no longer counts the number as opted in, and
the dispatcher, which keeps opt-outs of erased numbers under a keyed pseudonym, stops any
message that still names it. Campaigns themselves hold no personal data (templates, filters,
counts), and the expansion cursor is a contact id that no longer resolves.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from herald_campaigns import repository
from herald_kit.logs import get_logger, mask_phone

log = get_logger(__name__)


async def forget_number(session: AsyncSession, workspace_id: str, phone: str) -> int:
    """Delete the number's consent projection rows; how many there were."""
    deleted = await repository.delete_consent_of(session, workspace_id, phone)
    log.info("campaigns.erased", phone=mask_phone(phone), consent_rows_deleted=deleted)
    return deleted
