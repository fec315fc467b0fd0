"""The relay's wake-up: LISTEN on the channel the outbox trigger notifies at each commit.

A relay that found nothing sleeps until a commit wrote outbox rows instead of polling every
50 ms: six idle relays polling cost about a third of a core on a 2-core machine, and a
notified relay publishes at once instead of up to a poll later. The listening connection is
checked every few seconds and opened again when lost; while it is down the relay polls as
before, so a lost notification delays an event by one poll at most.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from herald_kit.logs import get_logger
from herald_kit.tables import OUTBOX_CHANNEL

log = get_logger(__name__)

CHECK_EVERY_S = 5.0
RECONNECT_MIN_S = 0.5
RECONNECT_MAX_S = 10.0


class OutboxNotifications:
    def __init__(self, engine: AsyncEngine, channel: str = OUTBOX_CHANNEL) -> None:
        self.engine = engine
        self.channel = channel
        self.listening = False
        self._notified = asyncio.Event()

    def arm(self) -> None:
        """Forget notifications seen so far: call right before looking at the outbox, so that
        a commit during the look wakes the next `wait`."""
        self._notified.clear()

    async def wait(self, seconds: float) -> None:
        """Until a commit wrote outbox rows since `arm`, or `seconds`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._notified.wait(), seconds)

    def wake(self) -> None:
        """End the current `wait` now (the relay is stopping)."""
        self._notified.set()

    def _on_notify(self, *_: Any) -> None:
        self._notified.set()

    async def run(self, stopping: asyncio.Event) -> None:
        """Keep a connection listening until `stopping` is set."""
        backoff = RECONNECT_MIN_S
        while not stopping.is_set():
            try:
                async with self.engine.connect() as connection:
                    raw = await connection.get_raw_connection()
                    driver = raw.driver_connection
                    assert driver is not None
                    await driver.add_listener(self.channel, self._on_notify)
                    self.listening = True
                    self._notified.set()  # rows may have come while nobody listened
                    backoff = RECONNECT_MIN_S
                    while not stopping.is_set():
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stopping.wait(), CHECK_EVERY_S)
                        await driver.execute("SELECT 1")  # a dead connection raises here
                    await driver.remove_listener(self.channel, self._on_notify)
            except Exception as error:
                log.warning("relay.listen_lost", error=repr(error), retry_in=backoff)
            finally:
                self.listening = False
                self._notified.set()  # the relay goes back to polling at once
            if not stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), backoff)
                backoff = min(backoff * 2, RECONNECT_MAX_S)
