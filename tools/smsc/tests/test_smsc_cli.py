"""``herald-smsc`` as a real process (uvloop, signals), the way the stack runs it."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys

import httpx
import smpp34
from typer.testing import CliRunner

from herald_smsc.cli import app


def _free_ports() -> tuple[int, int]:
    """Two distinct free ports (both sockets bound before either is released)."""
    with socket.socket() as one, socket.socket() as two:
        one.bind(("127.0.0.1", 0))
        two.bind(("127.0.0.1", 0))
        return int(one.getsockname()[1]), int(two.getsockname()[1])


def test_help_lists_the_flags() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for flag in ("--smpp-port", "--http-port", "--host", "--system-id", "--password"):
        assert flag in result.output


async def test_process_serves_smpp_and_http_then_stops_on_sigterm() -> None:
    smpp_port, http_port = _free_ports()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "herald_smsc.cli",
        "--smpp-port",
        str(smpp_port),
        "--http-port",
        str(http_port),
        "--password",
        "pw",
        "--dlr-delay-ms",
        "0",
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as api:
            for _ in range(100):
                try:
                    if (await api.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            client = smpp34.Client("127.0.0.1", smpp_port, "herald", "pw", bind_type="TRX")
            session = await client.connect()
            resp = await session.submit_sm("33612345678", b"hi", registered_delivery=1)
            assert resp.is_success
            receipt = await asyncio.wait_for(session.next(), 5)
            assert isinstance(receipt, smpp34.DeliverSmEvent)
            assert (await api.get("/ledger/summary")).json()["dlr_acked"] == 1
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 0, stderr.decode()
    logs = stderr.decode()
    assert f"SMPP listening on 127.0.0.1:{smpp_port}" in logs
    assert "33612345678" not in logs
