"""What the API refuses before anything is written: no evidence, no consent."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from herald_consent.schemas import ConsentCreate, OptoutCreate


def _body(**evidence: Any) -> dict[str, Any]:
    return {
        "phone": "0612345678",
        "purpose": "marketing",
        "source": "web_form",
        "evidence": {
            "wording": "J'accepte de recevoir les offres par SMS.",
            "wording_version": "v3",
            "collected_at": "2026-11-24T09:00:00+01:00",
            **evidence,
        },
    }


def _fields(error: ValidationError) -> list[str]:
    return [".".join(str(p) for p in e["loc"]) for e in error.errors()]


def test_a_complete_opt_in_is_accepted() -> None:
    body = ConsentCreate.model_validate(_body(ip="203.0.113.7", pre_ticked=False))
    assert body.brand == "default"
    assert str(body.evidence.ip) == "203.0.113.7"


def test_a_pre_ticked_box_is_refused() -> None:
    refused = r"a pre-ticked box is not consent \(CNIL / GDPR recital 32\)"
    with pytest.raises(ValidationError, match=refused) as error:
        ConsentCreate.model_validate(_body(pre_ticked=True))
    assert _fields(error.value) == ["evidence.pre_ticked"]


@pytest.mark.parametrize("wording", ["", "   "])
def test_an_empty_wording_is_refused(wording: str) -> None:
    with pytest.raises(ValidationError) as error:
        ConsentCreate.model_validate(_body(wording=wording))
    assert _fields(error.value) == ["evidence.wording"]


def test_missing_evidence_is_refused() -> None:
    body = _body()
    del body["evidence"]
    with pytest.raises(ValidationError) as error:
        ConsentCreate.model_validate(body)
    assert _fields(error.value) == ["evidence"]


def test_a_collection_time_without_offset_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        ConsentCreate.model_validate(_body(collected_at="2026-11-24T09:00:00"))
    assert _fields(error.value) == ["evidence.collected_at"]


def test_an_unknown_purpose_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        ConsentCreate.model_validate({**_body(), "purpose": "newsletter"})
    assert _fields(error.value) == ["purpose"]


def test_an_optout_defaults_to_every_purpose_and_brand() -> None:
    body = OptoutCreate.model_validate({"phone": "0612345678"})
    assert (body.purpose.value, body.brand) == ("all", "*")
