"""Keyed pseudonyms of phone numbers: stable, keyed, per workspace, never a number."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from herald_compliance.pseudonyms import PREFIX, is_pseudonym, phone_pseudonym

KEY = b"a-test-erasure-key-0123456789"


class TestPhonePseudonym:
    def test_the_same_number_gives_the_same_pseudonym(self) -> None:
        assert phone_pseudonym(KEY, "ws", "+33612345678") == phone_pseudonym(
            KEY, "ws", "+33612345678"
        )

    def test_it_is_an_hmac_sha256_and_does_not_contain_the_number(self) -> None:
        value = phone_pseudonym(KEY, "ws", "+33612345678")
        assert value.startswith(PREFIX)
        assert len(value) == len(PREFIX) + 64
        assert "612345678" not in value

    def test_another_key_gives_another_pseudonym(self) -> None:
        assert phone_pseudonym(KEY, "ws", "+33612345678") != phone_pseudonym(
            b"another-key-0123456789", "ws", "+33612345678"
        )

    def test_workspaces_get_unrelated_pseudonyms(self) -> None:
        assert phone_pseudonym(KEY, "ws-a", "+33612345678") != phone_pseudonym(
            KEY, "ws-b", "+33612345678"
        )

    def test_workspace_and_number_cannot_be_shifted_into_each_other(self) -> None:
        assert phone_pseudonym(KEY, "ws+3", "3612345678") != phone_pseudonym(
            KEY, "ws", "+33612345678"
        )

    @given(st.from_regex(r"\+[1-9]\d{6,14}", fullmatch=True))
    def test_a_number_is_never_taken_for_a_pseudonym(self, phone: str) -> None:
        assert not is_pseudonym(phone)
        assert is_pseudonym(phone_pseudonym(KEY, "ws", phone))
