"""Segment counts on 1M contacts: p50 and p95 of five representative filters.

    uv run python bench/segment_count.py [--contacts 1000000] [--runs 20] [--explain]

Starts its own PostgreSQL (a temporary folder, a free port), runs the contacts migrations,
loads one workspace's contacts with COPY (plus a smaller second workspace, so that scoping
is part of the work), VACUUM ANALYZEs, then times what `POST /v1/segments/count` runs: the
same validation, compiler, query and session settings (`segment_service.count`), each count
in its own transaction, after one warm-up run per filter. Prints `figure: value unit` lines;
target p95 <= 1000 ms, goal <= 300 ms (issue 3).

Distributions (seeded, so every run loads the same data): 80 % French numbers, the rest
Belgian, Swiss and overseas; lifecycle 60/30/10 % prospect/customer/member; 0-4 tags among
20 and 0-3 lists among 10 with skewed popularity; 40 % have ordered (geometric counts, last
order within two years); 30 % clicked within six months, 5 % replied; attributes tier (half
of contacts), points (70 %), vip (40 %), birthday (30 %); 3 % unreachable numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from pydantic import SecretStr

from herald_contacts import segment_service
from herald_kit.db import make_engine, make_sessionmaker, transaction
from herald_kit.migrations import upgrade_head
from herald_kit.settings import DbSettings
from herald_stack.ports import free_port
from herald_stack.postgres import PostgresCluster

ROOT = Path(__file__).resolve().parents[1]
ALEMBIC_INI = ROOT / "services" / "contacts" / "alembic.ini"
WORKSPACE = "ws-bench"
OTHER_WORKSPACE = "ws-bench-other"
CHUNK = 50_000
TARGET_MS = 1000
GOAL_MS = 300

FILTERS: dict[str, dict[str, Any]] = {
    # "French customers who clicked in the last 30 days"
    "fr_customers_clicked_30d": {
        "all": [
            {"field": "country", "op": "eq", "value": "FR"},
            {"field": "lifecycle", "op": "eq", "value": "customer"},
            {"field": "last_click_at", "op": "within_last_days", "value": 30},
        ]
    },
    # "VIPs or newsletter readers, not on the Black Friday list"
    "tags_any_without_list": {
        "all": [
            {"field": "tags", "op": "has_any", "value": ["vip", "newsletter"]},
            {"field": "lists", "op": "has_none", "value": ["black-friday-2025"]},
        ]
    },
    # "Buyers with no order since 60 days" (never-ordered contacts are excluded by orders>=1)
    "lapsed_buyers_60d": {
        "all": [
            {"field": "orders_count", "op": "gte", "value": 1},
            {"field": "last_order_at", "op": "not_within_last_days", "value": 60},
        ]
    },
    # "Gold tier with over 1000 points"
    "gold_tier_high_points": {
        "all": [
            {"field": "attributes.tier", "op": "eq", "value": "gold"},
            {"field": "attributes.points", "op": "gt", "value": 1000},
        ]
    },
    # "Overseas, or new in Paris time, who spent over 100 €, never blocked"
    "overseas_or_new_spenders": {
        "all": [
            {
                "any": [
                    {"field": "country", "op": "in", "value": ["RE", "GP", "MQ", "GF"]},
                    {
                        "all": [
                            {"field": "created_at", "op": "within_last_days", "value": 90},
                            {"field": "timezone", "op": "eq", "value": "Europe/Paris"},
                        ]
                    },
                ]
            },
            {"field": "total_spent", "op": "gt", "value": 100},
            {"not": {"field": "tags", "op": "has", "value": "blocked"}},
        ]
    },
}

COUNTRIES = [
    ("FR", "Europe/Paris", "+336", 80),
    ("BE", "Europe/Brussels", "+324", 5),
    ("CH", "Europe/Zurich", "+417", 3),
    ("RE", "Indian/Reunion", "+262692", 4),
    ("GP", "America/Guadeloupe", "+590690", 3),
    ("MQ", "America/Martinique", "+596696", 3),
    ("GF", "America/Cayenne", "+594694", 2),
]
TAGS = [
    "newsletter", "vip", "new", "loyal", "sms-optin-web", "store-paris", "store-lyon",
    "store-lille", "promo-lover", "mobile-app", "blocked", "wholesale", "student", "family",
    "sport", "beauty", "kids", "outdoor", "tech", "gift",
]  # fmt: skip
LISTS = [
    "black-friday-2025", "summer-2026", "winter-sales", "loyalty-club", "app-users",
    "event-paris", "event-lyon", "vip-preview", "reactivation", "birthday-club",
]  # fmt: skip
COLUMNS = [
    "id", "workspace_id", "phone", "country", "timezone", "locale", "first_name", "last_name",
    "email", "attributes", "tags", "lists", "lifecycle", "timezone_source", "timezone_ambiguous",
    "orders_count", "total_spent", "last_order_at", "last_click_at", "last_reply_at", "reachable",
    "unreachable_reason", "unreachable_at", "created_at", "updated_at",
]  # fmt: skip
FIRST_NAMES = ["Camille", "Léa", "Manon", "Hugo", "Lucas", "Louis", "Chloé", "Inès", "Jade", "Tom"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"]


def _subsets(rng: random.Random, names: list[str], n: int, top: float) -> list[list[str]]:
    """Each name held by a share of rows that falls with its rank (Zipf-like)."""
    rows: list[list[str]] = [[] for _ in range(n)]
    for rank, name in enumerate(names, start=1):
        for index in rng.sample(range(n), int(n * top / rank**0.8)):
            rows[index].append(name)
    for row in rows:
        row.sort()
    return rows


def _records(rng: random.Random, workspace: str, first: int, n: int, now: datetime) -> list[Any]:
    countries = rng.choices(COUNTRIES, weights=[c[3] for c in COUNTRIES], k=n)
    lifecycles = rng.choices(["prospect", "customer", "member"], weights=[60, 30, 10], k=n)
    tags = _subsets(rng, TAGS, n, 0.35)
    lists = _subsets(rng, LISTS, n, 0.25)
    records = []
    for i in range(n):
        country, zone, prefix, _ = countries[i]
        number = first + i
        orders = 0 if rng.random() < 0.6 else 1 + int(math.log(1 - rng.random()) / math.log(0.7))
        attributes: dict[str, Any] = {}
        roll = rng.random()
        if roll < 0.5:
            attributes["tier"] = "gold" if roll < 0.05 else "silver" if roll < 0.2 else "bronze"
        if rng.random() < 0.7:
            attributes["points"] = int(rng.expovariate(1 / 400))
        if rng.random() < 0.4:
            attributes["vip"] = rng.random() < 0.2
        if rng.random() < 0.3:
            birthday = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
            attributes["birthday"] = birthday.isoformat()
        reachable = rng.random() >= 0.03
        created = now - timedelta(days=rng.random() * 3 * 365)
        records.append(
            (
                uuid.uuid4(),
                workspace,
                f"{prefix}{number:08d}",
                country,
                zone,
                "fr" if country != "BE" or rng.random() < 0.6 else "nl-BE",
                rng.choice(FIRST_NAMES),
                rng.choice(LAST_NAMES),
                f"c{number}@example.fr" if rng.random() < 0.7 else None,
                json.dumps(attributes),
                tags[i],
                lists[i],
                lifecycles[i],
                "phone_prefix",
                False,
                orders,
                Decimal(orders * rng.randint(1500, 12000)) / 100,
                now - timedelta(days=rng.random() * 730) if orders else None,
                now - timedelta(days=rng.expovariate(1 / 45)) if rng.random() < 0.3 else None,
                now - timedelta(days=rng.random() * 180) if rng.random() < 0.05 else None,
                reachable,
                None if reachable else "sms.failed 0x0000000B: invalid destination address",
                None if reachable else now,
                created,
                created,
            )
        )
    return records


def _chunks(total: int) -> Iterator[tuple[int, int]]:
    for first in range(0, total, CHUNK):
        yield first, min(CHUNK, total - first)


async def drop_indexes(dsn: str, names: list[str]) -> None:
    """To measure what an index buys: `--drop-index ix_contact_tags`."""
    connection = await asyncpg.connect(dsn.replace("postgresql+asyncpg", "postgresql"))
    try:
        for name in names:
            if not re.fullmatch(r"ix_contact_\w+", name):
                raise SystemExit(f"not an index of contact: {name!r}")
            await connection.execute(f"DROP INDEX {name}")
    finally:
        await connection.close()


async def load(dsn: str, contacts: int, others: int) -> float:
    started = time.perf_counter()
    connection = await asyncpg.connect(dsn.replace("postgresql+asyncpg", "postgresql"))
    try:
        rng, now = random.Random(42), datetime.now(UTC)
        for workspace, total, offset in (
            (WORKSPACE, contacts, 0),
            (OTHER_WORKSPACE, others, 5 * 10**7),
        ):
            for first, n in _chunks(total):
                records = _records(rng, workspace, offset + first, n, now)
                await connection.copy_records_to_table("contact", records=records, columns=COLUMNS)
        for name, kind in (
            ("tier", "string"),
            ("points", "number"),
            ("vip", "boolean"),
            ("birthday", "date"),
        ):
            for workspace in (WORKSPACE, OTHER_WORKSPACE):
                await connection.execute(
                    "INSERT INTO attribute_definition VALUES ($1, $2, $3, now(), now())",
                    workspace, name, kind,
                )  # fmt: skip
        await connection.execute("VACUUM ANALYZE contact")
    finally:
        await connection.close()
    return time.perf_counter() - started


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def measure(dsn: str, runs: int, explain: bool) -> None:
    engine = make_engine(DbSettings(url=SecretStr(dsn)))
    sessions = make_sessionmaker(engine)
    try:
        for name, raw in FILTERS.items():
            timings: list[float] = []
            matching = 0
            for run in range(runs + 1):
                started = time.perf_counter()
                async with transaction(sessions) as session:
                    result = await segment_service.count(session, WORKSPACE, raw, False)
                elapsed = (time.perf_counter() - started) * 1000
                if run:  # the first run warms the caches
                    timings.append(elapsed)
                matching = result.count
            if explain:
                await _explain(sessions, raw)
            print(f"segment_count_matching_{name}: {matching} contacts")
            print(f"segment_count_p50_{name}: {_percentile(timings, 0.5):.1f} ms")
            print(f"segment_count_p95_{name}: {_percentile(timings, 0.95):.1f} ms", flush=True)
    finally:
        await engine.dispose()


async def _explain(sessions: Any, raw: dict[str, Any]) -> None:
    """EXPLAIN ANALYZE of the count query, run with its bound values on the raw driver."""
    import sqlalchemy as sa

    from herald_contacts.models import Contact

    async with transaction(sessions) as session:
        node = await segment_service.checked_filter(session, WORKSPACE, raw)
        condition = segment_service.audience_condition(node, datetime.now(UTC), False)
        query = (
            sa.select(sa.func.count())
            .select_from(Contact)
            .where(Contact.workspace_id == WORKSPACE, condition)
        )
        connection = await session.connection()
        compiled = query.compile(dialect=connection.dialect)
        values = [compiled.params[name] for name in compiled.positiontup or ()]
        values = [json.dumps(v) if isinstance(v, dict) else v for v in values]
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        plan = await driver.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", *values)
        print("\n".join(row[0] for row in plan), file=sys.stderr)


async def _set_shared_buffers(cluster: PostgresCluster, size: str) -> None:
    """Takes effect at the next start."""
    if not re.fullmatch(r"\d+(kB|MB|GB)", size):
        raise SystemExit(f"--shared-buffers: not a size such as 1GB: {size!r}")
    dsn = cluster.dsn("postgres").replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f"ALTER SYSTEM SET shared_buffers = '{size}'")
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--others", type=int, default=100_000, help="in a second workspace")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--explain", action="store_true", help="query plans on stderr")
    parser.add_argument("--drop-index", action="append", default=[], metavar="NAME")
    parser.add_argument(
        "--shared-buffers",
        default="1GB",
        help="PostgreSQL shared_buffers, as a server holding 1M contacts would be set ('' for "
        "the 128MB default)",
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="herald-bench-pg-"))
    folder.chmod(0o755)
    cluster = PostgresCluster(folder, free_port())
    try:
        cluster.start(die_with_parent=True)
        if args.shared_buffers:
            asyncio.run(_set_shared_buffers(cluster, args.shared_buffers))
            cluster.stop()
            cluster.start(die_with_parent=True)
        cluster.create_database("contacts_bench")
        dsn = cluster.dsn("contacts_bench")
        upgrade_head(ALEMBIC_INI, dsn)
        seconds = asyncio.run(load(dsn, args.contacts, args.others))
        asyncio.run(drop_indexes(dsn, args.drop_index))
        print(f"segment_count_contacts: {args.contacts} contacts")
        print(f"segment_count_shared_buffers: {args.shared_buffers or 'default (128MB)'}")
        print(f"segment_count_load_seconds: {seconds:.1f} s", flush=True)
        asyncio.run(measure(dsn, args.runs, args.explain))
        print(f"segment_count_target_p95: {TARGET_MS} ms")
        print(f"segment_count_goal_p95: {GOAL_MS} ms")
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
