"""`herald-dispatcher api|consumer|relay|migrate`; the consumer also runs the sender."""

from __future__ import annotations

from pathlib import Path

from herald_dispatcher.events.subscriptions import groups
from herald_dispatcher.sender import background_tasks
from herald_dispatcher.settings import get_settings
from herald_kit.cli import service_cli

SERVICE_DIR = Path(__file__).resolve().parents[2]

cli = service_cli(
    service="dispatcher",
    load_settings=get_settings,
    app_factory="herald_dispatcher.main:create_app",
    groups=groups,
    alembic_ini=SERVICE_DIR / "alembic.ini",
    background=background_tasks,
)


def main() -> None:
    cli()
