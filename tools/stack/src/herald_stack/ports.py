"""Loopback ports: find free ones for tests, refuse to start on taken ones."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping

from herald_stack.errors import StackError

HOST = "127.0.0.1"


class PortInUse(StackError):
    """Something we did not start already holds a port the stack needs."""


def free_port() -> int:
    """A port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports: every socket stays bound until all are picked (two calls
    of free_port() in a row may get the same port back from the kernel)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_in_use(port: int) -> bool:
    """True when binding 127.0.0.1:port fails: a listener (on any address) holds it.

    SO_REUSEADDR keeps lingering TIME_WAIT connections from counting as "in use".
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
        return False


def is_listening(port: int, timeout: float = 0.5) -> bool:
    """True when a TCP connection to 127.0.0.1:port succeeds."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_ports_free(owners: Mapping[int, str]) -> None:
    """Fail on the first taken port, naming who needed it. `owners` maps port to its user."""
    for port, owner in owners.items():
        if port_in_use(port):
            raise PortInUse(
                f"port {port} is already in use ({owner}); "
                "stop what holds it or run `herald-stack down`"
            )


def wait_for_port(port: int, timeout: float, alive: Callable[[], bool] | None = None) -> bool:
    """Poll until the port accepts connections. False on timeout or when `alive()` turns false."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_listening(port):
            return True
        if alive is not None and not alive():
            return False
        time.sleep(0.1)
    return False
