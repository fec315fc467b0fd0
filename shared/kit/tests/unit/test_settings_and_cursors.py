"""Settings fail fast; cursors are opaque and checked."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from herald_kit.errors import Unprocessable
from herald_kit.pagination import decode_cursor, encode_cursor
from herald_kit.settings import (
    MIN_ERASURE_KEY_LENGTH,
    DbSettings,
    ErasureSettings,
    require_real_secret,
)


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


class TestErasureSettings:
    def test_a_real_key_is_kept_and_never_shown(self) -> None:
        settings = ErasureSettings(key=SecretStr("k3y-0f-the-erasure-pseudonyms"))
        assert settings.key.get_secret_value() == "k3y-0f-the-erasure-pseudonyms"
        assert "k3y-0f" not in repr(settings)

    @pytest.mark.parametrize("key", ["", "changeme", " Secret "])
    def test_placeholders_are_refused(self, key: str) -> None:
        with pytest.raises(ValidationError, match="ERASURE__KEY must be set to a real secret"):
            ErasureSettings(key=SecretStr(key))

    def test_a_short_key_is_refused(self) -> None:
        with pytest.raises(ValidationError, match=f"at least {MIN_ERASURE_KEY_LENGTH}"):
            ErasureSettings(key=SecretStr("x" * (MIN_ERASURE_KEY_LENGTH - 1)))
        assert ErasureSettings(key=SecretStr("x" * MIN_ERASURE_KEY_LENGTH))


class TestCursor:
    def test_round_trip(self) -> None:
        assert decode_cursor(encode_cursor({"after": "abc"})) == {"after": "abc"}

    @pytest.mark.parametrize("cursor", ["!!", "bm90IGpzb24", "WzFd"])
    def test_a_forged_cursor_is_unprocessable(self, cursor: str) -> None:
        with pytest.raises(Unprocessable):
            decode_cursor(cursor)


class TestProblemDetails:
    async def test_a_business_422_names_its_field(self) -> None:
        import httpx
        from fastapi import FastAPI

        from herald_kit.problems import install_problem_handlers

        app = FastAPI()
        install_problem_handlers(app)

        @app.get("/x")
        async def refuse() -> None:
            raise Unprocessable("to: must not be before from", field="to")

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/x")
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"] == [
            {"field": "to", "message": "to: must not be before from", "type": "value_error"}
        ]
