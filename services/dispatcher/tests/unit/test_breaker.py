"""The route breaker: how many messages may go out while the gateway misbehaves."""

from __future__ import annotations

import random

from herald_dispatcher.domain.breaker import Breaker, BreakerState
from herald_dispatcher.domain.retry import retry_delay


class TestBreaker:
    def test_closed_lets_the_whole_window_go(self) -> None:
        assert Breaker().allowance(0.0, 50) == 50

    def test_a_failure_opens_it_then_one_message_probes(self) -> None:
        breaker = Breaker(cooldown_s=5)
        breaker.failure(10.0)
        assert breaker.state(12.0) is BreakerState.OPEN
        assert breaker.allowance(12.0, 50) == 0
        assert breaker.state(15.0) is BreakerState.HALF_OPEN
        assert breaker.allowance(15.0, 50) == 1
        breaker.success(15.1)
        assert breaker.allowance(15.2, 50) == 50

    def test_a_failed_probe_doubles_the_cool_down(self) -> None:
        breaker = Breaker(cooldown_s=5, max_cooldown_s=8)
        breaker.failure(0.0)
        breaker.failure(5.0)  # half-open probe failed: 5 s doubled, capped at 8
        assert breaker.state(12.0) is BreakerState.OPEN
        assert breaker.state(13.0) is BreakerState.HALF_OPEN
        breaker.failure(13.0)  # failed again: still capped at 8
        assert breaker.state(20.5) is BreakerState.OPEN
        assert breaker.state(21.0) is BreakerState.HALF_OPEN

    def test_a_late_success_does_not_close_an_open_breaker(self) -> None:
        breaker = Breaker(cooldown_s=5)
        breaker.failure(0.0)
        breaker.success(1.0)
        assert breaker.state(1.0) is BreakerState.OPEN


class TestRetryDelay:
    def test_grows_exponentially_within_jitter_and_caps(self) -> None:
        rng = random.Random(1)
        for attempts, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (10, 60.0), (99, 60.0)):
            delay = retry_delay(attempts, 1.0, 60.0, rng)
            assert ceiling / 2 <= delay <= ceiling
