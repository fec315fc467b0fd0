"""`herald-consent api|consumer|relay|migrate`."""

from __future__ import annotations

from pathlib import Path

from herald_consent.events.subscriptions import groups
from herald_consent.settings import get_settings
from herald_kit.cli import service_cli

SERVICE_DIR = Path(__file__).resolve().parents[2]

cli = service_cli(
    service="consent",
    load_settings=get_settings,
    app_factory="herald_consent.main:create_app",
    groups=groups,
    alembic_ini=SERVICE_DIR / "alembic.ini",
)


def main() -> None:
    cli()
