"""The consent API application."""

from __future__ import annotations

from fastapi import FastAPI

from herald_consent.api import consents, ledger, optouts
from herald_consent.settings import get_settings
from herald_kit.app import create_service_app


def create_app() -> FastAPI:
    return create_service_app(
        service="consent",
        settings=get_settings(),
        routers=[consents.router, optouts.router, ledger.router],
        description=(
            "Consent: the append-only, hash-chained SMS consent ledger, with evidence, "
            "and opt-outs."
        ),
    )
