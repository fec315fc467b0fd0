import socket
from collections.abc import Iterator

import pytest

from herald_stack.ports import (
    PortInUse,
    ensure_ports_free,
    free_port,
    is_listening,
    port_in_use,
    wait_for_port,
)


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_free_port_is_free() -> None:
    port = free_port()

    assert not port_in_use(port)
    assert not is_listening(port)


def test_a_listening_port_is_in_use(listener: int) -> None:
    assert port_in_use(listener)
    assert is_listening(listener)


def test_taken_port_message_names_its_owner_and_the_way_out(listener: int) -> None:
    with pytest.raises(PortInUse) as caught:
        ensure_ports_free({free_port(): "kafka", listener: "contacts api"})

    assert str(caught.value) == (
        f"port {listener} is already in use (contacts api); "
        "stop what holds it or run `herald-stack down`"
    )


def test_wait_for_port(listener: int) -> None:
    assert wait_for_port(listener, timeout=1)
    assert not wait_for_port(free_port(), timeout=0.3)


def test_wait_for_port_gives_up_when_the_process_died() -> None:
    assert not wait_for_port(free_port(), timeout=30, alive=lambda: False)
