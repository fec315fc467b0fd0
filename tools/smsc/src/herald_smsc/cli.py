"""``herald-smsc``: run the SMSC simulator (SMPP + control API in one asyncio process)."""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum
from typing import Annotated

import typer
from pydantic import ValidationError

from herald_smsc.config import (
    DEFAULT_HOST,
    DEFAULT_HTTP_PORT,
    DEFAULT_SMPP_PORT,
    ServerSettings,
)
from herald_smsc.runner import serve

app = typer.Typer(add_completion=False, help=__doc__)


class IdFormat(StrEnum):
    HEX = "hex"
    DECIMAL = "decimal"
    UUID = "uuid"


@app.command()
def run(
    host: Annotated[str, typer.Option(help="Address for both listeners (keep it loopback).")] = (
        DEFAULT_HOST
    ),
    smpp_port: Annotated[int, typer.Option(help="SMPP port.")] = DEFAULT_SMPP_PORT,
    http_port: Annotated[int, typer.Option(help="Control API port.")] = DEFAULT_HTTP_PORT,
    system_id: Annotated[
        str | None, typer.Option(help="Only accept binds with this system_id (default: any).")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help="Only accept binds with this password (default: any).",
            envvar="HERALD_SMSC_PASSWORD",
        ),
    ] = None,
    smsc_system_id: Annotated[
        str, typer.Option(help="system_id the SMSC answers binds with.")
    ] = "HERALDSMSC",
    dlr_delay_ms: Annotated[int, typer.Option(help="Delay before a delivery receipt.")] = 200,
    delivered: Annotated[float, typer.Option(help="Weight of DELIVRD receipts.")] = 1.0,
    undeliverable: Annotated[float, typer.Option(help="Weight of UNDELIV receipts.")] = 0.0,
    expired: Annotated[float, typer.Option(help="Weight of EXPIRED receipts.")] = 0.0,
    message_id_format: Annotated[
        IdFormat, typer.Option(help="Format of the message ids given in submit_sm_resp.")
    ] = IdFormat.HEX,
    deliver_window: Annotated[
        int, typer.Option(help="Max unacknowledged deliver_sm per session.")
    ] = 64,
    tcp_quickack: Annotated[
        bool,
        typer.Option(help="ACK every read at once (benchmarks with Nagle-bound clients)."),
    ] = False,
    log_level: Annotated[str, typer.Option(help="DEBUG logs every submit (numbers masked).")] = (
        "INFO"
    ),
) -> None:
    """Run the SMSC simulator until SIGINT/SIGTERM."""
    logging.basicConfig(
        level=log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        settings = ServerSettings.model_validate(
            {
                "host": host,
                "smpp_port": smpp_port,
                "http_port": http_port,
                "system_id": system_id,
                "password": password,
                "smsc_system_id": smsc_system_id,
                "deliver_window": deliver_window,
                "tcp_quickack": tcp_quickack,
                "initial": {
                    "dlr_delay_ms": dlr_delay_ms,
                    "outcomes": {
                        "delivered": delivered,
                        "undeliverable": undeliverable,
                        "expired": expired,
                    },
                    "message_id_format": message_id_format.value,
                },
            }
        )
    except ValidationError as error:
        raise typer.BadParameter(str(error)) from error
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard] on POSIX
        asyncio.run(serve(settings))
    else:
        uvloop.run(serve(settings))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
