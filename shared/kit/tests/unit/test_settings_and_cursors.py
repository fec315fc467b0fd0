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
