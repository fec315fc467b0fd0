"""Settings of the dispatcher service (env prefix HERALD_DISPATCHER_)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from herald_dispatcher.rules_config import CapConfig, PackConfig, SendingRulesConfig
from herald_kit.settings import (
    ErasureSettings,
    HttpServerSettings,
    ServiceSettings,
    require_real_secret,
    settings_config,
)


class SmppSettings(BaseModel):
    """One SMPP 3.4 transceiver bind: `HERALD_DISPATCHER_SMPP__HOST`, `__PORT`, ..."""

    host: str = "127.0.0.1"
    port: int = Field(default=2775, ge=1, le=65535)
    system_id: str = Field(default="herald", min_length=1, max_length=15)
    # SMPP carries the password in a 9-octet C-string: at most 8 characters.
    password: SecretStr = Field(description="bind password (required, never a placeholder)")
    system_type: str = Field(default="", max_length=12)
    window: int = Field(default=50, ge=1, le=10_000, description="max outstanding submit_sm")
    rate_per_second: float = Field(default=200, gt=0, le=1_000_000)
    source_addr_default: str = Field(default="HERALD", min_length=1, max_length=20)
    route_name: str = Field(default="smpp-default", min_length=1, max_length=64)
    workspace_id: str = Field(
        default="default",
        min_length=1,
        max_length=64,
        description="workspace that the MO messages and receipts of this bind belong to",
    )
    response_timeout_s: float = Field(default=10, gt=0, le=300)
    enquire_link_s: float = Field(default=30, gt=0, le=3600)
    reconnect_min_s: float = Field(default=0.5, gt=0, le=60)
    reconnect_max_s: float = Field(default=30, gt=0, le=600)

    @field_validator("password")
    @classmethod
    def _real_password(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) > 8:
            raise ValueError("an SMPP password has at most 8 characters")
        return require_real_secret(value, "HERALD_DISPATCHER_SMPP__PASSWORD")


class EarlyStopSettings(BaseModel):
    """A handset's keyword STOP suppresses its number as the dispatcher stores the MO
    (`HERALD_DISPATCHER_EARLY_STOP__...`; domain/early_stop.py). Turn it off when receipts
    scopes opt-outs per brand (`HERALD_RECEIPTS_OPTOUT__SCOPE=brand`): this path only knows
    the global scope."""

    enabled: bool = True
    default_region: str = Field(default="FR", pattern=r"^[A-Z]{2}$")  # as receipts reads numbers


class SenderSettings(BaseModel):
    """Tuning of the send loop (`HERALD_DISPATCHER_SENDER__...`)."""

    idle_poll_s: float = Field(default=0.05, gt=0, le=10)
    max_claim: int = Field(default=500, ge=1, le=10_000)
    flush_max: int = Field(default=1000, ge=1, le=10_000)
    hold_recheck_s: float = Field(default=1.0, gt=0, le=3600)
    retry_base_s: float = Field(default=1.0, gt=0, le=3600)
    retry_max_s: float = Field(default=60.0, gt=0, le=86_400)
    max_transient_attempts: int = Field(default=5, ge=1, le=1000)
    breaker_cooldown_s: float = Field(default=5.0, gt=0, le=3600)
    sweep_interval_s: float = Field(default=5.0, gt=0, le=3600)
    # How often held messages whose `held_until` has come are put back in the queue.
    release_interval_s: float = Field(default=1.0, gt=0, le=3600)
    # deliver_sm are stored by this many transactions at once, a number (or a receipt's
    # message id) always in the same lane, so its messages keep their order.
    inbound_lanes: int = Field(default=3, ge=1, le=64)


def _default_packs() -> list[PackConfig]:
    return [PackConfig(name="FR-strict"), PackConfig(name="US-TCPA"), PackConfig(name="default")]


class ComplianceSettings(SendingRulesConfig):
    """The deployment's sending rules (`HERALD_DISPATCHER_COMPLIANCE__PACKS`, `__CAPS`, JSON),
    for every workspace that has none of its own (`PUT /v1/sending-rules`), and per-workspace
    rules given by configuration (`__WORKSPACES`, JSON workspace -> {packs, caps}). Pack names
    and options are checked here: a wrong one stops the process at start-up.

    Default: FR-strict for France and its overseas territories, US-TCPA for the US, the
    `default` pack (Mon–Sat 08:00–20:00, the recipient's public holidays; configure it with
    `{"name": "default", "options": {...}}`) for every other country; no frequency caps."""

    packs: list[PackConfig] = Field(default_factory=_default_packs, min_length=1)
    caps: list[CapConfig] = Field(default_factory=list)
    workspaces: dict[str, SendingRulesConfig] = Field(default_factory=dict)


class DispatcherSettings(ServiceSettings):
    service_name: ClassVar[str] = "dispatcher"
    model_config = settings_config("dispatcher")

    api: HttpServerSettings = HttpServerSettings(port=8104)
    health: HttpServerSettings = HttpServerSettings(port=8204)
    smpp: SmppSettings
    sender: SenderSettings = SenderSettings()
    compliance: ComplianceSettings = ComplianceSettings()
    early_stop: EarlyStopSettings = EarlyStopSettings()
    erasure: ErasureSettings


class ErasureKeySettings(BaseSettings):
    """The erasure key alone, for the erasure handler, which also runs in tests and tools
    without the connection settings (the processes load `DispatcherSettings`, so they
    refuse to start without it)."""

    model_config = settings_config("dispatcher")

    erasure: ErasureSettings


@lru_cache
def get_settings() -> DispatcherSettings:
    return DispatcherSettings()


@lru_cache
def get_erasure_settings() -> ErasureKeySettings:
    return ErasureKeySettings()
