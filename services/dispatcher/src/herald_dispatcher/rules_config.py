"""Sending rules as configured: rule packs by name with their options, and frequency caps.

The same models check the deployment's settings (`HERALD_DISPATCHER_COMPLIANCE__*`, at
start-up) and a workspace's own rules (`PUT /v1/sending-rules`, when saved): a pack name or
option herald_compliance does not know is refused there, never discovered at send time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from herald_compliance.frequency_caps import Cap
from herald_compliance.rule_packs import RulePack, pack
from herald_dispatcher.domain.sending_rules import RuleSet


class PackConfig(BaseModel):
    """A rule pack of herald_compliance (`FR-strict`, `FR-af2m-2024`, `FR-af2m-2026`,
    `US-TCPA`, `default`) and its options (docs/compliance.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(examples=["FR-strict"])
    options: dict[str, Any] = Field(default_factory=dict, examples=[{}])

    @model_validator(mode="after")
    def _known(self) -> PackConfig:
        self.build()  # UnknownRulePack / InvalidPackOptions are ValueErrors: refused here
        return self

    def build(self) -> RulePack:
        return pack(self.name, self.options)


class CapConfig(BaseModel):
    """At most `limit` messages of `category` ('*': every category) to one contact in any
    rolling `window` (seconds or ISO 8601, e.g. `P30D`). Soft caps (the default: marketing
    budgets) let `high` priority messages through; hard ones never do."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: str = Field(pattern=r"^(marketing|transactional|\*)$", examples=["marketing"])
    limit: int = Field(ge=1, le=10_000, examples=[4])
    window: timedelta = Field(examples=["P30D"])
    same_subject: bool = False
    hard: bool = False
    label: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _positive(self) -> CapConfig:
        if self.window <= timedelta(0):
            raise ValueError("window: a cap's window must be positive")
        return self

    def build(self) -> Cap:
        return Cap(self.category, self.limit, self.window, self.same_subject, self.hard, self.label)


class SendingRulesConfig(BaseModel):
    """The packs tried in order for each recipient (the first that covers the number's
    country applies) and the frequency caps."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    packs: list[PackConfig] = Field(min_length=1, max_length=20)
    caps: list[CapConfig] = Field(default_factory=list, max_length=20)

    def build(self) -> RuleSet:
        return RuleSet(
            packs=tuple(p.build() for p in self.packs), caps=tuple(c.build() for c in self.caps)
        )
