"""`herald-contacts api|consumer|relay|migrate`."""

from __future__ import annotations

from pathlib import Path

from herald_contacts.events.subscriptions import groups
from herald_contacts.imports.cli_upload import import_file
from herald_contacts.imports.runner import run_imports
from herald_contacts.settings import get_settings
from herald_kit.cli import service_cli

SERVICE_DIR = Path(__file__).resolve().parents[2]

cli = service_cli(
    service="contacts",
    load_settings=get_settings,
    app_factory="herald_contacts.main:create_app",
    groups=groups,
    alembic_ini=SERVICE_DIR / "alembic.ini",
    background=lambda: [run_imports],
)
cli.command("import")(import_file)


def main() -> None:
    cli()
