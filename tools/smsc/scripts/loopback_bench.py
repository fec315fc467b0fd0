"""Quick submit_sm throughput check against the SMSC simulator, on loopback.

Starts ``herald-smsc`` in a child process on free ports (or targets a running one with
``--port``), binds ``--sessions`` smpp34 transceivers and keeps ``--window`` submits in flight
on each, then reports submit/s and (with ``--dlr``) how many receipts came back.

    uv run python tools/smsc/scripts/loopback_bench.py --count 50000 --sessions 2 --window 64
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import time

import httpx
import smpp34


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _wait_port(port: int, deadline_s: float = 15.0) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise TimeoutError(f"nothing listening on {port}")


async def bench(args: argparse.Namespace, port: int, http_port: int) -> None:
    sessions = []
    for i in range(args.sessions):
        client = smpp34.Client(
            "127.0.0.1",
            port,
            f"bench{i}",
            "pw",
            bind_type="TRX",
            window_size=args.window,
            inbound_capacity=max(1024, args.count),
        )
        sessions.append(await client.connect())

    remaining = [args.count]
    failures = [0]
    receipts = [0]
    all_receipts = asyncio.Event()

    async def worker(session: smpp34.Smsc) -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            resp = await session.submit_sm(
                "33612345678",
                b"throughput check message",
                source_addr="36111",
                registered_delivery=1 if args.dlr else 0,
            )
            if not resp.is_success:
                failures[0] += 1

    async def drain(session: smpp34.Smsc) -> None:
        while isinstance(await session.next(), smpp34.DeliverSmEvent):
            receipts[0] += 1
            if receipts[0] >= args.count:
                all_receipts.set()

    drains = [asyncio.create_task(drain(s)) for s in sessions] if args.dlr else []
    start = time.perf_counter()
    await asyncio.gather(*(worker(s) for s in sessions for _ in range(args.window)))
    elapsed = time.perf_counter() - start
    print(
        f"{args.count} submit_sm in {elapsed:.2f}s = {args.count / elapsed:,.0f} submit/s "
        f"({args.sessions} sessions x window {args.window}), failures {failures[0]}"
    )
    if args.dlr:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_receipts.wait(), 60)
        total = time.perf_counter() - start
        print(f"receipts received: {receipts[0]} ({receipts[0] / total:,.0f}/s overall)")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as api:
        summary = (await api.get("/ledger/summary", params={"top": 3})).json()
    print("ledger:", {k: summary[k] for k in ("submits", "accepted", "dlr_sent", "dlr_acked")})
    for task in drains:
        task.cancel()
    for session in sessions:
        with contextlib.suppress(Exception):
            await session.unbind()


async def run(args: argparse.Namespace) -> None:
    if args.port is not None:
        await bench(args, args.port, args.http_port)
        return
    port, http_port = _free_port(), _free_port()
    smsc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "herald_smsc.cli",
        "--smpp-port",
        str(port),
        "--http-port",
        str(http_port),
        "--dlr-delay-ms",
        "0",
        "--log-level",
        "WARNING",
        *(["--tcp-quickack"] if args.tcp_quickack else []),
    )
    try:
        await _wait_port(port)
        await bench(args, port, http_port)
    finally:
        smsc.terminate()
        await smsc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--dlr", action="store_true", help="ask for receipts and count them")
    parser.add_argument("--tcp-quickack", action="store_true", help="start the SMSC with it")
    parser.add_argument("--port", type=int, default=None, help="target a running simulator")
    parser.add_argument("--http-port", type=int, default=8190)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
