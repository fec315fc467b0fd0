"""Appending to the hash-chained ledger, and proving it (the maths: domain/chain.py).

`append_entry` is the one way an entry enters the ledger (opt-ins, opt-outs, imports, and
double opt-in confirmations): it locks the workspace's chain head, so appends take turns per
workspace and a transaction that appends many entries (a batch of `consent.declared`) locks
once and keeps their order; it takes the time after the lock, so seq order is time order.

The hash covers the number's keyed pseudonym and a keyed digest of IP address and user
agent, never the values themselves: the erasure (herald_consent.erasure) swaps the number
for that very pseudonym and drops those fields, and every entry still verifies. The key is
the erasure key (HERALD_CONSENT_ERASURE__KEY), so verifying needs it too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from herald_compliance.pseudonyms import is_pseudonym
from herald_consent import repository
from herald_consent.domain import chain
from herald_consent.domain.ledger import Action, Purpose
from herald_consent.models import ConsentEntry
from herald_consent.settings import get_erasure_settings

SMS: Final = "sms"
STREAM_BATCH: Final = 1000


def erasure_key() -> bytes:
    return get_erasure_settings().erasure.key.get_secret_value().encode()


@dataclass(frozen=True)
class NewEntry:
    """An entry to append: what happened, and who recorded it (`api_key:<id>`,
    `system:<service>`)."""

    workspace_id: str
    phone: str
    purpose: Purpose
    brand: str
    action: Action
    source: str
    evidence: dict[str, Any]
    recorded_by: str
    channel: str = SMS


def link_of(entry: ConsentEntry, key: bytes) -> chain.Link:
    kept, _ = chain.split_evidence(entry.evidence)
    return chain.Link(
        id=entry.id,
        workspace_id=entry.workspace_id,
        seq=entry.seq,
        subject=chain.subject_of(key, entry.workspace_id, entry.phone),
        channel=entry.channel,
        purpose=entry.purpose,
        brand=entry.brand,
        action=entry.action,
        source=entry.source,
        recorded_by=entry.recorded_by,
        created_at=entry.created_at,
        evidence=kept,
        identifying_digest=entry.identifying_digest,
        previous_hash=entry.previous_hash,
    )


def stored_of(entry: ConsentEntry, key: bytes) -> chain.Stored:
    """The entry as the chain sees it. Its IP address and user agent must match the digest
    the hash covers; an erased entry no longer has them, and is trusted on the digest."""
    _, identifying = chain.split_evidence(entry.evidence)
    present = any(value is not None for value in identifying.values())
    problem = None
    if present or not is_pseudonym(entry.phone):
        digest = chain.identifying_digest(key, entry.workspace_id, entry.id, identifying)
        if digest != entry.identifying_digest:
            problem = chain.Break(
                entry.seq,
                entry.id,
                "identifying_digest",
                digest or "null",
                entry.identifying_digest or "null",
            )
    return chain.Stored(link_of(entry, key), entry.hash, problem)


async def append_entry(session: AsyncSession, new: NewEntry) -> ConsentEntry:
    """Append one entry at the end of its workspace's chain (never commits)."""
    (entry,) = await append_entries(session, [new])
    return entry


async def append_entries(session: AsyncSession, news: Sequence[NewEntry]) -> list[ConsentEntry]:
    """Append entries of one workspace at the end of its chain, in order: one lock and one
    statement however many (a run of an import's `consent.declared`). Never commits."""
    if not news:
        return []
    workspace_id = news[0].workspace_id
    if any(new.workspace_id != workspace_id for new in news):
        raise ValueError("entries appended together belong to one workspace")
    key = erasure_key()
    head = await repository.lock_chain_head(session, workspace_id, datetime.now(UTC))
    now = datetime.now(UTC)
    entries: list[ConsentEntry] = []
    seq, previous_hash = head.seq, head.hash
    for new in news:
        seq += 1
        entry = _chained(new, key, seq, previous_hash, now)
        previous_hash = entry.hash
        entries.append(entry)
    await repository.append_chained_entries(session, entries)
    return entries


def _chained(
    new: NewEntry, key: bytes, seq: int, previous_hash: str, now: datetime
) -> ConsentEntry:
    entry_id = uuid.uuid4()
    _, identifying = chain.split_evidence(new.evidence)
    entry = ConsentEntry(
        id=entry_id,
        workspace_id=new.workspace_id,
        phone=new.phone,
        purpose=new.purpose,
        brand=new.brand,
        action=new.action,
        source=new.source,
        evidence=new.evidence,
        created_at=now,
        channel=new.channel,
        recorded_by=new.recorded_by,
        seq=seq,
        identifying_digest=chain.identifying_digest(key, new.workspace_id, entry_id, identifying),
        previous_hash=previous_hash,
    )
    entry.hash = chain.entry_hash(link_of(entry, key))
    return entry


