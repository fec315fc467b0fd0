"""Time-ordered identifiers (UUID version 7, RFC 9562).

Rows of big tables get ids that grow with time, so their primary-key index fills at its
right edge instead of at random pages: a million random UUIDs inserted into a table with two
UUID indexes cost PostgreSQL about twice the work (bench/import_csv.py). `UUID7_SQL` is the
same layout for ids made inside a statement.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Final

# 48-bit Unix time in milliseconds, version 7, 74 random bits (RFC 9562, section 5.7).
UUID7_SQL: Final = (
    "CAST(encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing "
    "substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3) "
    "from 1 for 6), 52, 1), 53, 1), 'hex') AS uuid)"
)


def uuid7() -> uuid.UUID:
    """A new version-7 UUID: ordered by its millisecond, random within it."""
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # variant (RFC 4122/9562)
    return uuid.UUID(int=value)
