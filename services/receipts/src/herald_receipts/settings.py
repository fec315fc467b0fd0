"""Settings of the receipts service (env prefix HERALD_RECEIPTS_)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic_settings import BaseSettings

from herald_kit.settings import HttpServerSettings, ServiceSettings, settings_config


class ReceiptsSettings(ServiceSettings):
    service_name: ClassVar[str] = "receipts"
    model_config = settings_config("receipts")

    api: HttpServerSettings = HttpServerSettings(port=8105)
    health: HttpServerSettings = HttpServerSettings(port=8205)
    default_region: str = "FR"


class HandlerSettings(BaseSettings):
    """What event handlers read: the same variables, without the connection settings that
    the runner already holds (handlers also run in tests and tools without them)."""

    model_config = settings_config("receipts")

    default_region: str = "FR"


@lru_cache
def get_settings() -> ReceiptsSettings:
    return ReceiptsSettings()


@lru_cache
def get_handler_settings() -> HandlerSettings:
    return HandlerSettings()
