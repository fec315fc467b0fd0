"""`herald-campaigns api|consumer|relay|migrate`."""

from __future__ import annotations

from pathlib import Path

from herald_campaigns.events.subscriptions import groups
from herald_campaigns.expansion import run_expansion
from herald_campaigns.settings import get_settings
from herald_kit.cli import service_cli

SERVICE_DIR = Path(__file__).resolve().parents[2]

cli = service_cli(
    service="campaigns",
    load_settings=get_settings,
    app_factory="herald_campaigns.main:create_app",
    groups=groups,
    alembic_ini=SERVICE_DIR / "alembic.ini",
    background=lambda: [run_expansion],
)


def main() -> None:
    cli()
