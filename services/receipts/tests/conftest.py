"""The receipts service under test: the herald plugin gives its tests a migrated database
(`service_dsn`, `sessions`), the running app (`client`) and real API keys (`key_for`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from herald_receipts.main import create_app
from herald_receipts.settings import get_settings
from herald_testing.api import ServiceUnderTest


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(
        name="receipts",
        service_dir=Path(__file__).resolve().parents[1],
        app_factory=create_app,
        clear_settings=get_settings.cache_clear,
        probe_path="/v1/deliveries/00000000-0000-4000-8000-000000000000",
    )
