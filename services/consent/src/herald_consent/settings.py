"""Settings of the consent service (env prefix HERALD_CONSENT_)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic_settings import BaseSettings

from herald_kit.settings import (
    DbSettings,
    ErasureSettings,
    HttpServerSettings,
    ServiceSettings,
    settings_config,
)


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


class LedgerToolSettings(BaseSettings):
    """What `herald-consent ledger verify` needs: the database (and the erasure key, read
    with `get_erasure_settings`), not Kafka."""

    model_config = settings_config("consent")

    db: DbSettings


@lru_cache
def get_settings() -> ConsentSettings:
    return ConsentSettings()


@lru_cache
def get_erasure_settings() -> ErasureKeySettings:
    return ErasureKeySettings()
