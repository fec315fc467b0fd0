"""The control HTTP API (FastAPI): inspect the ledger, inject faults, play a handset.

Every endpoint is ``async`` so it runs on the event loop that also serves SMPP: the state is
single-threaded and needs no locks.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, status
from fastapi.responses import PlainTextResponse

from herald_smsc import __version__
from herald_smsc.config import MoRequest, SimConfig, SimConfigUpdate
from herald_smsc.server import SmscServer


def create_app(smsc: SmscServer) -> FastAPI:
    app = FastAPI(
        title="Herald SMSC simulator",
        version=__version__,
        description="Control API of the SMPP 3.4 test SMSC. Never part of production.",
    )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> dict[str, Any]:
        # Refusing connections is an injected fault, not unreadiness of the simulator.
        return {"status": "ready", "smpp_port": smsc.port, "smpp_listening": smsc.listening}

    @app.get("/metrics", response_class=PlainTextResponse)
    async def metrics() -> str:
        """Prometheus text; counters only, so a scrape stays O(1) however big the ledger."""
        ledger, stats = smsc.ledger, smsc.queue.stats
        values = (
            ("smsc_submits_total", "counter", len(ledger)),
            ("smsc_submits_accepted_total", "counter", ledger.accepted),
            ("smsc_submits_rejected_total", "counter", ledger.rejected),
            ("smsc_submits_unanswered_total", "counter", ledger.unanswered),
            ("smsc_duplicates_total", "counter", ledger.duplicates),
            ("smsc_dlr_sent_total", "counter", stats.dlr_sent),
            ("smsc_mo_sent_total", "counter", stats.mo_sent),
            ("smsc_deliveries_queued", "gauge", smsc.queue.queued()),
            ("smsc_binds", "gauge", len(smsc.binds())),
        )
        lines: list[str] = []
        for name, kind, value in values:
            lines += [f"# TYPE {name} {kind}", f"{name} {value}"]
        return "\n".join(lines) + "\n"

    @app.get("/config")
    async def get_config() -> SimConfig:
        return smsc.config

    @app.put("/config")
    async def put_config(update: SimConfigUpdate) -> SimConfig:
        """Change the behaviour live; fields omitted keep their current value."""
        return await smsc.set_config(update.apply_to(smsc.config))

    @app.get("/ledger")
    async def ledger(
        destination: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
        system_id: Annotated[str | None, Query(min_length=1, max_length=16)] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        total, entries = smsc.ledger.query(
            destination=destination, system_id=system_id, limit=limit, offset=offset
        )
        return {
            "total": total,
            "offset": offset,
            "limit": limit,
            "entries": [entry.to_json() for entry in entries],
        }

    @app.get("/ledger/summary")
    async def ledger_summary(
        top: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
    ) -> dict[str, Any]:
        """Counts; ``top`` caps ``by_destination_count`` to the busiest destinations."""
        return smsc.summary(top)

    @app.get("/binds")
    async def binds() -> list[dict[str, Any]]:
        return smsc.binds()

    @app.post("/mo", status_code=status.HTTP_202_ACCEPTED)
    async def mo(request: MoRequest) -> dict[str, Any]:
        """Play a handset: push a deliver_sm (esm_class 0) to a bound receiver/transceiver
        (of ``system_id`` when given); queued until one binds. ``sent`` tells which."""
        return smsc.send_mo(request)

    @app.get("/mo")
    async def mo_log(
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        """The MOs played, oldest first, with unix times: queued (POST /mo), first written
        to a bind, acknowledged by the ESME (its deliver_sm_resp with ESME_ROK)."""
        page = smsc.mos[offset : offset + limit]
        return {
            "total": len(smsc.mos),
            "offset": offset,
            "entries": [
                {
                    "source": item.source_addr,
                    "destination": item.destination_addr,
                    "queued_at": item.queued_at,
                    "sent_at": item.first_sent_at,
                    "acked_at": item.acked_at,
                    "attempts": item.attempts,
                }
                for item in page
            ],
        }

    @app.post("/disconnect")
    async def disconnect(
        mode: Annotated[Literal["abort", "unbind"], Query()] = "abort",
    ) -> dict[str, int]:
        """Drop every SMPP connection now: TCP abort (default) or an SMSC-initiated unbind."""
        return {"disconnected": smsc.disconnect_all(graceful=mode == "unbind")}

    @app.post("/reset")
    async def reset() -> dict[str, str]:
        """Clear the ledger, counters, pending receipts and faults; binds stay up."""
        await smsc.reset()
        return {"status": "reset"}

    return app
