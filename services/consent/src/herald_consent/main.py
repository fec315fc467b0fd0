"""The consent API application."""

from __future__ import annotations

from fastapi import FastAPI

from herald_consent.api import consents, double_opt_in, ledger, optouts
from herald_consent.settings import get_settings
from herald_kit.app import create_service_app


def create_app() -> FastAPI:
    return create_service_app(
        service="consent",
        settings=get_settings(),
        routers=[double_opt_in.router, consents.router, optouts.router, ledger.router],
        description=(
            "Consent: the append-only, hash-chained SMS consent ledger, with evidence, "
            "opt-outs and double opt-in."
        ),
    )
