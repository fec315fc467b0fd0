"""Privacy in logs: numbers masked, bodies never written."""

from __future__ import annotations

import json
import logging

import pytest

from herald_kit.logs import configure_logging, get_logger, mask_phone, scrub_text


class TestMaskPhone:
    def test_keeps_the_prefix_and_the_last_three_digits(self) -> None:
        assert mask_phone("+33612345678") == "+3361****678"

    def test_a_short_value_is_fully_masked(self) -> None:
        assert mask_phone("1234") == "****"


class TestScrubText:
    @pytest.mark.parametrize(
        "text",
        [
            "2026-11-24T19:55:29.85843Z",
            "http://127.0.0.1:18101/v1",
            "9cd69254-b404-4670-bb22-c1f3bac14c4c",
            "12345678-1234-1234-1234-123456789012",
        ],
    )
    def test_timestamps_addresses_and_ids_survive(self, text: str) -> None:
        assert scrub_text(text) == text

    @pytest.mark.parametrize("text", ["+33612345678", "06 12 34 56 78", "0033612345678"])
    def test_phone_numbers_are_masked(self, text: str) -> None:
        assert "345" not in scrub_text(f"sent to {text} ok")


class TestConfiguredLogger:
    def test_a_log_line_carries_no_body_and_no_full_number(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        configure_logging("test", "INFO", json=True)
        get_logger("t").info("sms.sent", phone="+33612345678", text="Bonjour Élodie", segments=1)
        line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert line["phone"] == "+3361****678"
        assert line["text"] == "[redacted]"
        assert line["segments"] == 1
        logging.getLogger().handlers.clear()
