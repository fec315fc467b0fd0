"""Settings fail fast; cursors are opaque and checked."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from herald_kit.errors import Unprocessable
from herald_kit.pagination import decode_cursor, encode_cursor
from herald_kit.settings import DbSettings, require_real_secret


class TestDbSettings:
    def test_a_plain_postgres_url_becomes_asyncpg(self) -> None:
        url = DbSettings(url=SecretStr("postgresql://u:p@h:5432/d")).url.get_secret_value()
        assert url == "postgresql+asyncpg://u:p@h:5432/d"

    def test_another_database_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            DbSettings(url=SecretStr("mysql://u:p@h/d"))


@pytest.mark.parametrize("value", ["", "changeme", "change-me", "secret", " Password "])
def test_placeholder_secrets_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="real secret"):
        require_real_secret(SecretStr(value), "HERALD_X_PASSWORD")


class TestCursor:
    def test_round_trip(self) -> None:
        assert decode_cursor(encode_cursor({"after": "abc"})) == {"after": "abc"}

    @pytest.mark.parametrize("cursor", ["!!", "bm90IGpzb24", "WzFd"])
    def test_a_forged_cursor_is_unprocessable(self, cursor: str) -> None:
        with pytest.raises(Unprocessable):
            decode_cursor(cursor)
