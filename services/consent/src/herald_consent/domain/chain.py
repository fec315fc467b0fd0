"""The hash chain of the consent ledger: canonical serialisation, hashes, verification.

Pure: no IO, no settings. One chain per workspace: entry `seq` n (1, 2, 3...) stores
`previous_hash` = the `hash` of entry n-1 (`GENESIS` for n = 1) and
`hash` = SHA-256 (lowercase hex) of `canonical(link)`, which ends with `previous_hash`, so
changing, removing or reordering any entry breaks every link after it.

Why per workspace and not per (workspace, phone): one chain proves the whole ledger of a
customer, a deleted entry shows as a gap in one sequence (a per-phone chain loses whole
chains silently when every entry of a number goes), and one head row per workspace is what
appends lock (see herald_consent.chain).

Canonical serialisation, version `herald.consent-ledger.v1`: the UTF-8 bytes of a JSON
array, no whitespace (separators "," and ":"), non-ASCII characters written as themselves
(not escaped), objects with their keys sorted, in this order:

     0  "herald.consent-ledger.v1"
     1  id                   entry UUID, lowercase, hyphenated
     2  workspace_id
     3  seq                  integer, 1-based position in the workspace's chain
     4  subject              the number's keyed pseudonym `hmac-sha256:<hex>` (never the
                             number itself: erasure swaps the number for exactly this
                             pseudonym, so the hash input does not change)
     5  channel              "sms"
     6  purpose              "marketing" | "transactional"
     7  brand                brand or program; "*" = every brand
     8  action               "opt_in" | "opt_out"
     9  source               web_form, keyword, import, api, double_opt_in...
    10  recorded_by          who wrote it: "api_key:<key id>", "system:<producer>"
    11  created_at           UTC, "YYYY-MM-DDTHH:MM:SS.ffffffZ" (always 6 digits)
    12  evidence             the evidence object without its identifying fields (ip,
                             user_agent, confirmation_ip, confirmation_user_agent):
                             strings, integers, booleans, null, and nested arrays/objects
                             of them; floats are refused (JSONB would not give them back
                             byte for byte)
    13  identifying_digest   keyed digest of the identifying fields, or null when none
                             (erasure drops those fields but keeps this digest)
    14  previous_hash        64 lowercase hex
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from herald_compliance.pseudonyms import PREFIX, is_pseudonym, phone_pseudonym

VERSION: Final = "herald.consent-ledger.v1"
GENESIS: Final = "0" * 64
# Evidence fields that identify the person: erasure drops them, so the hash covers their
# keyed digest instead (herald_consent.erasure).
# A double opt-in confirmed by its link adds the browser's: `confirmation_ip` and
# `confirmation_user_agent` (entries without them hash exactly as before).
IDENTIFYING_EVIDENCE: Final[tuple[str, ...]] = (
    "ip",
    "user_agent",
    "confirmation_ip",
    "confirmation_user_agent",
)


@dataclass(frozen=True)
class Link:
    """What the hash of one entry covers."""

    id: uuid.UUID
    workspace_id: str
    seq: int
    subject: str
    channel: str
    purpose: str
    brand: str
    action: str
    source: str
    recorded_by: str
    created_at: datetime
    evidence: Mapping[str, Any]
    identifying_digest: str | None
    previous_hash: str


def utc_timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("ledger timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_json(value: Any, where: str) -> None:
    """Only values JSONB gives back exactly as they went in."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: keys must be strings")
            _check_json(item, f"{where}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]")
        return
    raise ValueError(f"{where}: {type(value).__name__} cannot be hashed canonically")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8, no NaN: the same value gives the same bytes."""
    _check_json(value, "value")
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def canonical(link: Link) -> bytes:
    """The bytes hashed for one entry (field order in the module docstring)."""
    return canonical_json(
        [
            VERSION,
            str(link.id),
            link.workspace_id,
            link.seq,
            link.subject,
            link.channel,
            link.purpose,
            link.brand,
            link.action,
            link.source,
            link.recorded_by,
            utc_timestamp(link.created_at),
            dict(link.evidence),
            link.identifying_digest,
            link.previous_hash,
        ]
    )


def entry_hash(link: Link) -> str:
    return hashlib.sha256(canonical(link)).hexdigest()


@dataclass(frozen=True)
class Stored:
    """An entry as read back: what its hash should cover, and the hash stored with it."""

    link: Link
    hash: str
    problem: Break | None = None  # found while building the link (e.g. identifying fields)


@dataclass(frozen=True)
class Break:
    """The first place where the chain does not hold."""

    seq: int
    entry_id: uuid.UUID | None
    field: str  # seq | previous_hash | hash | head | identifying_digest
    expected: str
    found: str

    def describe(self) -> str:
        where = f"entry {self.entry_id} (seq {self.seq})" if self.entry_id else f"seq {self.seq}"
        return f"{where}: {self.field} expected {self.expected}, found {self.found}"


@dataclass(frozen=True)
class Head:
    """The workspace's chain head: the last seq and hash appended."""

    seq: int
    hash: str


