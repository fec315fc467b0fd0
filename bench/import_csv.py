"""CSV import of a generated 1M-row file with 5 % bad rows: rows/s and peak RSS.

    uv run python bench/import_csv.py [--rows 1000000] [--processes N]

Writes the file in a temporary folder (semicolon-separated UTF-8, the numbers in the formats
French files mix: `06 12 34 56 78`, `0612345678`, `+33 6…`, `+33 (0)6…`, `0033…`; a third of
the rows have an email; 2 % invalid numbers, 2 % duplicates of an earlier row, 1 % without a
number), starts its own PostgreSQL (free port, temporary folder), runs the contacts
migrations, stores the file through the upload use case the API runs (chunks in
`import_upload`), then runs the job with the worker's own code (`ImportRunner.run_once`:
claim, read, check in a process pool, COPY, merge with the outbox events, in one
transaction). The pool is started before the clock starts, as a running consumer's is.

Prints `figure: value unit` lines. import_rows_per_s counts every row of the file (good and
bad) over the job's run; the peak RSS is the benchmark process's (it uploads and runs the
job) and, separately, the largest validation process's. Targets (issue 3): >= 50,000 rows/s
and <= 500 MB; goal 100,000 rows/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import shutil
import tempfile
import time
import unicodedata
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Executor
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from pydantic import SecretStr

from herald_contacts.imports import publication, service
from herald_contacts.imports.runner import ImportRunner
from herald_contacts.imports.settings import ImportSettings
from herald_contacts.models import ImportJob
from herald_kit.db import make_engine, make_sessionmaker, transaction
from herald_kit.migrations import upgrade_head
from herald_kit.settings import DbSettings
from herald_stack.ports import free_port
from herald_stack.postgres import PostgresCluster

ROOT = Path(__file__).resolve().parents[1]
ALEMBIC_INI = ROOT / "services" / "contacts" / "alembic.ini"
WORKSPACE = "ws-bench-import"
TARGET_ROWS_PER_S = 50_000
GOAL_ROWS_PER_S = 100_000
TARGET_RSS_MB = 500
RUN_TIMEOUT_S = 600

# French mobile ranges phonenumbers knows as valid, and how files write a number.
PREFIXES = ("60", "61", "62", "64", "65", "66", "67", "68", "73", "74", "75", "76", "77", "78")
LAYOUTS = (
    lambda n: f"0{n[:1]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:9]}",
    lambda n: f"0{n}",
    lambda n: f"+33 {n[:1]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:9]}",
    lambda n: f"+33 (0){n}",
    lambda n: f"0033{n}",
    lambda n: f"0{n[:1]}.{n[1:3]}.{n[3:5]}.{n[5:7]}.{n[7:9]}",
)
FIRST = ("Élodie", "Jean", "Zoé", "Hugo", "Léa", "Noé", "Inès", "Paul", "Chloé", "Maëlys")
LAST = ("Martin", "Bernard", "Dubois", "Lefèvre", "Payet", "Hoarau", "Moreau", "Laurent")
BAD_NUMBERS = ("06 12", "bonjour", "+33 1", "0123", "06 12 34 56 78 90 12")


def national_number(n: int) -> str:
    """The n-th of distinct valid French mobiles (9 digits after the 0)."""
    prefix = PREFIXES[n % len(PREFIXES)]
    return prefix + f"{(n // len(PREFIXES) * 7919) % 10_000_000:07d}"


def rows(count: int) -> Iterator[str]:
    """Every 100 rows: 2 invalid numbers, 2 duplicates of an earlier row, 1 without one."""
    yield "Téléphone;Prénom;Nom;Email;Ville\n"
    fresh = 0
    for line in range(count):
        slot = line % 100
        if slot in (17, 71):
            phone = BAD_NUMBERS[line % len(BAD_NUMBERS)]
        elif slot in (33, 89) and fresh > 0:
            phone = LAYOUTS[line % len(LAYOUTS)](national_number(fresh // 2))
        elif slot == 50:
            phone = ""
        else:
            phone = LAYOUTS[line % len(LAYOUTS)](national_number(fresh))
            fresh += 1
        first, last = FIRST[line % len(FIRST)], LAST[line % len(LAST)]
        email = f"{ascii_name(first)}.{ascii_name(last)}{line}@example.fr" if line % 3 == 0 else ""
        yield f"{phone};{first};{last};{email};Saint-Denis\n"


def ascii_name(name: str) -> str:
    """How addresses spell names: no accents (Élodie: elodie)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def write_file(path: Path, count: int) -> int:
    with path.open("w", encoding="utf-8", newline="") as out:
        batch: list[str] = []
        for row in rows(count):
            batch.append(row)
            if len(batch) == 10_000:
                out.write("".join(batch))
                batch = []
        out.write("".join(batch))
    return path.stat().st_size


