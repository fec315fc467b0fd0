"""Settings of the analytics service (env prefix HERALD_ANALYTICS_).

The relay runs with `HERALD_ANALYTICS_HEALTH__PORT=8306` (runtime conventions); the consumer
keeps the default health port 8206.
"""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from herald_kit.settings import HttpServerSettings, ServiceSettings, settings_config


class AnalyticsSettings(ServiceSettings):
    service_name: ClassVar[str] = "analytics"
    model_config = settings_config("analytics")

    api: HttpServerSettings = HttpServerSettings(port=8106)
    health: HttpServerSettings = HttpServerSettings(port=8206)


@lru_cache
def get_settings() -> AnalyticsSettings:
    return AnalyticsSettings()
