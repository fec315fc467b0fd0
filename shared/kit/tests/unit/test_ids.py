"""Version-7 UUIDs: the layout of RFC 9562 and the order of time."""

from __future__ import annotations

import time
import uuid

from herald_kit.ids import uuid7


def test_version_variant_and_time_prefix() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before <= value.int >> 80 <= after


def test_ids_of_later_milliseconds_sort_after_and_ids_are_unique() -> None:
    first = uuid7()
    time.sleep(0.002)
    second = uuid7()
    assert first < second
    assert len({uuid7() for _ in range(10_000)}) == 10_000
