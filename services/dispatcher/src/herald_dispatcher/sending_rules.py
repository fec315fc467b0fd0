"""Which sending rules apply to a workspace's messages, read in the claim's transaction.

A workspace's own rules (`PUT /v1/sending-rules`, table `sending_rules`) win; else the
rules the deployment configures for it (`HERALD_DISPATCHER_COMPLIANCE__WORKSPACES`); else
the deployment's (`__PACKS`, `__CAPS`). A country none of a workspace's packs covers falls
to the deployment's packs. Built packs are cached per saved version, so the hot path only
reads one small row per workspace of the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Final

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from herald_dispatcher import repository
from herald_dispatcher.domain.sending_rules import RuleSet
from herald_dispatcher.rules_config import SendingRulesConfig
from herald_dispatcher.settings import ComplianceSettings
from herald_kit.logs import get_logger

log = get_logger(__name__)

# The longest window of a cap the packs' laws add (Florida's 3 per 24 h): the ledger is
# read at least this far back.
LEGAL_CAP_WINDOW: Final = timedelta(hours=24)


class WorkspaceRules:
    def __init__(self, default: RuleSet, configured: Mapping[str, RuleSet] | None = None) -> None:
        self.default = default
        self.configured = dict(configured or {})
        self._saved: dict[str, tuple[datetime, RuleSet]] = {}

    @classmethod
    def from_settings(cls, settings: ComplianceSettings) -> WorkspaceRules:
        return cls(
            settings.build(), {ws: rules.build() for ws, rules in settings.workspaces.items()}
        )

    async def for_workspaces(
        self, session: AsyncSession, workspace_ids: Iterable[str]
    ) -> dict[str, RuleSet]:
        ids = set(workspace_ids)
        rows = await repository.sending_rules_of(session, ids)
        rules: dict[str, RuleSet] = {}
        for workspace_id in ids:
            row = rows.get(workspace_id)
            if row is None:
                self._saved.pop(workspace_id, None)
                rules[workspace_id] = self.configured.get(workspace_id, self.default)
                continue
            cached = self._saved.get(workspace_id)
            if cached is None or cached[0] != row.updated_at:
                cached = (row.updated_at, self._build(workspace_id, row.packs, row.caps))
                self._saved[workspace_id] = cached
            rules[workspace_id] = cached[1]
        return rules

    def _build(self, workspace_id: str, packs: object, caps: object) -> RuleSet:
        try:
            return SendingRulesConfig.model_validate({"packs": packs, "caps": caps}).build()
        except ValidationError as error:
            # Checked when saved; a pack a later release no longer knows: the deployment's
            # rules apply rather than none.
            log.error(
                "dispatcher.sending_rules_invalid", workspace_id=workspace_id, error=str(error)
            )
            return self.configured.get(workspace_id, self.default)


def history_window(rule_sets: Iterable[RuleSet]) -> timedelta:
    """How far back the ledger must be read for every cap of these rules."""
    windows = [cap.window for rules in rule_sets for cap in rules.caps]
    return max([LEGAL_CAP_WINDOW, *windows])
