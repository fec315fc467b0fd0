"""Settings of the consent service (env prefix HERALD_CONSENT_)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings

from herald_consent.domain import double_opt_in
from herald_kit.settings import (
    DbSettings,
    ErasureSettings,
    HttpServerSettings,
    ServiceSettings,
    settings_config,
)


class DoubleOptInSettings(BaseModel):
    """`HERALD_CONSENT_DOUBLE_OPT_IN__*`: the confirmation SMS of a double opt-in and how long
    a request waits for its answer (docs/consent.md). Validated at start-up: a template with
    an unknown placeholder, or a language without a template, stops the process."""

    expiry_s: int = Field(default=48 * 3600, ge=60)  # a pending request expires after this
    # The sender of the confirmation SMS: the workspace's short code (handsets reply to it);
    # empty = the dispatcher's default sender, to which a handset may not be able to reply.
    short_code: str = Field(default="", max_length=20)
    short_codes: dict[str, str] = Field(default_factory=dict)  # workspace -> short code
    # Public base URL under which GET /v1/consents/double-opt-in/{token}/confirm is reachable
    # from a handset; empty = the SMS carries no link (reply only).
    link_base_url: str = ""
    default_language: str = "fr"
    brand_names: dict[str, str] = Field(default_factory=dict)  # brand -> name in the SMS
    default_brand_name: str = Field(default="Herald", min_length=1)
    texts: dict[str, str] = Field(default_factory=dict)  # language -> template ({brand})
    link_texts: dict[str, str] = Field(default_factory=dict)  # ... ({brand}, {link})

    @model_validator(mode="after")
    def _valid(self) -> DoubleOptInSettings:
        self.templates()
        return self

    def templates(self) -> double_opt_in.Templates:
        return double_opt_in.Templates(
            texts={**double_opt_in.DEFAULT_TEXTS, **self.texts},
            link_texts={**double_opt_in.DEFAULT_LINK_TEXTS, **self.link_texts},
            default_language=self.default_language,
        )

    def sender_for(self, workspace_id: str) -> str:
        return self.short_codes.get(workspace_id, self.short_code).strip()

    def brand_name(self, brand: str) -> str:
        if brand in self.brand_names:
            return self.brand_names[brand]
        return self.default_brand_name if brand == "default" else brand


class ConsentSettings(ServiceSettings):
    service_name: ClassVar[str] = "consent"
    model_config = settings_config("consent")

    api: HttpServerSettings = HttpServerSettings(port=8102)
    health: HttpServerSettings = HttpServerSettings(port=8202)
    default_region: str = "FR"
    erasure: ErasureSettings
    double_opt_in: DoubleOptInSettings = DoubleOptInSettings()


class HandlerSettings(BaseSettings):
    """What event handlers read: the same variables, without the connection settings that
    the consumer runner already holds (handlers also run in tests and tools without them)."""

    model_config = settings_config("consent")

    double_opt_in: DoubleOptInSettings = DoubleOptInSettings()


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


@lru_cache
def get_handler_settings() -> HandlerSettings:
    return HandlerSettings()
