"""P5: a handset's STOP at the SMSC simulator → the last promotional submit to that number.

    uv run python bench/stop_latency.py [--recipients 20000] [--stops 1000] [--spread 4]

Starts its own platform exactly as the e2e tests do (`herald-stack up` with HERALD_STACK_DIR
in a temporary folder; `herald-stack down` and the folder removed at the end). The service
ports are fixed: while another stack holds 8190, 2775 or 19092 it waits (up to 15 minutes),
it never stops someone else's stack. Stop your own first with `make down`.

Method. In the workspace that owns the simulator's short code, one CSV import through the
contacts API creates `--recipients` distinct French mobiles with consent columns (opt-in date
and source: a `consent.declared` each), then it waits until both projections that decide a
send have applied every resulting `consent.changed` (campaigns' and the dispatcher's own
consumer metrics). It launches one promotional campaign to every contact; once submits flow
at the simulator, it plays `--stops` handsets answering STOP (`POST /mo`), paced evenly over
`--spread` seconds, each from a number chosen at random among the recipients the simulator
has not received a submit for yet (the set is refreshed every half second). A STOP's time
is when the simulator took it (its MO log, GET /mo: queued for the dispatcher's bind), and
submit times are the simulator ledger's `received_at`: one process, one clock. The MO log
also gives each STOP's wait for a slot in the bind's window (queued → written to the
dispatcher) and for the dispatcher's answer (queued → acknowledged: the MO and its early
STOP committed). When every message of the campaign is
submitted, suppressed or failed (analytics), the simulator's ledger is read whole: for each
STOP, latency = (last promotional submit to the number) − (STOP time), 0 when none came
after it. Promotional submits are those from the campaign's sender with its text; the opt-out
confirmation (receipts sends one per STOP, from the short code) is not one.

Prints `figure: value unit` lines: p50/p99/max latency, how many STOPs leaked submits and how
many submits leaked, the campaign's submit rate, and the target (p99 <= 1000 ms) and goal
(<= 200 ms) of performance.md. The dispatcher sends at the stack's route rate (200/s by
default), so the defaults take about 4-5 minutes on a 2-core machine; `--recipients 3000`
gives a quick try.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
from prometheus_client.parser import text_string_to_metric_families

from herald_kit.admin import create_api_key
from herald_kit.settings import KafkaSettings
from herald_stack.client import HeraldClient, PlatformError, Simulator, eventually
from herald_stack.ports import HOST, port_in_use
from herald_stack.services import (
    KAFKA_PORT,
    SERVICES,
    SHORT_CODE,
    SHORT_CODE_WORKSPACE,
    SMSC_HTTP_PORT,
    SMSC_SMPP_PORT,
    Infra,
)

ROOT = Path(__file__).resolve().parents[1]
UP_TIMEOUT_S = 600
PORTS_WAIT_S = 15 * 60
MAX_RECIPIENTS = 200_000
SENDER = "HERALD"
TEXT_MARK = "P5 bench"  # every promotional text holds it; the STOP confirmation does not
TEMPLATE = "Bonjour {{first_name|client}}, P5 bench : -20% ce week-end avec HIVER20 !"
TARGET_P99_MS = 1000
GOAL_P99_MS = 200
PORTS = {SMSC_HTTP_PORT: "SMSC simulator HTTP", SMSC_SMPP_PORT: "SMSC SMPP", KAFKA_PORT: "Kafka"}
CONSUMER_PORTS = {s.name: s.port("consumer") for s in SERVICES}
# (consumer, group) that must have applied every consent before the launch.
PROJECTIONS = (("campaigns", "campaigns.consent"), ("dispatcher", "dispatcher.suppression"))
FIRST_NAMES = ("Élodie", "Karim", "Camille", "Théo", "Léa", "Mamadou", "Chloé", "Hugo")


def say(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


# ── the stack ─────────────────────────────────────────────────────────────────
def _stack(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "herald-stack"), *args]
    return subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=UP_TIMEOUT_S,
        check=False,
    )


def wait_for_free_ports() -> None:
    """Another stack (an e2e run, a demo) holds the fixed ports: wait for it, never stop it."""
    deadline = time.monotonic() + PORTS_WAIT_S
    while taken := [f"{port} ({who})" for port, who in PORTS.items() if port_in_use(port)]:
        if time.monotonic() > deadline:
            raise SystemExit(f"ports still taken after {PORTS_WAIT_S // 60} min: {taken}")
        say(f"another stack holds {', '.join(taken)}; waiting for it to stop")
        time.sleep(10)


# ── the audience ──────────────────────────────────────────────────────────────
def mobiles(count: int, seed: int) -> list[str]:
    """`count` distinct valid French mobiles (+336 then 0,1,2,4,5,7 or 8: allocated ranges)."""
    picked = random.Random(seed).sample(range(7 * 10**7), count)
    return [f"+336{'0124578'[n // 10**7]}{n % 10**7:07d}" for n in picked]


def csv_file(phones: list[str]) -> bytes:
    opted_in = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    lines = ["Portable;Prénom;Date opt-in;Origine"]
    lines += [
        f"{phone};{FIRST_NAMES[i % len(FIRST_NAMES)]};{opted_in};bench"
        for i, phone in enumerate(phones)
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


async def consent_applied(consumer: str, group: str) -> float:
    """consent.changed events a consumer group applied (its own Prometheus counter)."""
    async with httpx.AsyncClient() as http:
        response = await http.get(f"http://{HOST}:{CONSUMER_PORTS[consumer]}/metrics")
    response.raise_for_status()
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == "herald_events_consumed_total"
                and labels.get("group") == group
                and labels.get("topic") == "consent.changed"
                and labels.get("outcome") == "applied"
            ):
                return float(sample.value)
    return 0.0


async def client_for(bootstrap: str) -> HeraldClient:
    key = await create_api_key(
        KafkaSettings(bootstrap_servers=bootstrap), SHORT_CODE_WORKSPACE, "bench-p5", ["*"]
    )
    client = HeraldClient(key, timeout=60.0)

    async def accepted_everywhere() -> bool:
        for service in ("contacts", "consent", "campaigns", "analytics"):
            response = await client.call("GET", service, "/v1/does-not-exist")
            if response.status_code == 401:
                return False
        return True

    await eventually(accepted_everywhere, seconds=30, what="the API key to reach every service")
    return client


async def import_audience(client: HeraldClient, phones: list[str]) -> None:
    before = {group: await consent_applied(name, group) for name, group in PROJECTIONS}
    started = time.monotonic()
    job = await client.expect(
        202,
        "POST",
        "contacts",
        "/v1/imports",
        params={
            "default_region": "FR",
            "consent_columns": '{"opted_in_at": "Date opt-in", "source": "Origine"}',
        },
        content=csv_file(phones),
        headers={"Content-Type": "text/csv"},
    )

    async def finished() -> dict[str, Any] | None:
        current: dict[str, Any] = await client.expect(
            200, "GET", "contacts", f"/v1/imports/{job['id']}"
        )
        return current if current["status"] in ("done", "failed", "cancelled") else None

    done = await eventually(finished, seconds=300, what="the import to finish")
    if (done["status"], done["imported"]) != ("done", len(phones)):
        raise PlatformError(f"import: {done}")
    say(f"imported {len(phones)} contacts in {time.monotonic() - started:.1f} s")

    for name, group in PROJECTIONS:

        async def caught_up(name: str = name, group: str = group) -> bool:
            return await consent_applied(name, group) >= before[group] + len(phones)

        await eventually(caught_up, seconds=600, what=f"{group} to apply every consent")
        say(f"{group} knows every consent {time.monotonic() - started:.1f} s after the upload")
    elapsed = time.monotonic() - started
    print(f"consent_import_to_projections: {elapsed:.1f} s ({len(phones) / elapsed:.0f}/s)")


# ── the campaign and the STOPs ────────────────────────────────────────────────
@dataclass
class Stops:
    at: dict[str, float] = field(default_factory=dict)  # phone -> unix time the MO was taken
    post_ms: list[float] = field(default_factory=list)


async def submitted_destinations(simulator: Simulator) -> set[str]:
    summary = await simulator.summary()
    return {"+" + d.lstrip("+") for d in summary["by_destination_count"]}


async def submit_count(simulator: Simulator) -> int:
    """Every submit the simulator took (top=0: without the per-destination counts)."""
    response = await simulator.http.get("/ledger/summary", params={"top": 0})
    response.raise_for_status()
    return int(response.json()["submits"])


async def wait_for_flow(simulator: Simulator, at_least: int) -> None:
    async def flowing() -> bool:
        return await submit_count(simulator) >= at_least

    await eventually(flowing, seconds=300, what="the campaign's submits to reach the simulator")


async def play_stops(
    simulator: Simulator, phones: list[str], count: int, spread: float, seed: int
) -> Stops:
    """`count` STOPs paced over `spread` seconds, each from a number not submitted to yet."""
    rng = random.Random(seed)
    stops = Stops()
    submitted = await submitted_destinations(simulator)
    refreshed = time.monotonic()
    candidates = [p for p in phones if p not in submitted]
    rng.shuffle(candidates)
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(
        base_url=simulator.http.base_url, timeout=30.0, limits=limits
    ) as http:

        async def stop(phone: str) -> None:
            sent = time.perf_counter()
            body = {"source": phone, "destination": SHORT_CODE, "text": "STOP"}
            response = await http.post("/mo", json=body)
            stops.at[phone] = time.time()
            response.raise_for_status()
            stops.post_ms.append((time.perf_counter() - sent) * 1000)

        tasks: list[asyncio.Task[None]] = []
        start = time.monotonic()
        for i in range(count):
            await asyncio.sleep(max(0.0, start + i * spread / count - time.monotonic()))
            if time.monotonic() - refreshed > 0.5:
                submitted = await submitted_destinations(simulator)
                refreshed = time.monotonic()
            while candidates and candidates[-1] in submitted:
                candidates.pop()
            if not candidates:
                raise PlatformError("every recipient was submitted before the STOPs were sent")
            tasks.append(asyncio.create_task(stop(candidates.pop())))
        await asyncio.gather(*tasks)
    return stops


async def wait_until_final(
    client: HeraldClient, simulator: Simulator, campaign_id: str, stops: int, seconds: float
) -> None:
    """The campaign expanded and the simulator's ledger still for 5 s with at least every
    message but the STOP'd ones in it (analytics, fed by receipts, lags far behind a busy
    run, so its figures would only make the bench longer)."""
    audience = 0
    last_count, still_since, last_report = -1, time.monotonic(), time.monotonic()

    async def final() -> bool:
        nonlocal audience, last_count, still_since, last_report
        if not audience:
            current = await client.expect(200, "GET", "campaigns", f"/v1/campaigns/{campaign_id}")
            audience = int(current.get("audience_size") or 0)
        count = await submit_count(simulator)
        if count != last_count:
            last_count, still_since = count, time.monotonic()
        if time.monotonic() - last_report > 15:
            say(f"campaign: {count} submits at the simulator, audience {audience or '?'}")
            last_report = time.monotonic()
        return bool(audience) and count >= audience - stops and time.monotonic() - still_since > 5

    await eventually(final, seconds=seconds, what="the campaign to be final")


@dataclass
class Submits:
    """From the simulator's whole ledger: destination (E.164) -> unix times of submits."""

    promotional: dict[str, list[float]] = field(default_factory=dict)
    confirmations: dict[str, list[float]] = field(default_factory=dict)  # from the short code


