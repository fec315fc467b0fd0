"""Settings of the campaigns service (env prefix HERALD_CAMPAIGNS_)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, ClassVar

from pydantic import BaseModel, Field, SecretStr, field_validator

from herald_campaigns.domain.mention import MentionPolicy
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


class MentionSettings(BaseModel):
    """The STOP mention of marketing texts (`HERALD_CAMPAIGNS_MENTION__SHORT_CODE`: the short
    code handsets reply to; `__SHORT_CODES`: JSON workspace -> short code, for workspaces
    with their own). French recipients need one (`STOP au 36111`); without it their texts
    are sent as written."""

    short_code: str | None = Field(default=None, pattern=r"^[0-9]{4,6}$")
    short_codes: dict[str, Annotated[str, Field(pattern=r"^[0-9]{4,6}$")]] = Field(
        default_factory=dict
    )

    def policy(self) -> MentionPolicy:
        return MentionPolicy(self.short_code, dict(self.short_codes))


class CampaignsSettings(ServiceSettings):
    service_name: ClassVar[str] = "campaigns"
    model_config = settings_config("campaigns")

    api: HttpServerSettings = HttpServerSettings(port=8103)
    health: HttpServerSettings = HttpServerSettings(port=8203)
    contacts: ContactsApiSettings
    expansion: ExpansionSettings = ExpansionSettings()
    mention: MentionSettings = MentionSettings()


@lru_cache
def get_settings() -> CampaignsSettings:
    return CampaignsSettings()