@dataclass(frozen=True)
class Verification:
    """A workspace's whole chain walked: how far, where it ends, and its first break."""

    workspace_id: str
    entries_checked: int
    head: chain.Head | None
    broken: chain.Break | None

    @property
    def valid(self) -> bool:
        return self.broken is None

    def describe(self) -> str:
        if self.broken is None:
            head = self.head or chain.Head(0, chain.GENESIS)
            return (
                f"{self.workspace_id}: ok, {self.entries_checked} entries, "
                f"head seq {head.seq} hash {head.hash}"
            )
        return f"{self.workspace_id}: BROKEN at {self.broken.describe()}"


async def verify_workspace(session: AsyncSession, workspace_id: str) -> Verification:
    """Walk the workspace's chain from seq 1 to its head, streaming (constant memory)."""
    key = erasure_key()
    head = await repository.chain_head(session, workspace_id)
    walker = chain.Walker()
    up_to = head.seq if head else None
    query = repository.chain_entries(workspace_id, up_to).execution_options(yield_per=STREAM_BATCH)
    result = await session.stream_scalars(query)
    async for entry in result:
        broken = walker.feed(stored_of(entry, key))
        session.expunge(entry)  # constant memory: the identity map does not keep the walk
        if broken is not None:
            break
    await result.close()
    broken = walker.finish(head)
    return Verification(workspace_id, walker.checked, head, broken)


async def verify_ledger(
    session: AsyncSession, workspace_id: str | None = None
) -> list[Verification]:
    """One workspace's chain, or every workspace's."""
    workspaces = [workspace_id] if workspace_id else await repository.chained_workspaces(session)
    return [await verify_workspace(session, ws) for ws in workspaces]


@dataclass(frozen=True)
class EntriesVerification:
    """Some entries of a chain (one number's), each checked with its neighbours: its hash
    recomputes, it links to the entry before it, and the entry after it (or the head)
    links to it."""

    head: chain.Head
    problems: list[chain.Break] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


async def verify_entries(
    session: AsyncSession, workspace_id: str, entries: Sequence[ConsentEntry]
) -> EntriesVerification:
    key = erasure_key()
    head = await repository.chain_head(session, workspace_id) or chain.Head(0, chain.GENESIS)
    # The entry before each one, and the one after it up to the head read first (entries
    # appended since are not part of this check).
    around = {e.seq - 1 for e in entries if e.seq > 1} | {
        e.seq + 1 for e in entries if e.seq < head.seq
    }
    links = await repository.links_at(session, workspace_id, sorted(around))
    problems: dict[tuple[int, str], chain.Break] = {}
    for entry in entries:
        missing = sorted(around & {entry.seq - 1, entry.seq + 1} - set(links))
        for seq in missing:  # a neighbour removed: one problem per missing position
            problems.setdefault((seq, "seq"), _missing(seq))
        if missing:
            continue
        before = links.get(entry.seq - 1)
        previous = before[1] if before else chain.GENESIS
        broken = chain.check_entry(stored_of(entry, key), previous)
        if broken is None:
            broken = _next_links_to(entry, links, head)
        if broken is not None:
            problems.setdefault((broken.seq, broken.field), broken)
    return EntriesVerification(head, sorted(problems.values(), key=lambda b: b.seq))


def _missing(seq: int) -> chain.Break:
    return chain.Break(seq, None, "seq", f"an entry at seq {seq}", "none")


def _next_links_to(
    entry: ConsentEntry, links: dict[int, tuple[str, str]], head: chain.Head
) -> chain.Break | None:
    """What comes after the entry must quote its hash: the next entry, or else the head."""
    if entry.seq + 1 in links:
        quoted = links[entry.seq + 1][0]
        if quoted != entry.hash:
            return chain.Break(entry.seq + 1, None, "previous_hash", entry.hash, quoted)
        return None
    if head != chain.Head(entry.seq, entry.hash):
        return chain.Break(
            entry.seq,
            entry.id,
            "head",
            f"seq {entry.seq} hash {entry.hash}",
            f"seq {head.seq} hash {head.hash}",
        )
    return None
