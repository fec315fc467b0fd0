"""Erasure in the consent service: keep only what proves, and keeps honouring, an opt-out.

On `contact.erased` (GDPR Art. 17) the number is replaced, in the ledger and in the states,
by its keyed pseudonym (HMAC-SHA256 under `HERALD_CONSENT_ERASURE__KEY`,
herald_compliance.pseudonyms), and the evidence fields that identify the person (IP address,
user agent) are dropped; the wording, the source and the dates stay, as proof of what was
asked and answered (Art. 17(3)(b) and (e)). Opt-out states are kept under the pseudonym so
that the opt-out is still honoured (Art. 21(3)); opt-in states are dropped: a number that
comes back must be asked again. Idempotency answers quoting the number are deleted, and so
are its double opt-in requests, pending or answered (a confirmed one's evidence is in the
ledger entry it wrote).

The ledger's trigger refuses every UPDATE and DELETE; the migration c1a2 opens exactly one
path, the SECURITY DEFINER function `consent_entry_pseudonymise`, which may only swap the
number for a pseudonym and remove evidence fields. The hash chain survives it: entry hashes
cover the number's pseudonym and a digest of the dropped fields (herald_consent.chain).

When the number comes back (any new ledger entry for it), `restore_erased_states` gives it
its opt-outs back first, so the usual rules apply as if it had never been erased: it stays
opted out until an opt-in with evidence, and look-ups find the pseudonymised states and
entries too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from herald_compliance.pseudonyms import phone_pseudonym
from herald_consent import repository
from herald_consent.domain.chain import IDENTIFYING_EVIDENCE
from herald_consent.domain.ledger import Status
from herald_consent.models import ConsentEntry, ConsentState
from herald_consent.settings import get_erasure_settings
from herald_kit.logs import get_logger, mask_phone

OPTED_IN: Final[Status] = "opted_in"

log = get_logger(__name__)


def pseudonym_of(workspace_id: str, phone: str) -> str:
    key = get_erasure_settings().erasure.key.get_secret_value().encode()
    return phone_pseudonym(key, workspace_id, phone)


@dataclass(frozen=True)
class Forgotten:
    entries_pseudonymised: int
    opt_outs_kept: int
    opt_ins_dropped: int
    requests_deleted: int
    double_opt_ins_deleted: int


async def forget_number(session: AsyncSession, workspace_id: str, phone: str) -> Forgotten:
    """Pseudonymise the number's ledger and opt-outs, drop the rest (idempotent)."""
    pseudonym = pseudonym_of(workspace_id, phone)
    entries = await repository.pseudonymise_entries(
        session, workspace_id, phone, pseudonym, IDENTIFYING_EVIDENCE
    )
    await repository.drop_superseded_erased_states(session, workspace_id, phone, pseudonym)
    opt_ins = await repository.delete_states(session, workspace_id, phone, OPTED_IN)
    opt_outs = await repository.rename_states(session, workspace_id, phone, pseudonym)
    requests = await repository.delete_requests_naming(session, workspace_id, phone)
    double_opt_ins = await repository.delete_requests_of(session, workspace_id, phone)
    forgotten = Forgotten(entries, opt_outs, opt_ins, requests, double_opt_ins)
    log.info(
        "consent.erased",
        phone=mask_phone(phone),
        entries_pseudonymised=entries,
        opt_outs_kept=opt_outs,
        opt_ins_dropped=opt_ins,
        requests_deleted=requests,
        double_opt_ins_deleted=double_opt_ins,
    )
    return forgotten


async def restore_erased_states(session: AsyncSession, workspace_id: str, phone: str) -> int:
    """The number is back: its pseudonymised states become its own again (a state it has
    got since wins). Call before writing any ledger entry for the number."""
    pseudonym = pseudonym_of(workspace_id, phone)
    restored = await repository.rename_states(session, workspace_id, pseudonym, phone)
    await repository.delete_all_states(session, workspace_id, pseudonym)
    if restored:
        log.info("consent.erased_states_restored", phone=mask_phone(phone), states=restored)
    return restored


async def erased_states(
    session: AsyncSession, workspace_id: str, phone: str
) -> Sequence[ConsentState]:
    """The states kept under the number's pseudonym (opt-outs of an erased contact)."""
    return await repository.states_of(session, workspace_id, pseudonym_of(workspace_id, phone))


async def erased_entries(
    session: AsyncSession, workspace_id: str, phone: str
) -> Sequence[ConsentEntry]:
    """The ledger entries written before the number was erased, oldest first."""
    return await repository.entries_of(session, workspace_id, pseudonym_of(workspace_id, phone))
