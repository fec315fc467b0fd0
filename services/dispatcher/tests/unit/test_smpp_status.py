"""command_status classes: what a gateway answer means for the message."""

from __future__ import annotations

import pytest

from herald_dispatcher.domain.smpp_status import (
    StatusClass,
    classify,
    describe,
    status_code,
)


class TestClassify:
    @pytest.mark.parametrize(
        ("status", "expected"),
        [
            (0x00, StatusClass.OK),
            (0x58, StatusClass.THROTTLED),
            (0x14, StatusClass.THROTTLED),
            (0x08, StatusClass.TRANSIENT),
            (0x64, StatusClass.TRANSIENT),
            (0x04, StatusClass.TRANSIENT),
            (0x0B, StatusClass.PERMANENT),
            (0x0A, StatusClass.PERMANENT),
            (0x01, StatusClass.PERMANENT),
            (0x66, StatusClass.PERMANENT),
            (0x45, StatusClass.PERMANENT),
            (0x1234, StatusClass.PERMANENT),
        ],
    )
    def test_table(self, status: int, expected: StatusClass) -> None:
        assert classify(status) is expected


class TestDescribe:
    def test_known_and_unknown_codes(self) -> None:
        assert describe(0x0B) == "invalid destination address"
        assert describe(0x4242) == "command_status 0x00004242"
        assert status_code(0x0B) == "0x0000000B"
