"""Settings of the campaigns service (env prefix HERALD_CAMPAIGNS_)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic import BaseModel, Field, SecretStr, field_validator

from herald_kit.settings import (
    HttpServerSettings,
    ServiceSettings,
    require_real_secret,
    settings_config,
)


class ContactsApiSettings(BaseModel):
    """Where expansion streams audiences from: `HERALD_CAMPAIGNS_CONTACTS__URL`, `__API_KEY`.

    The key is a service key (workspace "*", scope contacts:read) that names the workspace
    it acts for on each call."""

    url: str = Field(default="http://127.0.0.1:8101", pattern=r"^https?://")
    api_key: SecretStr
    timeout_seconds: float = Field(default=30.0, gt=0)

    @field_validator("api_key")
    @classmethod
    def _real_key(cls, value: SecretStr) -> SecretStr:
        return require_real_secret(value, "HERALD_CAMPAIGNS_CONTACTS__API_KEY")


class ExpansionSettings(BaseModel):
    """The expansion loop of the `consumer` process."""

    chunk_size: int = Field(default=1000, ge=1, le=5000)
    poll_seconds: float = Field(default=1.0, gt=0)
    # A `running` job untouched for this long belongs to a worker that died: another claims it.
    lease_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=10, ge=1)
    backoff_start: float = Field(default=0.5, gt=0)
    backoff_max: float = Field(default=30.0, gt=0)


class CampaignsSettings(ServiceSettings):
    service_name: ClassVar[str] = "campaigns"
    model_config = settings_config("campaigns")

    api: HttpServerSettings = HttpServerSettings(port=8103)
    health: HttpServerSettings = HttpServerSettings(port=8203)
    contacts: ContactsApiSettings
    expansion: ExpansionSettings = ExpansionSettings()


@lru_cache
def get_settings() -> CampaignsSettings:
    return CampaignsSettings()
