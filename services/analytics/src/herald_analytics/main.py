"""The analytics API application."""

from __future__ import annotations

from fastapi import FastAPI

from herald_analytics.api import campaigns, engagement
from herald_analytics.settings import get_settings
from herald_kit.app import create_service_app


def create_app() -> FastAPI:
    return create_service_app(
        service="analytics",
        settings=get_settings(),
        routers=[campaigns.router, engagement.router],
        description="Analytics: campaign figures and engagement, read models built from the "
        "event streams.",
    )
