"""Settings of the receipts service (env prefix HERALD_RECEIPTS_)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings

from herald_compliance.optout import (
    DEFAULT_BRAND,
    DEFAULT_CONFIRMATIONS,
    DEFAULT_HELP,
    OptoutPolicy,
    Replies,
)
from herald_kit.settings import HttpServerSettings, ServiceSettings, settings_config


class OptoutSettings(BaseModel):
    """`HERALD_RECEIPTS_OPTOUT__*`: how handsets' messages are read and answered
    (herald_compliance.optout; docs/optout.md). Validated at start-up: an unknown policy or a
    template with an unknown placeholder stops the process, never a handset's message."""

    # `treat_as_optout`: "don't text me" stops at once; `review`: a person decides.
    phrase_policy: Literal["treat_as_optout", "review"] = "treat_as_optout"
    review_keyword_in_sentence: bool = True
    # `global`: a STOP covers every brand; `brand`: the brand of the short code written to.
    scope: Literal["global", "brand"] = "global"
    brands: dict[str, str] = Field(default_factory=dict)  # short code -> brand
    brand_names: dict[str, str] = Field(default_factory=dict)  # brand -> name in replies
    default_brand_name: str = Field(default="Herald", min_length=1)
    default_language: str = "fr"
    # Calling code -> language of replies when the keyword is shared (STOP): +1 gets English.
    languages_by_calling_code: dict[str, str] = Field(
        default_factory=lambda: {"1": "en", "44": "en", "353": "en", "61": "en", "64": "en"}
    )
    confirm: bool = True  # the one opt-out confirmation
    help_reply: bool = True
    confirmation_window_s: int = Field(default=86_400, ge=0)  # at most one per number
    help_window_s: int = Field(default=3_600, ge=0)
    reply_validity_s: int = Field(default=3_600, gt=0)
    confirmations: dict[str, str] = Field(default_factory=dict)  # language -> template
    help: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _valid(self) -> OptoutSettings:
        self.policy()
        self.replies()
        return self

    def policy(self) -> OptoutPolicy:
        return OptoutPolicy(
            phrase_policy=self.phrase_policy,
            review_keyword_in_sentence=self.review_keyword_in_sentence,
            scope=self.scope,
            brands=self.brands,
            default_language=self.default_language,
        )

    def replies(self) -> Replies:
        return Replies(
            confirmations={**DEFAULT_CONFIRMATIONS, **self.confirmations},
            help={**DEFAULT_HELP, **self.help},
            default_language=self.default_language,
        )

    def brand_name(self, destination: str) -> str:
        brand = self.brands.get(destination.strip(), DEFAULT_BRAND)
        return self.brand_names.get(brand, self.default_brand_name)

    def language_hint(self, phone: str) -> str | None:
        digits = phone.lstrip("+")
        for code in sorted(self.languages_by_calling_code, key=len, reverse=True):
            if digits.startswith(code):
                return self.languages_by_calling_code[code]
        return None


class ReceiptsSettings(ServiceSettings):
    service_name: ClassVar[str] = "receipts"
    model_config = settings_config("receipts")

    api: HttpServerSettings = HttpServerSettings(port=8105)
    health: HttpServerSettings = HttpServerSettings(port=8205)
    default_region: str = "FR"
    optout: OptoutSettings = OptoutSettings()


class HandlerSettings(BaseSettings):
    """What event handlers read: the same variables, without the connection settings that
    the runner already holds (handlers also run in tests and tools without them)."""

    model_config = settings_config("receipts")

    default_region: str = "FR"
    optout: OptoutSettings = OptoutSettings()


@lru_cache
def get_settings() -> ReceiptsSettings:
    return ReceiptsSettings()


@lru_cache
def get_handler_settings() -> HandlerSettings:
    return HandlerSettings()
