"""`/healthz`, `/readyz` and `/metrics`, the same on every process of every service."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import sqlalchemy as sa
from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.responses import JSONResponse, Response

from herald_kit.metrics import metrics_response

Check = Callable[[], Awaitable[bool]]


def database_check(engine: AsyncEngine) -> Check:
    async def check() -> bool:
        async with engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
        return True

    return check


def health_router(checks: Mapping[str, Check]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                ok = await asyncio.wait_for(check(), timeout=2.0)
                results[name] = "ok" if ok else "not ready"
            except Exception as error:
                results[name] = f"error: {type(error).__name__}"
        ready = all(value == "ok" for value in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return metrics_response()

    return router
