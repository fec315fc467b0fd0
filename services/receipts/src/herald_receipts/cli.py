"""`herald-receipts api|consumer|relay|migrate`."""

from __future__ import annotations

from pathlib import Path

from herald_kit.cli import service_cli
from herald_receipts.events.subscriptions import groups
from herald_receipts.settings import get_settings

SERVICE_DIR = Path(__file__).resolve().parents[2]

cli = service_cli(
    service="receipts",
    load_settings=get_settings,
    app_factory="herald_receipts.main:create_app",
    groups=groups,
    alembic_ini=SERVICE_DIR / "alembic.ini",
)


def main() -> None:
    cli()
