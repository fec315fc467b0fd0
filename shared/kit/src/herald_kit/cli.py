"""The one command-line shape of every service: `api`, `consumer`, `relay`, `migrate`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import typer
import uvicorn

from herald_kit.consumer import Subscription
from herald_kit.migrations import upgrade_head
from herald_kit.settings import ServiceSettings
from herald_kit.worker import BackgroundTask, run_consumers, run_relay


def service_cli(
    *,
    service: str,
    load_settings: Callable[[], ServiceSettings],
    app_factory: str,
    groups: Callable[[], Mapping[str, Sequence[Subscription]]],
    alembic_ini: Path,
    background: Callable[[], Sequence[BackgroundTask]] = lambda: (),
) -> typer.Typer:
    cli = typer.Typer(help=f"Herald {service} service", no_args_is_help=True, add_completion=False)

    @cli.command()
    def api() -> None:
        """Serve the HTTP API."""
        settings = load_settings()
        uvicorn.run(
            app_factory,
            factory=True,
            host=settings.api.host,
            port=settings.api.port,
            log_config=None,
            access_log=False,
            proxy_headers=True,
        )

    @cli.command()
    def consumer() -> None:
        """Handle the events this service subscribes to."""
        asyncio.run(run_consumers(service, load_settings(), groups(), background()))

    @cli.command()
    def relay() -> None:
        """Publish this service's outbox to Kafka."""
        asyncio.run(run_relay(service, load_settings()))

    @cli.command()
    def migrate() -> None:
        """Apply the database migrations, then exit."""
        upgrade_head(alembic_ini)
        typer.echo(f"{service}: database migrated to head")

    return cli
