"""`herald-consent api|consumer|relay|migrate`, and `herald-consent ledger verify`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from herald_consent import chain
from herald_consent.events.subscriptions import groups
from herald_consent.settings import LedgerToolSettings, get_settings
from herald_kit.cli import service_cli
from herald_kit.db import make_engine, make_sessionmaker, transaction

SERVICE_DIR = Path(__file__).resolve().parents[2]

cli = service_cli(
    service="consent",
    load_settings=get_settings,
    app_factory="herald_consent.main:create_app",
    groups=groups,
    alembic_ini=SERVICE_DIR / "alembic.ini",
)
ledger = typer.Typer(help="The hash-chained consent ledger.", no_args_is_help=True)
cli.add_typer(ledger, name="ledger")


async def _verify(workspace: str | None) -> list[chain.Verification]:
    engine = make_engine(LedgerToolSettings().db)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            return await chain.verify_ledger(session, workspace)
    finally:
        await engine.dispose()


@ledger.command("verify")
def verify(
    workspace: Annotated[
        str | None, typer.Option(help="Verify this workspace only (default: every one).")
    ] = None,
) -> None:
    """Walk each workspace's hash chain; print its head, or its first broken entry with
    the expected and found values. Exit code 1 when any chain is broken."""
    results = asyncio.run(_verify(workspace))
    for result in results:
        typer.echo(result.describe())
    if not results:
        typer.echo("no ledger entries")
    if any(not result.valid for result in results):
        raise typer.Exit(code=1)


def main() -> None:
    cli()
