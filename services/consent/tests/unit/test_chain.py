"""The hash chain's maths: canonical bytes, hashes, and what tampering looks like."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from herald_compliance.pseudonyms import phone_pseudonym
from herald_consent.domain import chain

KEY = b"unit-test-erasure-key-0123456789"
WS = "ws-unit"


def link(seq: int, previous_hash: str, **changes: Any) -> chain.Link:
    base = chain.Link(
        id=uuid.UUID(int=seq),
        workspace_id=WS,
        seq=seq,
        subject=chain.subject_of(KEY, WS, "+33612345678"),
        channel="sms",
        purpose="marketing",
        brand="default",
        action="opt_in",
        source="web_form",
        recorded_by="api_key:k1",
        created_at=datetime(2026, 12, 6, 10, 0, seq, 1234, tzinfo=UTC),
        evidence={"wording": "J'accepte les SMS", "wording_version": "v1"},
        identifying_digest=None,
        previous_hash=previous_hash,
    )
    return replace(base, **changes)


def build(count: int) -> list[chain.Stored]:
    entries: list[chain.Stored] = []
    previous = chain.GENESIS
    for seq in range(1, count + 1):
        current = link(seq, previous)
        previous = chain.entry_hash(current)
        entries.append(chain.Stored(current, previous))
    return entries


def head_of(entries: list[chain.Stored]) -> chain.Head:
    return chain.Head(entries[-1].link.seq, entries[-1].hash)


class TestCanonical:
    def test_the_bytes_are_the_documented_array(self) -> None:
        one = link(
            1,
            chain.GENESIS,
            subject="hmac-sha256:ab",
            created_at=datetime(2026, 12, 6, 11, 0, 0, tzinfo=timezone(timedelta(hours=1))),
            evidence={"z": 1, "wording": "Élodie dit oui", "nested": {"b": None, "a": True}},
            identifying_digest="hmac-sha256:cd",
        )
        expected = (
            '["herald.consent-ledger.v1","00000000-0000-0000-0000-000000000001","ws-unit",1,'
            '"hmac-sha256:ab","sms","marketing","default","opt_in","web_form","api_key:k1",'
            '"2026-12-06T10:00:00.000000Z",'
            '{"nested":{"a":true,"b":null},"wording":"Élodie dit oui","z":1},'
            '"hmac-sha256:cd","' + "0" * 64 + '"]'
        ).encode()
        assert chain.canonical(one) == expected
        assert chain.entry_hash(one) == hashlib.sha256(expected).hexdigest()

    def test_the_evidence_order_does_not_matter(self) -> None:
        a = link(1, chain.GENESIS, evidence={"wording": "x", "wording_version": "1"})
        b = link(1, chain.GENESIS, evidence={"wording_version": "1", "wording": "x"})
        assert chain.entry_hash(a) == chain.entry_hash(b)

    def test_every_field_and_the_previous_hash_change_the_hash(self) -> None:
        base = link(1, chain.GENESIS)
        changes: dict[str, Any] = {
            "id": uuid.uuid4(),
            "workspace_id": "other",
            "seq": 2,
            "subject": "hmac-sha256:00",
            "purpose": "transactional",
            "brand": "acme",
            "action": "opt_out",
            "source": "api",
            "recorded_by": "system:receipts",
            "created_at": base.created_at + timedelta(microseconds=1),
            "evidence": {"wording": "J'accepte les SMS", "wording_version": "v2"},
            "identifying_digest": "hmac-sha256:01",
            "previous_hash": "1" * 64,
        }
        hashes = {chain.entry_hash(replace(base, **{k: v})) for k, v in changes.items()}
        assert chain.entry_hash(base) not in hashes
        assert len(hashes) == len(changes)

    def test_a_naive_time_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            chain.canonical(link(1, chain.GENESIS, created_at=datetime(2026, 12, 6)))

    @pytest.mark.parametrize("value", [1.5, float("nan"), b"bytes", {1: "x"}])
    def test_values_that_do_not_round_trip_are_refused(self, value: Any) -> None:
        with pytest.raises(ValueError, match=r"evidence|keys"):
            chain.canonical_json({"evidence": {"x": value}})


class TestErasureDoesNotChangeTheInput:
    def test_the_subject_of_a_number_is_its_pseudonym(self) -> None:
        pseudonym = phone_pseudonym(KEY, WS, "+33612345678")
        assert chain.subject_of(KEY, WS, "+33612345678") == pseudonym
        assert chain.subject_of(KEY, WS, pseudonym) == pseudonym

    def test_identifying_fields_are_hashed_through_a_salted_digest(self) -> None:
        fields = {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0"}
        kept, identifying = chain.split_evidence({"wording": "oui", **fields})
        assert (kept, identifying) == ({"wording": "oui"}, fields)
        first = chain.identifying_digest(KEY, WS, uuid.UUID(int=1), identifying)
        second = chain.identifying_digest(KEY, WS, uuid.UUID(int=2), identifying)
        assert first is not None
        assert first.startswith("hmac-sha256:")
        assert first != second  # the same IP cannot link two entries
        assert "203.0.113.7" not in first
        assert chain.identifying_digest(KEY, WS, uuid.UUID(int=1), {"ip": None}) is None


class TestVerify:
    def test_an_intact_chain_holds(self) -> None:
        entries = build(5)
        assert chain.verify(entries, head_of(entries)) is None
        assert [e.link.previous_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
        assert entries[0].link.previous_hash == chain.GENESIS

    def test_an_empty_chain_holds(self) -> None:
        assert chain.verify([], None) is None

    def test_a_modified_entry_is_the_first_break(self) -> None:
        entries = build(5)
        forged = replace(entries[2].link, evidence={"wording": "forged", "wording_version": "v1"})
        entries[2] = chain.Stored(forged, entries[2].hash)
        broken = chain.verify(entries, head_of(entries))
        assert broken is not None
        assert (broken.seq, broken.entry_id, broken.field) == (3, forged.id, "hash")
        assert broken.found == entries[2].hash
        assert broken.expected == chain.entry_hash(forged)

    def test_a_modified_and_rehashed_entry_breaks_the_next_link(self) -> None:
        entries = build(5)
        forged = replace(entries[2].link, action="opt_out")
        entries[2] = chain.Stored(forged, chain.entry_hash(forged))
        broken = chain.verify(entries, head_of(entries))
        assert broken is not None
        assert (broken.seq, broken.field) == (4, "previous_hash")
        assert (broken.expected, broken.found) == (entries[2].hash, entries[3].link.previous_hash)

    def test_a_deleted_entry_is_a_gap(self) -> None:
        entries = build(5)
        del entries[1]
        broken = chain.verify(entries, head_of(entries))
        assert broken is not None
        assert (broken.seq, broken.field, broken.expected, broken.found) == (2, "seq", "2", "3")

    def test_reordered_entries_break(self) -> None:
        entries = build(5)
        entries[1], entries[2] = entries[2], entries[1]
        broken = chain.verify(entries, head_of(build(5)))
        assert broken is not None
        assert (broken.seq, broken.field) == (2, "seq")

    def test_renumbered_entries_break(self) -> None:
        """Swapping the seq of two entries (to reorder them in place) changes their hashes."""
        entries = build(3)
        one, two = entries[0], entries[1]
        entries[0] = chain.Stored(replace(two.link, seq=1), two.hash)
        entries[1] = chain.Stored(replace(one.link, seq=2), one.hash)
        broken = chain.verify(entries, head_of(build(3)))
        assert broken is not None
        assert (broken.seq, broken.field) == (1, "previous_hash")

    def test_entries_cut_off_the_end_show_at_the_head(self) -> None:
        entries = build(5)
        head = head_of(entries)
        broken = chain.verify(entries[:3], head)
        assert broken is not None
        assert (broken.field, broken.entry_id) == ("head", None)
        assert broken.found == f"seq 5 hash {head.hash}"

    def test_entries_without_a_head_break(self) -> None:
        broken = chain.verify(build(2), None)
        assert broken is not None
        assert broken.field == "head"

    def test_a_problem_found_while_reading_is_reported(self) -> None:
        entries = build(2)
        problem = chain.Break(2, entries[1].link.id, "identifying_digest", "a", "b")
        entries[1] = replace(entries[1], problem=problem)
        assert chain.verify(entries, head_of(entries)) == problem
        assert "identifying_digest expected a, found b" in problem.describe()

    def test_the_walker_stops_at_the_first_break(self) -> None:
        entries = build(4)
        entries[1] = chain.Stored(replace(entries[1].link, brand="x"), entries[1].hash)
        entries[3] = chain.Stored(replace(entries[3].link, brand="y"), entries[3].hash)
        walker = chain.Walker()
        for entry in entries:
            walker.feed(entry)
        broken = walker.finish(head_of(entries))
        assert broken is not None
        assert broken.seq == 2
        assert walker.checked == 2