def check_entry(entry: Stored, previous_hash: str | None) -> Break | None:
    """One entry on its own: its hash recomputes, and it links to `previous_hash` (the hash
    of the entry before it, when known)."""
    link = entry.link
    if entry.problem is not None:
        return entry.problem
    if previous_hash is not None and link.previous_hash != previous_hash:
        return Break(link.seq, link.id, "previous_hash", previous_hash, link.previous_hash)
    recomputed = entry_hash(link)
    if recomputed != entry.hash:
        return Break(link.seq, link.id, "hash", recomputed, entry.hash)
    return None


class Walker:
    """Walks one workspace's chain in `seq` order; stops at the first break.

    Feed entries one by one (`feed`), then `finish` with the stored head: a workspace of any
    size is verified in constant memory.
    """

    def __init__(self) -> None:
        self.checked = 0
        self.last = Head(0, GENESIS)
        self.broken: Break | None = None

    def feed(self, entry: Stored) -> Break | None:
        if self.broken is not None:
            return self.broken
        expected_seq = self.last.seq + 1
        if entry.link.seq != expected_seq:
            # An entry removed (a gap) or moved: the chain skips a position.
            self.broken = Break(
                expected_seq, entry.link.id, "seq", str(expected_seq), str(entry.link.seq)
            )
            return self.broken
        self.broken = check_entry(entry, self.last.hash)
        self.checked += 1
        self.last = Head(entry.link.seq, entry.hash)
        return self.broken

    def finish(self, head: Head | None) -> Break | None:
        """The stored head must be the last entry walked (entries cut off the end)."""
        if self.broken is not None:
            return self.broken
        stored = head or Head(0, GENESIS)
        if stored != self.last:
            self.broken = Break(
                stored.seq,
                None,
                "head",
                f"seq {self.last.seq} hash {self.last.hash}",
                f"seq {stored.seq} hash {stored.hash}",
            )
        return self.broken


def verify(entries: Iterable[Stored], head: Head | None) -> Break | None:
    """The first break of a whole chain, or None when it holds."""
    walker = Walker()
    for entry in entries:
        if walker.feed(entry) is not None:
            break
    return walker.finish(head)


def subject_of(key: bytes, workspace_id: str, phone: str) -> str:
    """The number as the hash sees it: its keyed pseudonym, which an erased entry holds."""
    return phone if is_pseudonym(phone) else phone_pseudonym(key, workspace_id, phone)


def split_evidence(evidence: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the hash covers as is, the identifying fields it covers by digest)."""
    kept = {k: v for k, v in evidence.items() if k not in IDENTIFYING_EVIDENCE}
    identifying = {k: v for k, v in evidence.items() if k in IDENTIFYING_EVIDENCE}
    return kept, identifying


def identifying_digest(
    key: bytes, workspace_id: str, entry_id: uuid.UUID, identifying: Mapping[str, Any]
) -> str | None:
    """HMAC-SHA256 of the identifying fields, salted by the entry (the same IP in two
    entries gives two digests: nothing to link entries by); None when there are none."""
    present = {k: v for k, v in identifying.items() if v is not None}
    if not present:
        return None
    message = f"{workspace_id}\x00{entry_id}\x00".encode() + canonical_json(present)
    return PREFIX + hmac.new(key, message, hashlib.sha256).hexdigest()
