"""Which handset messages the dispatcher suppresses on arrival (domain/early_stop.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from herald_dispatcher.domain.early_stop import early_stop_phone
from herald_events.models.dispatcher import GatewayInboundV1, InboundKind


def mo(text: str | None, source: str = "+33612345678") -> GatewayInboundV1:
    return GatewayInboundV1(
        kind=InboundKind.MOBILE_ORIGINATED,
        route="smpp-default",
        source=source,
        destination="36111",
        text=text,
        received_at=datetime(2026, 12, 6, 18, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize("text", ["STOP", "stop", "Arrêt", "STOP merci", "please stop", "STOP!!"])
def test_a_keyword_stop_names_the_number(text: str) -> None:
    assert early_stop_phone(mo(text), "FR") == "+33612345678"


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "I'll stop by your store tomorrow to pick up my order",
        "je ne veux plus recevoir vos messages",  # a phrase: receipts decides (or reviews)
        "START",
        "AIDE",
        "Merci beaucoup !",
    ],
)
def test_anything_else_is_left_to_receipts(text: str | None) -> None:
    assert early_stop_phone(mo(text), "FR") is None


def test_a_number_without_its_plus_is_read_as_receipts_reads_it() -> None:
    assert early_stop_phone(mo("STOP", source="33612345678"), "FR") == "+33612345678"
    assert early_stop_phone(mo("STOP", source="0612345678"), "FR") == "+33612345678"


def test_an_unreadable_sender_or_a_delivery_receipt_is_ignored() -> None:
    assert early_stop_phone(mo("STOP", source="HERALD"), "FR") is None
    receipt = mo("STOP").model_copy(update={"kind": InboundKind.DELIVERY_RECEIPT})
    assert early_stop_phone(receipt, "FR") is None
