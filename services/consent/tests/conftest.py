"""The consent service under test: the herald plugin gives its tests a migrated database
(`service_dsn`, `sessions`), the running app (`client`) and real API keys (`key_for`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from herald_consent.main import create_app
from herald_consent.settings import get_erasure_settings, get_settings
from herald_testing.api import ServiceUnderTest

ERASURE_KEY = "consent-tests-erasure-key-0123456789"
# Where the double opt-in link points in tests: the SMS then carries a confirmation link.
LINK_BASE_URL = "https://consent.example.test"


@pytest.fixture(scope="session", autouse=True)
def erasure_key() -> Iterator[bytes]:
    """Every consent test runs with an erasure key: the app, the handlers and the use cases
    that pseudonymise or look pseudonyms up all read it (and with a double opt-in link)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HERALD_CONSENT_ERASURE__KEY", ERASURE_KEY)
        patch.setenv("HERALD_CONSENT_DOUBLE_OPT_IN__LINK_BASE_URL", LINK_BASE_URL)
        get_erasure_settings.cache_clear()
        yield ERASURE_KEY.encode()
    get_erasure_settings.cache_clear()


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(
        name="consent",
        service_dir=Path(__file__).resolve().parents[1],
        app_factory=create_app,
        clear_settings=get_settings.cache_clear,
        probe_path="/v1/consents/+33600000000",
    )