async def file_body(path: Path) -> AsyncIterator[bytes]:
    """The file as an HTTP body arrives: 64 KiB pieces."""
    with path.open("rb") as source:
        while piece := source.read(64 * 1024):
            yield piece


def warm(pool: Executor | None, processes: int) -> None:
    """Start every validation process and let it import what checking rows needs."""
    if pool is None:
        return
    futures = [pool.submit(_import_checks) for _ in range(processes * 2)]
    for future in futures:
        future.result()


def _import_checks() -> int:
    import herald_contacts.imports.validation  # noqa: F401

    return os.getpid()


async def run(dsn: str, path: Path, expected_rows: int, processes: int) -> None:
    engine = make_engine(DbSettings(url=SecretStr(dsn), pool_size=8))
    sessions = make_sessionmaker(engine)
    settings = ImportSettings(validation_processes=processes, lease_seconds=RUN_TIMEOUT_S)
    runner = ImportRunner(sessions, settings)
    try:
        started = time.perf_counter()
        async with transaction(sessions) as session:
            job = await service.create_import(
                session, WORKSPACE, service.ImportOptions(), file_body(path), settings
            )
        upload_s = time.perf_counter() - started
        warm(runner.pool(), processes)

        started = time.perf_counter()
        claimed = await asyncio.wait_for(runner.run_once(), RUN_TIMEOUT_S)
        run_s = time.perf_counter() - started
        # The contacts are committed; their contact.updated events are written after the
        # commit (publication.py), as the worker does before it claims its next job.
        started = time.perf_counter()
        announced = await asyncio.wait_for(publication.publish_pending(sessions), RUN_TIMEOUT_S)
        events_s = time.perf_counter() - started
        assert claimed, "the worker found no job"
        async with sessions() as session:
            done = await session.get(ImportJob, job.id)
        if done is None or done.status != "done":
            raise SystemExit(f"import did not finish: {done and (done.status, done.error)}")
        assert done.rows_read == expected_rows, (done.rows_read, expected_rows)
    finally:
        runner.close()
        await engine.dispose()

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size_mb = path.stat().st_size / 2**20  # noqa: ASYNC240 - once, after the measurement
    print(f"import_rows: {done.rows_read} rows")
    print(f"import_file_size: {size_mb:.1f} MB")
    print(f"import_validation_processes: {processes} processes")
    print(f"import_upload_mb_per_s: {size_mb / upload_s:.1f} MB/s")
    print(f"import_seconds: {run_s:.1f} s")
    print(f"import_rows_per_s: {done.rows_read / run_s:.0f} rows/s")
    print(f"import_events_seconds: {events_s:.1f} s")
    print(f"import_events_per_s: {announced / events_s:.0f} events/s")
    print(f"import_with_events_rows_per_s: {done.rows_read / (run_s + events_s):.0f} rows/s")
    print(f"import_imported: {done.imported} rows")
    print(f"import_rejected: {done.rejected} rows")
    print(f"import_peak_rss_mb: {own:.0f} MB")
    print(f"import_worker_peak_rss_mb: {children:.0f} MB")
    print(f"import_target_rows_per_s: {TARGET_ROWS_PER_S} rows/s")
    print(f"import_goal_rows_per_s: {GOAL_ROWS_PER_S} rows/s")
    print(f"import_target_peak_rss_mb: {TARGET_RSS_MB} MB")


async def _configure(cluster: PostgresCluster, shared_buffers: str, max_wal_size: str) -> None:
    """Takes effect at the next start."""
    for value in (shared_buffers, max_wal_size):
        if not re.fullmatch(r"\d+(kB|MB|GB)", value):
            raise SystemExit(f"not a size such as 1GB: {value!r}")
    dsn = cluster.dsn("postgres").replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f"ALTER SYSTEM SET shared_buffers = '{shared_buffers}'")
        await connection.execute(f"ALTER SYSTEM SET max_wal_size = '{max_wal_size}'")
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--shared-buffers",
        default="1GB",
        help="PostgreSQL shared_buffers, as a server holding 1M contacts would be set ('' for "
        "the 128MB default)",
    )
    parser.add_argument("--max-wal-size", default="4GB", help="checkpoints during the merge")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="herald-bench-import-"))
    folder.chmod(0o755)
    cluster = PostgresCluster(folder / "pg", free_port())
    try:
        path = folder / "contacts.csv"
        write_file(path, args.rows)
        cluster.start(die_with_parent=True)
        if args.shared_buffers:
            asyncio.run(_configure(cluster, args.shared_buffers, args.max_wal_size))
            cluster.stop()
            cluster.start(die_with_parent=True)
        cluster.create_database("contacts_bench")
        dsn = cluster.dsn("contacts_bench")
        upgrade_head(ALEMBIC_INI, dsn)
        asyncio.run(run(dsn, path, args.rows, args.processes))
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
