"""The consent API application."""

from __future__ import annotations

from fastapi import FastAPI

from herald_consent.api import consents, optouts
from herald_consent.settings import get_settings
from herald_kit.app import create_service_app


def create_app() -> FastAPI:
    return create_service_app(
        service="consent",
        settings=get_settings(),
        routers=[consents.router, optouts.router],
        description="Consent: the append-only SMS consent ledger, with evidence, and opt-outs.",
    )
