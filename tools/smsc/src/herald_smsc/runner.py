"""Run the SMPP server and the control API (uvicorn) in one asyncio process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn

from herald_smsc.config import ServerSettings
from herald_smsc.control import create_app
from herald_smsc.server import SmscServer

log = logging.getLogger("herald_smsc")


class _ControlServer(uvicorn.Server):
    """uvicorn without its own signal handling: the simulator owns SIGINT/SIGTERM, so that
    embedding it (tests) leaves the host's handlers alone and shutdown stays orderly."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Simulator:
    """The whole simulator; ``port 0`` in the settings picks free ports (for tests)."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.smsc = SmscServer(settings)
        self.app = create_app(self.smsc)
        self._http_socket: socket.socket | None = None
        self._http: uvicorn.Server | None = None
        self._http_task: asyncio.Task[None] | None = None

    @property
    def host(self) -> str:
        return self.settings.host

    @property
    def smpp_port(self) -> int:
        return self.smsc.port

    @property
    def http_port(self) -> int:
        if self._http_socket is None:
            return self.settings.http_port
        port: int = self._http_socket.getsockname()[1]
        return port

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    async def start(self) -> None:
        if not self.settings.is_loopback:
            log.warning("listening on non-loopback host %s: the simulator has no auth", self.host)
        await self.smsc.start()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.settings.http_port))
        sock.listen(128)
        sock.setblocking(False)
        self._http_socket = sock
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="none",
            timeout_graceful_shutdown=2,
        )
        self._http = _ControlServer(config)
        self._http_task = asyncio.create_task(
            self._http.serve(sockets=[sock]), name="smsc-control-api"
        )
        while not self._http.started:
            if self._http_task.done():
                await self._http_task  # surfaces the start-up error
                raise RuntimeError("control API stopped during start-up")
            await asyncio.sleep(0.01)
        log.info("control API on %s", self.http_url)

    async def stop(self) -> None:
        if self._http is not None and self._http_task is not None:
            self._http.should_exit = True
            await self._http_task
        self._http = None
        self._http_task = None
        if self._http_socket is not None:
            self._http_socket.close()
            self._http_socket = None
        await self.smsc.stop()

    async def wait(self) -> None:
        """Until the control API task ends."""
        if self._http_task is not None:
            await self._http_task


@contextlib.asynccontextmanager
async def running(settings: ServerSettings) -> AsyncIterator[Simulator]:
    simulator = Simulator(settings)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


async def serve(settings: ServerSettings) -> None:
    """Run until SIGINT/SIGTERM, then stop both servers."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    simulator = Simulator(settings)
    await simulator.start()
    try:
        stopped = asyncio.create_task(stop.wait())
        waiting = asyncio.create_task(simulator.wait())
        await asyncio.wait({stopped, waiting}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        log.info("shutting down")
    finally:
        await simulator.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