async def read_ledger(simulator: Simulator) -> Submits:
    submits = Submits()
    offset = 0
    while True:
        response = await simulator.http.get(
            "/ledger", params={"limit": 10_000, "offset": offset}, timeout=60.0
        )
        response.raise_for_status()
        entries = response.json()["entries"]
        for entry in entries:
            if entry["source"] == SENDER and TEXT_MARK in entry["text"]:
                kind = submits.promotional
            elif entry["source"] == SHORT_CODE:
                kind = submits.confirmations
            else:
                continue
            at = datetime.fromisoformat(entry["received_at"]).timestamp()
            kind.setdefault("+" + entry["destination"].lstrip("+"), []).append(at)
        if len(entries) < 10_000:
            return submits
        offset += len(entries)


@dataclass
class MoTimes:
    """From the simulator's MO log: each STOP's wait for a bind slot and for the ESME's
    acknowledgement (the dispatcher answers once the MO and its early STOP committed)."""

    queued_to_sent_ms: list[float] = field(default_factory=list)
    queued_to_acked_ms: list[float] = field(default_factory=list)
    queued_at: dict[str, float] = field(default_factory=dict)  # phone -> unix time


async def read_mo_log(simulator: Simulator, stops: Stops) -> MoTimes:
    times = MoTimes()
    offset = 0
    while True:
        response = await simulator.http.get("/mo", params={"limit": 10_000, "offset": offset})
        response.raise_for_status()
        entries = response.json()["entries"]
        for entry in entries:
            phone = "+" + entry["source"].lstrip("+")
            if phone not in stops.at:
                continue
            queued = entry["queued_at"]
            times.queued_at.setdefault(phone, queued)
            if entry["sent_at"] is not None:
                times.queued_to_sent_ms.append((entry["sent_at"] - queued) * 1000)
            if entry["acked_at"] is not None:
                times.queued_to_acked_ms.append((entry["acked_at"] - queued) * 1000)
        if len(entries) < 10_000:
            return times
        offset += len(entries)


