"""Settings of the consent service (env prefix HERALD_CONSENT_)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from herald_kit.settings import HttpServerSettings, ServiceSettings, settings_config


class ConsentSettings(ServiceSettings):
    service_name: ClassVar[str] = "consent"
    model_config = settings_config("consent")

    api: HttpServerSettings = HttpServerSettings(port=8102)
    health: HttpServerSettings = HttpServerSettings(port=8202)
    default_region: str = "FR"


@lru_cache
def get_settings() -> ConsentSettings:
    return ConsentSettings()
