"""Only a final undeliverable or rejected receipt marks a number unreachable."""

from __future__ import annotations

import pytest

from herald_contacts.domain.reachability import undelivered_reason


class TestUndeliveredReason:
    @pytest.mark.parametrize(
        ("status", "error_code", "reason"),
        [
            ("undelivered", "001", "sms.delivered undelivered: error 001"),
            ("rejected", "088", "sms.delivered rejected: error 088"),
            ("undelivered", None, "sms.delivered undelivered"),
            ("rejected", "", "sms.delivered rejected"),
        ],
    )
    def test_a_final_failure_of_the_number_marks_it(
        self, status: str, error_code: str | None, reason: str
    ) -> None:
        assert undelivered_reason(status, True, error_code) == reason

    @pytest.mark.parametrize(
        ("status", "final"),
        [
            ("delivered", True),
            ("expired", True),  # the handset was off for the validity period
            ("unknown", True),  # the SMSC dropped the message (DELETED)
            ("unknown", False),
            ("undelivered", False),  # a later receipt may still decide
        ],
    )
    def test_other_receipts_say_nothing_of_the_number(self, status: str, final: bool) -> None:
        assert undelivered_reason(status, final, "001") is None

    def test_a_long_error_code_is_cut_to_the_column_s_size(self) -> None:
        reason = undelivered_reason("undelivered", True, "x" * 1000)
        assert reason is not None
        assert len(reason) == 500
