"""Only failures that reject the destination mark a number unreachable."""

from __future__ import annotations

import pytest

from herald_contacts.domain.reachability import unreachable_reason


class TestUnreachableReason:
    @pytest.mark.parametrize("code", ["0x0000000B", "0x00000050", "0x00000051", "0x0000000b"])
    def test_a_rejected_destination_marks_the_number(self, code: str) -> None:
        reason = unreachable_reason(code, "invalid destination address")
        assert reason == f"sms.failed {code}: invalid destination address"

    @pytest.mark.parametrize(
        ("code", "reason"),
        [
            ("0x00000001", "invalid message length"),  # the message, not the number
            ("0x00000058", "throttled"),
            ("0x0000000B", "retries exhausted: invalid destination address"),
            ("unknown", "rejected by the gateway"),
        ],
    )
    def test_other_failures_say_nothing_of_the_number(self, code: str, reason: str) -> None:
        assert unreachable_reason(code, reason) is None
