"""When to try a rejected message again: exponential backoff with full jitter."""

from __future__ import annotations

import random


def retry_delay(
    attempts: int, base_s: float, max_s: float, rng: random.Random | None = None
) -> float:
    """Seconds to wait before attempt `attempts + 1` (attempts >= 1): a random share of
    `base * 2^(attempts-1)`, at least half of it, capped at `max_s`."""
    ceiling = min(max_s, base_s * 2.0 ** max(0, min(attempts - 1, 30)))
    draw = rng.random() if rng is not None else random.random()
    return ceiling * (0.5 + 0.5 * draw)
