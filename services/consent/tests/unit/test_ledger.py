"""The ledger's rules: which entries move a state, which purposes and brands an opt-out covers."""

from __future__ import annotations

import pytest

from herald_consent.domain import ledger


class TestStatusAfter:
    def test_status_after(self) -> None:
        assert ledger.status_after("opt_in") == "opted_in"
        assert ledger.status_after("opt_out") == "opted_out"


class TestOptoutCoverage:
    @pytest.mark.parametrize(
        ("purpose", "covered"),
        [
            ("all", ("marketing", "transactional")),
            ("marketing", ("marketing",)),
            ("transactional", ("transactional",)),
        ],
    )
    def test_purposes(self, purpose: str, covered: tuple[str, ...]) -> None:
        assert ledger.optout_purposes(purpose) == covered

    def test_an_unknown_purpose_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown purpose"):
            ledger.optout_purposes("newsletter")

    @pytest.mark.parametrize(
        ("scope", "brand", "expected"),
        [("global", "default", "*"), ("global", "acme", "*"), ("brand", "acme", "acme")],
    )
    def test_a_global_stop_covers_every_brand(self, scope: str, brand: str, expected: str) -> None:
        assert ledger.optout_brand(scope, brand) == expected
