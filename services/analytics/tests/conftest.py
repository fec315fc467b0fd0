"""The analytics service under test: the herald plugin gives its tests a migrated database
(`service_dsn`, `sessions`), the running app (`client`) and real API keys (`key_for`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from herald_analytics.main import create_app
from herald_analytics.settings import get_settings
from herald_testing.api import ServiceUnderTest

# The tests import the event builders of `analytics_support.py`, beside this file (the
# folder has no __init__.py, so that no `tests` package can clash with another service's).
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(
        name="analytics",
        service_dir=Path(__file__).resolve().parents[1],
        app_factory=create_app,
        clear_settings=get_settings.cache_clear,
        probe_path="/v1/campaigns?limit=1",
        default_scopes=("analytics:read",),
    )
