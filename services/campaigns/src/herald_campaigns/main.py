"""The campaigns API application."""

from __future__ import annotations

from fastapi import FastAPI

from herald_campaigns.api import campaigns
from herald_campaigns.settings import get_settings
from herald_kit.app import create_service_app


def create_app() -> FastAPI:
    return create_service_app(
        service="campaigns",
        settings=get_settings(),
        routers=[campaigns.router],
        description="Campaigns: personalised templates, launch, audience expansion, cancel.",
    )
