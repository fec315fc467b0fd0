"""What the final gate must know about erasures, for one claimed batch.

Two facts, read in the claim's own transaction: which messages name an erased contact (a
request that was still on its way when the contact was erased: suppressed
`contact_erased`, then scrubbed), and which numbers have opt-outs kept from an erasure
(found by the number's keyed pseudonym, laid over the consent projection).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from herald_compliance.pseudonyms import phone_pseudonym
from herald_dispatcher import repository
from herald_dispatcher.domain.erasure import with_kept_optouts

PhoneKey = tuple[str, str]  # (workspace_id, phone)
Statuses = dict[tuple[str, str], str]  # (purpose, brand) -> status


@dataclass(frozen=True)
class ErasedFacts:
    contacts: set[tuple[str, uuid.UUID]] = field(default_factory=set)
    optouts: dict[PhoneKey, list[tuple[str, str, datetime]]] = field(default_factory=dict)

    def names_erased_contact(self, message: Any) -> bool:
        return (message.workspace_id, message.contact_id) in self.contacts

    def consent_with_kept_optouts(
        self, consents: dict[PhoneKey, Statuses], rows: Sequence[Any]
    ) -> dict[PhoneKey, Statuses]:
        """`consents` (from the projection `rows`) with every kept opt-out that applies."""
        if not self.optouts:
            return consents
        updated: dict[PhoneKey, dict[tuple[str, str], datetime]] = defaultdict(dict)
        for row in rows:
            updated[(row.workspace_id, row.phone)][(row.purpose, row.brand)] = row.updated_at
        merged = dict(consents)
        for phone_key, kept in self.optouts.items():
            merged[phone_key] = with_kept_optouts(
                consents.get(phone_key, {}), updated.get(phone_key, {}), kept
            )
        return merged


async def erased_facts(
    session: AsyncSession, messages: Sequence[Any], erasure_key: bytes
) -> ErasedFacts:
    """The erasure facts of claimed `messages` (rows with workspace_id, phone, contact_id)."""
    pseudonyms = {
        (m.workspace_id, m.phone): phone_pseudonym(erasure_key, m.workspace_id, m.phone)
        for m in messages
    }
    by_pseudonym: dict[PhoneKey, list[tuple[str, str, datetime]]] = defaultdict(list)
    kept = await repository.erased_optouts(
        session, {(workspace, p) for (workspace, _), p in pseudonyms.items()}
    )
    for row in kept:
        by_pseudonym[(row.workspace_id, row.phone_pseudonym)].append(
            (row.purpose, row.brand, row.updated_at)
        )
    optouts = {
        phone_key: by_pseudonym[(phone_key[0], pseudonym)]
        for phone_key, pseudonym in pseudonyms.items()
        if (phone_key[0], pseudonym) in by_pseudonym
    }
    contacts = await repository.erased_contacts(
        session, {(m.workspace_id, m.contact_id) for m in messages if m.contact_id is not None}
    )
    return ErasedFacts(contacts, optouts)