HOPS = (
    ("mo_stored_to_published", "the dispatcher's relay"),
    ("published_to_receipts", "receipts.handsets applies it"),
    ("receipts_to_reply_published", "receipts' relay publishes the confirmation"),
    ("reply_published_to_queued", "dispatcher.urgent queues it"),
    ("queued_to_submitted", "the sender submits it"),
)


async def confirmation_hops(infra: Infra, stops: Stops, ledger: Submits) -> dict[str, list[float]]:
    """Each STOP's way to its confirmation, hop by hop (ms), from the services' own tables:
    outbox created/published, inbox processed (transaction start times, one PostgreSQL
    clock) and the simulator's submit time."""
    databases = {s.name: s.database for s in SERVICES}

    async def connect(service: str) -> asyncpg.Connection:
        return await asyncpg.connect(
            f"postgresql://postgres@{HOST}:{infra.pg_port}/{databases[service]}"
        )

    phones = list(stops.at)
    hops: dict[str, list[float]] = {name: [] for name, _ in HOPS}
    dispatcher, receipts = await connect("dispatcher"), await connect("receipts")
    try:
        mos = {
            row["event_id"]: row
            for row in await dispatcher.fetch(
                "SELECT event_id, key, created_at, published_at FROM outbox "
                "WHERE topic = 'gateway.inbound' AND key = ANY($1::text[])",
                phones,
            )
        }
        applied = {
            row["event_id"]: row["processed_at"]
            for row in await receipts.fetch(
                "SELECT event_id, processed_at FROM inbox "
                "WHERE consumer_group = 'receipts.handsets' AND event_id = ANY($1::uuid[])",
                list(mos),
            )
        }
        replies = {
            row["phone"]: row
            for row in await receipts.fetch(
                "SELECT event_id, value->'payload'->>'phone' AS phone, created_at, published_at "
                "FROM outbox WHERE topic = 'sms.requested' "
                "AND value->'payload'->>'reply_kind' = 'optout_confirmation' "
                "AND value->'payload'->>'phone' = ANY($1::text[])",
                phones,
            )
        }
        queued = {
            row["event_id"]: row["processed_at"]
            for row in await dispatcher.fetch(
                "SELECT event_id, processed_at FROM inbox "
                "WHERE consumer_group = 'dispatcher.urgent' AND event_id = ANY($1::uuid[])",
                [row["event_id"] for row in replies.values()],
            )
        }
    finally:
        await dispatcher.close()
        await receipts.close()

    def ms(later: datetime | None, earlier: datetime | None) -> float | None:
        return None if later is None or earlier is None else (later - earlier).total_seconds() * 1e3

    for event_id, mo in mos.items():
        reply = replies.get(mo["key"])
        submitted = ledger.confirmations.get(mo["key"], [])
        points = [
            mo["created_at"],
            mo["published_at"],
            applied.get(event_id),
            reply["published_at"] if reply else None,
            queued.get(reply["event_id"]) if reply else None,
            datetime.fromtimestamp(submitted[0], UTC) if submitted else None,
        ]
        for (name, _), later, earlier in zip(HOPS, points[1:], points[:-1], strict=True):
            value = ms(later, earlier)
            if value is not None:
                hops[name].append(value)
    return hops


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(
    stops: Stops,
    ledger: Submits,
    mo: MoTimes,
    hops: dict[str, list[float]],
    recipients: int,
) -> None:
    submits = ledger.promotional
    latencies: list[float] = []
    confirmed: list[float] = []  # STOP -> the confirmation's submit: the STOP path's pace
    leaked_stops = leaked_submits = before_any = 0
    for phone, stopped_at in stops.at.items():
        confirmed += [(t - stopped_at) * 1000 for t in ledger.confirmations.get(phone, [])[:1]]
        times = submits.get(phone, [])
        after = [t for t in times if t > stopped_at]
        if not any(t <= stopped_at for t in times):
            before_any += 1
        if after:
            leaked_stops += 1
            leaked_submits += len(after)
        latencies.append(max(0.0, max(after, default=stopped_at) - stopped_at) * 1000)
    every = sorted(t for times in submits.values() for t in times)
    seconds = every[-1] - every[0] if len(every) > 1 else 0.0
    print(f"recipients: {recipients}")
    print(f"campaign_submits: {len(every)}")
    print(f"campaign_submits_per_s: {len(every) / seconds if seconds else 0.0:.0f} msg/s")
    print(f"stop_count: {len(stops.at)}")
    print(f"stop_post_p50: {statistics.median(stops.post_ms):.1f} ms")
    print(f"stop_before_any_submit: {before_any}")
    print(f"stop_numbers_with_leaks: {leaked_stops}")
    print(f"stop_leaked_submits: {leaked_submits}")
    print(f"stop_latency_p50: {statistics.median(latencies):.0f} ms")
    print(f"stop_latency_p99: {percentile(latencies, 0.99):.0f} ms")
    print(f"stop_latency_max: {max(latencies):.0f} ms")
    leaks = sorted(x for x in latencies if x > 0)
    if leaks:
        print(f"stop_leak_latencies: {', '.join(f'{x:.0f}' for x in leaks[-20:])} ms (largest 20)")
    for name, values in (
        ("stop_mo_queued_to_bind", mo.queued_to_sent_ms),
        ("stop_mo_queued_to_stored", mo.queued_to_acked_ms),
    ):
        if values:
            print(f"{name}_p50: {statistics.median(values):.0f} ms")
            print(f"{name}_p99: {percentile(values, 0.99):.0f} ms")
    if confirmed:
        print(f"stop_confirmations: {len(confirmed)}")
        print(f"stop_to_confirmation_submit_p50: {statistics.median(confirmed):.0f} ms")
        print(f"stop_to_confirmation_submit_p99: {percentile(confirmed, 0.99):.0f} ms")
    for name, what in HOPS:
        if hop := hops.get(name):
            print(
                f"confirmation_hop_{name}: p50 {statistics.median(hop):.0f} ms, "
                f"p99 {percentile(hop, 0.99):.0f} ms ({what})"
            )
    print(f"machine_load_1m: {os.getloadavg()[0]:.1f}")
    print(f"stop_latency_target_p99: {TARGET_P99_MS} ms")
    print(f"stop_latency_goal_p99: {GOAL_P99_MS} ms", flush=True)


