"""`herald-analytics api|consumer|relay|migrate`."""

from __future__ import annotations

from pathlib import Path

from herald_analytics.events.subscriptions import groups
from herald_analytics.settings import get_settings
from herald_kit.cli import service_cli

SERVICE_DIR = Path(__file__).resolve().parents[2]

cli = service_cli(
    service="analytics",
    load_settings=get_settings,
    app_factory="herald_analytics.main:create_app",
    groups=groups,
    alembic_ini=SERVICE_DIR / "alembic.ini",
)


def main() -> None:
    cli()
