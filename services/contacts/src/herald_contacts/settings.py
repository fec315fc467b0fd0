"""Settings of the contacts service (env prefix HERALD_CONTACTS_)."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from herald_contacts.imports.settings import ImportSettings
from herald_kit.settings import HttpServerSettings, ServiceSettings, settings_config


class ContactsSettings(ServiceSettings):
    service_name: ClassVar[str] = "contacts"
    model_config = settings_config("contacts")

    api: HttpServerSettings = HttpServerSettings(port=8101)
    health: HttpServerSettings = HttpServerSettings(port=8201)
    default_region: str = "FR"
    imports: ImportSettings = ImportSettings()


@lru_cache
def get_settings() -> ContactsSettings:
    return ContactsSettings()