async def run(args: argparse.Namespace, infra: Infra) -> None:
    client = await client_for(infra.bootstrap)
    simulator = Simulator()
    try:
        phones = mobiles(args.recipients, args.seed)
        await import_audience(client, phones)
        campaign = await client.create_campaign("P5 bench", TEMPLATE, SENDER)
        await client.launch(campaign["id"])
        launched = time.monotonic()
        say(f"launched campaign {campaign['id']}")
        await wait_for_flow(simulator, args.flow)
        say(f"submits flowing {time.monotonic() - launched:.1f} s after launch; playing STOPs")
        stops = await play_stops(simulator, phones, args.stops, args.spread, args.seed + 1)
        say(f"{len(stops.at)} STOPs taken by the simulator; waiting for the campaign to end")
        await wait_until_final(
            client, simulator, campaign["id"], args.stops, seconds=args.recipients / 20 + 120
        )
        ledger = await read_ledger(simulator)
        mo = await read_mo_log(simulator, stops)
        # The STOP's time is when the simulator took it (a little before its POST returned).
        stops.at.update(mo.queued_at)
        hops = await confirmation_hops(infra, stops, ledger)
        report(stops, ledger, mo, hops, args.recipients)
    finally:
        await simulator.close()
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=8_000)
    parser.add_argument("--stops", type=int, default=1_000)
    parser.add_argument("--spread", type=float, default=4.0, help="seconds the STOPs span")
    parser.add_argument("--flow", type=int, default=100, help="submits seen before the STOPs")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    if not 1 <= args.recipients <= MAX_RECIPIENTS:
        parser.error(f"--recipients must be between 1 and {MAX_RECIPIENTS}")
    if not 1 <= args.stops <= args.recipients // 2:
        parser.error("--stops must be between 1 and half the recipients")

    wait_for_free_ports()
    began = time.monotonic()
    state = tempfile.mkdtemp(prefix="herald-bench-p5-")
    Path(state).chmod(0o755)  # PostgreSQL runs as the postgres user and must enter it
    env = {**os.environ, "HERALD_STACK_DIR": state}
    try:
        say("starting the stack (herald-stack up)")
        started = _stack("up", env=env)
        if started.returncode != 0:
            raise SystemExit(
                f"herald-stack up failed ({started.returncode}):\n{started.stdout[-3000:]}\n"
                f"{started.stderr[-3000:]}"
            )
        print(f"stack_up_seconds: {time.monotonic() - began:.0f} s", flush=True)
        asyncio.run(run(args, Infra.from_env()))
        print(f"bench_seconds: {time.monotonic() - began:.0f} s", flush=True)
    finally:
        say("stopping the stack (herald-stack down)")
        stopped = _stack("down", env=env)
        if stopped.returncode != 0:
            print(stopped.stdout, stopped.stderr, file=sys.stderr)
        if os.environ.get("HERALD_BENCH_KEEP_STATE"):
            say(f"state (logs) kept in {state}")
        else:
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
