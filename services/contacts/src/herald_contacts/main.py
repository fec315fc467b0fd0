"""The contacts API application."""

from __future__ import annotations

from fastapi import FastAPI

from herald_contacts.api import attributes, contacts, gdpr, imports, segments, snapshots
from herald_contacts.settings import get_settings
from herald_kit.app import create_service_app


def create_app() -> FastAPI:
    return create_service_app(
        service="contacts",
        settings=get_settings(),
        routers=[
            contacts.router,
            snapshots.router,
            gdpr.router,
            attributes.router,
            segments.router,
            imports.router,
        ],
        description="Contacts: E.164 numbers, attributes, tags, audiences and snapshots.",
    )
