"""Typed settings: one class per service, an env prefix each, nested groups with `__`.

Nothing else in Herald reads `os.environ`. Missing required values fail at start-up,
and so do secrets left at a placeholder value.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "password"})
# The erasure key is a setting like any other secret, so its rule lives here, not in
# herald_compliance.pseudonyms: the kit (infrastructure) does not depend on the pure domain
# package, and the pseudonyms take whatever key their caller was configured with.
MIN_ERASURE_KEY_LENGTH = 16


def require_real_secret(value: SecretStr, name: str) -> SecretStr:
    """Refuse to start with an empty or placeholder secret."""
    if value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
        raise ValueError(f"{name} must be set to a real secret, not a placeholder")
    return value


class ErasureSettings(BaseModel):
    """`HERALD_<SERVICE>_ERASURE__KEY`: the HMAC key that erased numbers' opt-outs are kept
    under (herald_compliance.pseudonyms), in every service that keeps them. Never change it:
    pseudonyms made with the old key would no longer match."""

    key: SecretStr = Field(description="HMAC-SHA256 key (required, never a placeholder)")

    @field_validator("key")
    @classmethod
    def _real_key(cls, value: SecretStr) -> SecretStr:
        # A nested group does not know its service's prefix: pydantic's error names the
        # settings class and the `erasure.key` location, which say which variable it is.
        require_real_secret(value, "HERALD_<SERVICE>_ERASURE__KEY")
        if len(value.get_secret_value()) < MIN_ERASURE_KEY_LENGTH:
            raise ValueError(f"an erasure key has at least {MIN_ERASURE_KEY_LENGTH} characters")
        return value


class DbSettings(BaseModel):
    url: SecretStr = Field(description="postgresql+asyncpg://user:password@host:port/database")
    pool_size: int = Field(default=10, ge=1, le=200)
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _must_be_asyncpg(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        if not url.startswith("postgresql+asyncpg://"):
            raise ValueError("must be a postgresql+asyncpg:// URL")
        return SecretStr(url)


class KafkaSettings(BaseModel):
    bootstrap_servers: str = Field(min_length=3, description="host:port[,host:port]")
    client_id_prefix: str = "herald"


class HttpServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)


class TelemetrySettings(BaseModel):
    otlp_endpoint: str = ""
    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)


class ServiceSettings(BaseSettings):
    """Base of every service's settings. Subclasses set `service_name` and `model_config`."""

    service_name: ClassVar[str] = "herald"
    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")

    db: DbSettings
    kafka: KafkaSettings
    api: HttpServerSettings = HttpServerSettings()
    health: HttpServerSettings = HttpServerSettings(port=8200)
    telemetry: TelemetrySettings = TelemetrySettings()
    log_level: str = "INFO"
    log_json: bool = True


def settings_config(service: str) -> SettingsConfigDict:
    """The settings config of a service: env vars `HERALD_<SERVICE>_...`."""
    return SettingsConfigDict(
        env_prefix=f"HERALD_{service.upper()}_", env_nested_delimiter="__", extra="ignore"
    )
