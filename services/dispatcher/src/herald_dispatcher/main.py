"""The dispatcher API application."""

from __future__ import annotations

from fastapi import FastAPI

from herald_dispatcher.api import messages, routes, sending_rules
from herald_dispatcher.settings import get_settings
from herald_kit.app import create_service_app


def create_app() -> FastAPI:
    return create_service_app(
        service="dispatcher",
        settings=get_settings(),
        routers=[messages.router, routes.router, sending_rules.router],
        description="Dispatcher: the final compliance gate, the message ledger and the routes.",
    )
