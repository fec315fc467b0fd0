"""The receipts API application."""

from __future__ import annotations

from fastapi import FastAPI

from herald_kit.app import create_service_app
from herald_receipts.api import deliveries, inbound, reviews
from herald_receipts.settings import get_settings


def create_app() -> FastAPI:
    return create_service_app(
        service="receipts",
        settings=get_settings(),
        routers=[deliveries.router, inbound.router, reviews.router],
        description=(
            "Receipts: delivery states from operators' receipts, handsets' replies, and the "
            "replies that may be opt-outs, for review."
        ),
    )
