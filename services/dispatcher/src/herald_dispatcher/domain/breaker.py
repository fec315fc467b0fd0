"""A circuit breaker per route: stop claiming messages while the gateway misbehaves.

Closed: send freely. A response timeout or a lost connection opens it for a cool-down
(doubling up to a ceiling while failures repeat), during which nothing is claimed, so a
blackholing SMSC costs one window of in-doubt messages, not a stream of them. After the
cool-down it is half-open: one message at a time, and the first success closes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class Breaker:
    cooldown_s: float = 5.0
    max_cooldown_s: float = 60.0
    _opened_at: float | None = None
    _current_cooldown: float = 0.0

    def state(self, now: float) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if now - self._opened_at < self._current_cooldown:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def allowance(self, now: float, free: int) -> int:
        """How many more messages may be in flight, given `free` window slots."""
        state = self.state(now)
        if state is BreakerState.CLOSED:
            return free
        if state is BreakerState.OPEN:
            return 0
        return min(free, 1)

    def failure(self, now: float) -> None:
        if self._opened_at is None:
            self._current_cooldown = self.cooldown_s
        elif self.state(now) is BreakerState.HALF_OPEN:
            self._current_cooldown = min(self._current_cooldown * 2, self.max_cooldown_s)
        self._opened_at = now

    def success(self, now: float) -> None:
        if self.state(now) is not BreakerState.OPEN:
            self._opened_at = None
            self._current_cooldown = 0.0
