"""A message's state from its parts: finals stand, multipart needs every part delivered."""

from __future__ import annotations

from herald_receipts.domain.delivery import (
    NOT_REPORTED,
    MessageState,
    PartState,
    apply_receipt,
    message_state,
)
from herald_receipts.domain.receipt_status import (
    DELIVERED,
    EXPIRED,
    GONE,
    PENDING,
    REJECTED,
    UNDELIVERED,
)

DELIVERED_PART = PartState("delivered", True, True)
PENDING_PART = PartState("unknown", False, True)


class TestApplyReceipt:
    def test_a_final_status_is_taken(self) -> None:
        assert apply_receipt(NOT_REPORTED, DELIVERED, "000") == DELIVERED_PART

    def test_a_failure_keeps_its_error_code(self) -> None:
        assert apply_receipt(NOT_REPORTED, UNDELIVERED, "001") == PartState(
            "undelivered", True, True, "001"
        )

    def test_a_non_final_receipt_marks_the_part_reported(self) -> None:
        assert apply_receipt(NOT_REPORTED, PENDING, None) == PENDING_PART

    def test_a_final_status_is_never_overwritten(self) -> None:
        assert apply_receipt(DELIVERED_PART, PENDING, None) is None
        assert apply_receipt(DELIVERED_PART, DELIVERED, "000") is None  # a duplicate
        assert apply_receipt(DELIVERED_PART, UNDELIVERED, "001") is None  # a contradiction

    def test_a_repeated_non_final_receipt_changes_nothing(self) -> None:
        assert apply_receipt(PENDING_PART, PENDING, None) is None

    def test_a_non_final_part_becomes_final(self) -> None:
        assert apply_receipt(PENDING_PART, EXPIRED, "027") == PartState(
            "expired", True, True, "027"
        )


class TestMessageState:
    def test_nothing_reported_is_unknown(self) -> None:
        assert message_state([NOT_REPORTED], 1) == MessageState("unknown", False, 1, 0, 0)

    def test_one_part_delivered(self) -> None:
        assert message_state([DELIVERED_PART], 1) == MessageState("delivered", True, 1, 1, 1)

    def test_multipart_is_delivered_only_when_every_part_is(self) -> None:
        partial = message_state([DELIVERED_PART, NOT_REPORTED, DELIVERED_PART], 3)
        assert partial == MessageState("unknown", False, 3, 2, 2)
        whole = message_state([DELIVERED_PART, DELIVERED_PART, DELIVERED_PART], 3)
        assert whole == MessageState("delivered", True, 3, 3, 3)

    def test_any_failed_part_fails_the_message(self) -> None:
        failed = PartState("rejected", True, True, "088")
        state = message_state([DELIVERED_PART, failed, NOT_REPORTED], 3)
        assert state == MessageState("rejected", True, 3, 1, 2, "088")

    def test_the_first_failed_part_names_the_failure(self) -> None:
        first = PartState("expired", True, True, "027")
        second = PartState("undelivered", True, True, "001")
        assert message_state([first, second], 2).status == "expired"

    def test_a_deleted_single_part_is_final_unknown(self) -> None:
        deleted = apply_receipt(NOT_REPORTED, GONE, None)
        assert deleted is not None
        assert message_state([deleted], 1) == MessageState("unknown", True, 1, 0, 1)

    def test_parts_not_yet_known_keep_the_message_open(self) -> None:
        assert message_state([DELIVERED_PART], 2) == MessageState("unknown", False, 2, 1, 1)

    def test_a_rejected_receipt_on_the_only_part(self) -> None:
        part = apply_receipt(NOT_REPORTED, REJECTED, "088")
        assert part is not None
        assert message_state([part], 1).status == "rejected"
