"""Pydantic models: the static server settings and the runtime (fault-injection) config."""

from __future__ import annotations

import ipaddress
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_SMPP_PORT = 2775
DEFAULT_HTTP_PORT = 8190
DEFAULT_HOST = "127.0.0.1"

MessageIdFormat = Literal["hex", "decimal", "uuid"]


class Outcomes(BaseModel):
    """Relative weights of the delivery-receipt outcomes (need not sum to 1).

    Omitted weights are 0, so ``{"expired": 1}`` means "every message expires".
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    delivered: float = Field(default=0.0, ge=0, le=1_000_000)
    undeliverable: float = Field(default=0.0, ge=0, le=1_000_000)
    expired: float = Field(default=0.0, ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _some_weight(self) -> Self:
        if self.delivered + self.undeliverable + self.expired <= 0:
            raise ValueError("at least one outcome weight must be > 0")
        return self


def _all_delivered() -> Outcomes:
    return Outcomes(delivered=1.0)


class SimConfig(BaseModel):
    """Runtime behaviour of the simulator, changed live through ``PUT /config``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dlr_delay_ms: int = Field(default=200, ge=0, le=3_600_000)
    outcomes: Outcomes = Field(default_factory=_all_delivered)
    throttle_ratio: float = Field(default=0.0, ge=0, le=1)
    refuse_connections: bool = False
    blackhole: bool = False
    latency_ms: int = Field(default=0, ge=0, le=600_000)
    message_id_format: MessageIdFormat = "hex"


class SimConfigUpdate(BaseModel):
    """Body of ``PUT /config``: the fields given replace the current ones, the rest stay."""

    model_config = ConfigDict(extra="forbid")

    dlr_delay_ms: int | None = Field(default=None, ge=0, le=3_600_000)
    outcomes: Outcomes | None = None
    throttle_ratio: float | None = Field(default=None, ge=0, le=1)
    refuse_connections: bool | None = None
    blackhole: bool | None = None
    latency_ms: int | None = Field(default=None, ge=0, le=600_000)
    message_id_format: MessageIdFormat | None = None

    def apply_to(self, current: SimConfig) -> SimConfig:
        changes = self.model_dump(exclude_none=True)
        if self.outcomes is not None:
            changes["outcomes"] = self.outcomes
        return current.model_copy(update=changes)


class ServerSettings(BaseModel):
    """Process settings fixed at start-up (CLI flags)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = DEFAULT_HOST
    smpp_port: int = Field(default=DEFAULT_SMPP_PORT, ge=0, le=65535)
    http_port: int = Field(default=DEFAULT_HTTP_PORT, ge=0, le=65535)
    # Credentials to enforce; None accepts any system_id / any password.
    system_id: str | None = Field(default=None, max_length=15)
    password: str | None = Field(default=None, max_length=8)
    # system_id the SMSC answers binds with.
    smsc_system_id: str = Field(default="HERALDSMSC", min_length=1, max_length=15)
    # deliver_sm flow control towards each bound receiver.
    deliver_window: int = Field(default=64, ge=1, le=10_000)
    deliver_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    # ACK every read at once (Linux TCP_QUICKACK). An ESME that does not set TCP_NODELAY
    # (the smpp34 client does not) otherwise stalls on Nagle + delayed ACK when it pipelines
    # small PDUs; real SMSCs don't do this, so it is off unless a benchmark asks for it.
    tcp_quickack: bool = False
    initial: SimConfig = Field(default_factory=SimConfig)

    @property
    def is_loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"


class MoRequest(BaseModel):
    """Body of ``POST /mo``: a handset sending ``text`` from ``source`` to ``destination``."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=20, pattern=r"^\+?[0-9A-Za-z]+$")
    destination: str = Field(min_length=1, max_length=20, pattern=r"^\+?[0-9A-Za-z]+$")
    text: str = Field(min_length=1, max_length=1600)
    # Route to a receiver of this system_id; when omitted, to any bound receiver/transceiver.
    # Queued until a suitable one binds.
    system_id: str | None = Field(default=None, min_length=1, max_length=15)
