"""API keys: hashed, scoped, revocable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from herald_events.models.external import ApiKeyChangedV1
from herald_kit.auth import ApiKeyStore, Principal, Unauthorized, new_key, split_key


def _store_with(workspace: str, scopes: list[str]) -> tuple[ApiKeyStore, str, str]:
    key_id, key, secret_hash = new_key()
    store = ApiKeyStore()
    store.put(
        workspace,
        ApiKeyChangedV1(
            key_id=key_id,
            name="t",
            scopes=scopes,
            secret_sha256=secret_hash,
            changed_at=datetime.now(UTC),
        ),
    )
    return store, key_id, key


class TestApiKeyStore:
    def test_a_valid_key_gives_its_workspace_and_scopes(self) -> None:
        store, key_id, key = _store_with("ws1", ["contacts:read"])
        principal = store.authenticate(key)
        assert principal == Principal("ws1", key_id, frozenset({"contacts:read"}))

    def test_the_secret_itself_is_never_stored(self) -> None:
        store, _, key = _store_with("ws1", ["*"])
        secret = key.split("_", 2)[2]
        assert secret not in repr(store._keys)

    @pytest.mark.parametrize("presented", ["", "nope", "hrl__x", "hrl_abc_", "Bearer x"])
    def test_malformed_keys_are_refused(self, presented: str) -> None:
        store, _, _ = _store_with("ws1", ["*"])
        with pytest.raises(Unauthorized):
            store.authenticate(presented)

    def test_a_wrong_secret_is_refused(self) -> None:
        store, key_id, _ = _store_with("ws1", ["*"])
        with pytest.raises(Unauthorized):
            store.authenticate(f"hrl_{key_id}_forged")

    def test_a_revoked_key_is_refused(self) -> None:
        store, key_id, key = _store_with("ws1", ["*"])
        store.put(
            "ws1",
            ApiKeyChangedV1(
                key_id=key_id,
                name="t",
                scopes=[],
                secret_sha256="",
                revoked=True,
                changed_at=datetime.now(UTC),
            ),
        )
        with pytest.raises(Unauthorized):
            store.authenticate(key)

    def test_a_tombstone_forgets_the_key(self) -> None:
        store, key_id, key = _store_with("ws1", ["*"])
        store.apply(key_id.encode(), None)
        with pytest.raises(Unauthorized):
            store.authenticate(key)


class TestScopes:
    @pytest.mark.parametrize(
        ("granted", "asked", "allowed"),
        [
            ({"contacts:read"}, "contacts:read", True),
            ({"contacts:read"}, "contacts:write", False),
            ({"contacts:*"}, "contacts:write", True),
            ({"*"}, "analytics:read", True),
            ({"campaigns:*"}, "contacts:read", False),
        ],
    )
    def test_scope_matrix(self, granted: set[str], asked: str, allowed: bool) -> None:
        assert Principal("ws", "k", frozenset(granted)).allows(asked) is allowed


def test_split_key_round_trips() -> None:
    key_id, key, _ = new_key()
    parsed = split_key(key)
    assert parsed is not None
    assert parsed[0] == key_id
