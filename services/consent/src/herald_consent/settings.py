"""Settings of the consent service (env prefix HERALD_CONSENT_)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from herald_compliance.pseudonyms import MIN_KEY_LENGTH
from herald_kit.settings import (
    HttpServerSettings,
    ServiceSettings,
    require_real_secret,
    settings_config,
)


class ErasureSettings(BaseModel):
    """`HERALD_CONSENT_ERASURE__KEY`: the HMAC key that erased numbers' opt-outs are kept
    under. Never change it: pseudonyms made with the old key would no longer match."""

    key: SecretStr = Field(description="HMAC-SHA256 key (required, never a placeholder)")

    @field_validator("key")
    @classmethod
    def _real_key(cls, value: SecretStr) -> SecretStr:
        require_real_secret(value, "HERALD_CONSENT_ERASURE__KEY")
        if len(value.get_secret_value()) < MIN_KEY_LENGTH:
            raise ValueError(f"an erasure key has at least {MIN_KEY_LENGTH} characters")
        return value


class ConsentSettings(ServiceSettings):
    service_name: ClassVar[str] = "consent"
    model_config = settings_config("consent")

    api: HttpServerSettings = HttpServerSettings(port=8102)
    health: HttpServerSettings = HttpServerSettings(port=8202)
    default_region: str = "FR"
    erasure: ErasureSettings


class ErasureKeySettings(BaseSettings):
    """The erasure key alone, for use cases that also run in handlers, tests and tools
    without the connection settings (the processes load `ConsentSettings`, so they refuse
    to start without it)."""

    model_config = settings_config("consent")

    erasure: ErasureSettings


@lru_cache
def get_settings() -> ConsentSettings:
    return ConsentSettings()


@lru_cache
def get_erasure_settings() -> ErasureKeySettings:
    return ErasureKeySettings()
