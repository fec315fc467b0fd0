"""The readable evidence document: language choice, content, and escaping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from herald_consent.evidence_document import negotiate, render_html
from herald_consent.schemas import ConsentEvidence


def exported(valid: bool = True, **evidence: Any) -> ConsentEvidence:
    entry = {
        "id": str(uuid.UUID(int=7)),
        "seq": 7,
        "phone": "+33612345678",
        "channel": "sms",
        "purpose": "marketing",
        "brand": "acme",
        "action": "opt_in",
        "source": "web_form",
        "evidence": {
            "wording": "J'accepte les SMS d'Acme",
            "wording_version": "form-v3",
            "collected_at": "2026-12-06T10:00:00+01:00",
            "ip": "203.0.113.7",
            "pre_ticked": False,
            **evidence,
        },
        "recorded_by": "api_key:k1",
        "created_at": "2026-12-06T09:00:00.000001Z",
        "identifying_digest": "hmac-sha256:" + "c" * 64,
        "previous_hash": "a" * 64,
        "hash": "b" * 64,
    }
    problems = [{"seq": 7, "entry_id": entry["id"], "field": "hash", "expected": "1", "found": "2"}]
    return ConsentEvidence.model_validate(
        {
            "phone": "+33612345678",
            "workspace_id": "ws",
            "entries": [entry],
            "verification": {
                "valid": valid,
                "canonical_form": "herald.consent-ledger.v1",
                "checked_at": datetime(2026, 12, 6, tzinfo=UTC),
                "chain_head": {"seq": 7, "hash": "b" * 64},
                "problems": [] if valid else problems,
            },
        }
    )


@pytest.mark.parametrize(
    ("lang", "header", "chosen"),
    [
        (None, None, "fr"),
        (None, "en", "en"),
        (None, "en-GB,en;q=0.9", "en"),
        (None, "fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        (None, "de-DE,en;q=0.5,fr;q=0.7", "fr"),
        (None, "de, en;q=0.3", "en"),
        (None, "de", "fr"),
        (None, "en;q=bad", "fr"),
        ("en", "fr", "en"),
        ("fr", "en", "fr"),
    ],
)
def test_the_language(lang: Any, header: str | None, chosen: str) -> None:
    assert negotiate(lang, header) == chosen


def test_the_french_document_shows_every_element_of_proof() -> None:
    document = render_html(exported(), "fr")
    assert document.startswith('<!DOCTYPE html><html lang="fr">')
    for shown in (
        "Preuve de consentement SMS",
        "Consentement donné",
        "Prospection commerciale",
        "Formulaire web",
        "J&#x27;accepte les SMS d&#x27;Acme",
        "form-v3",
        "203.0.113.7",
        "Case pré-cochée</th><td>non",
        "api_key:k1",
        "b" * 64,
        "a" * 64,
        "Vérifiée",
        "RGPD, art. 7(1)",
    ):
        assert shown in document, shown


def test_the_english_document() -> None:
    document = render_html(exported(), "en")
    assert '<html lang="en">' in document
    assert "SMS consent evidence" in document
    assert "Consent given" in document
    assert "Pre-ticked box</th><td>no" in document


def test_a_broken_chain_is_said_plainly() -> None:
    document = render_html(exported(valid=False), "en")
    assert "TAMPERING" in document
    assert "expected 1, found 2" in document


def test_every_value_is_escaped() -> None:
    document = render_html(exported(wording="<script>alert(1)</script>", row=3), "fr")
    assert "<script>" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert "Autres éléments: row" in document
