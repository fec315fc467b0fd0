"""The evidence export as a document a person can read (GDPR Art. 7(1)): French or English.

Pure rendering of the JSON export (`ConsentEvidence`): every entry with what was shown, how
and when it was answered, who recorded it, and the chain hashes that prove nothing was
changed since. Every value is HTML-escaped; the layout is self-contained (no external CSS,
no script), so the file can be archived or printed as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from html import escape
from typing import Any, Final, Literal

from herald_consent.schemas import ConsentEvidence, LedgerEntryRead

Lang = Literal["fr", "en"]
LANGS: Final[tuple[Lang, ...]] = ("fr", "en")

TEXT: Final[dict[Lang, dict[str, str]]] = {
    "fr": {
        "title": "Preuve de consentement SMS",
        "intro": (
            "Ce document reprend chaque entrée du registre de consentement SMS de ce numéro, "
            "dans l'ordre de la chaîne, pour démontrer le consentement (RGPD, art. 7(1)). "
            "Une case pré-cochée n'est jamais acceptée comme consentement (RGPD, considérant "
            "32 ; CNIL). Le consentement SMS est distinct de tout consentement par e-mail."
        ),
        "workspace": "Espace de travail",
        "phone": "Numéro",
        "channel": "Canal",
        "generated": "Document établi le",
        "integrity": "Intégrité du registre",
        "valid": (
            "Vérifiée : l'empreinte de chaque entrée est recalculée, chaque entrée cite "
            "l'empreinte de la précédente et est citée par la suivante (ou par la tête "
            "de chaîne). Aucune entrée n'a été modifiée, retirée ni déplacée."
        ),
        "invalid": "ANOMALIE : la chaîne ne se vérifie pas aux endroits suivants.",
        "head": "Tête de chaîne (dernière entrée de l'espace de travail)",
        "canonical": "Forme canonique des empreintes",
        "entry": "Entrée",
        "recorded_at": "Enregistrée le (UTC)",
        "action": "Action",
        "purpose": "Finalité",
        "brand": "Marque ou programme",
        "source": "Source",
        "wording": "Texte présenté",
        "wording_version": "Version du texte",
        "collected_at": "Recueilli le",
        "ip": "Adresse IP",
        "user_agent": "Navigateur (user agent)",
        "pre_ticked": "Case pré-cochée",
        "collected_by": "Recueilli par",
        "recorded_by": "Enregistré par",
        "other": "Autres éléments",
        "hash": "Empreinte (SHA-256)",
        "previous_hash": "Empreinte précédente",
        "erased": "numéro effacé (pseudonyme)",
        "no": "non",
        "yes": "oui",
        "expected": "attendu",
        "found": "trouvé",
        "opt_in": "Consentement donné",
        "opt_out": "Consentement retiré (opposition)",
        "marketing": "Prospection commerciale",
        "transactional": "Messages transactionnels",
        "all_brands": "toutes les marques",
        "web_form": "Formulaire web",
        "keyword": "Mot-clé SMS",
        "import": "Import de fichier",
        "api": "API",
        "double_opt_in": "Double opt-in (confirmation)",
        "phrase": "Phrase d'opposition reçue par SMS",
        "review": "Message examiné par une personne",
    },
    "en": {
        "title": "SMS consent evidence",
        "intro": (
            "This document lists every entry of this number's SMS consent ledger, in chain "
            "order, to demonstrate consent (GDPR Art. 7(1)). A pre-ticked box is never "
            "accepted as consent (GDPR recital 32; CNIL). SMS consent is separate from any "
            "email consent."
        ),
        "workspace": "Workspace",
        "phone": "Number",
        "channel": "Channel",
        "generated": "Generated at",
        "integrity": "Ledger integrity",
        "valid": (
            "Verified: every entry's hash recomputes, every entry quotes the hash of the one "
            "before it and is quoted by the one after it (or by the chain head). No entry "
            "was changed, removed or moved."
        ),
        "invalid": "TAMPERING: the chain does not hold at the following places.",
        "head": "Chain head (the workspace's last entry)",
        "canonical": "Canonical form of the hashes",
        "entry": "Entry",
        "recorded_at": "Recorded at (UTC)",
        "action": "Action",
        "purpose": "Purpose",
        "brand": "Brand or program",
        "source": "Source",
        "wording": "Wording shown",
        "wording_version": "Wording version",
        "collected_at": "Collected at",
        "ip": "IP address",
        "user_agent": "User agent",
        "pre_ticked": "Pre-ticked box",
        "collected_by": "Collected by",
        "recorded_by": "Recorded by",
        "other": "Other evidence",
        "hash": "Hash (SHA-256)",
        "previous_hash": "Previous hash",
        "erased": "erased number (pseudonym)",
        "no": "no",
        "yes": "yes",
        "expected": "expected",
        "found": "found",
        "opt_in": "Consent given",
        "opt_out": "Consent withdrawn (opt-out)",
        "marketing": "Marketing",
        "transactional": "Transactional messages",
        "all_brands": "every brand",
        "web_form": "Web form",
        "keyword": "SMS keyword",
        "import": "File import",
        "api": "API",
        "double_opt_in": "Double opt-in (confirmation)",
        "phrase": "Opt-out phrase received by SMS",
        "review": "Message reviewed by a person",
    },
}

# Evidence fields with a row of their own; the others are listed under "other".
NAMED_EVIDENCE: Final = (
    "wording",
    "wording_version",
    "collected_at",
    "ip",
    "user_agent",
    "pre_ticked",
    "collected_by",
)

STYLE: Final = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;width:100%;margin-bottom:1.5em}"
    "th,td{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top}"
    "th{width:14em;background:#f2f2f2}code{word-break:break-all}"
    ".ok{color:#165f16}.ko{color:#a00000;font-weight:bold}"
)


def negotiate(lang: Lang | None, accept_language: str | None) -> Lang:
    """`lang` when given; else the preferred of fr / en in Accept-Language; else French."""
    if lang is not None:
        return lang
    best: tuple[float, Lang] = (0.0, "fr")
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGS:
            continue
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if quality > best[0]:
            best = (quality, "en" if primary == "en" else "fr")
    return best[1]


def _label(text: Mapping[str, str], value: str) -> str:
    return text.get(value, value)


def _value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else str(value)


def _row(label: str, value: str, *, code: bool = False) -> str:
    shown = f"<code>{escape(value)}</code>" if code else escape(value)
    return f"<tr><th>{escape(label)}</th><td>{shown}</td></tr>"


def _entry(text: Mapping[str, str], entry: LedgerEntryRead) -> str:
    evidence = entry.evidence
    brand = text["all_brands"] if entry.brand == "*" else entry.brand
    rows = [
        _row(text["recorded_at"], _value(entry.created_at)),
        _row(text["action"], _label(text, entry.action)),
        _row(text["purpose"], _label(text, entry.purpose)),
        _row(text["brand"], brand),
        _row(text["source"], _label(text, entry.source)),
    ]
    for name in NAMED_EVIDENCE:
        if name not in evidence or evidence[name] is None:
            continue
        value = evidence[name]
        if isinstance(value, bool):
            value = text["yes"] if value else text["no"]
        rows.append(_row(text[name], _value(value)))
    other = {k: v for k, v in evidence.items() if k not in NAMED_EVIDENCE and v is not None}
    for name, value in sorted(other.items()):
        rows.append(_row(f"{text['other']}: {name}", _value(value), code=True))
    rows += [
        _row(text["recorded_by"], entry.recorded_by),
        _row(text["hash"], entry.hash, code=True),
        _row(text["previous_hash"], entry.previous_hash, code=True),
    ]
    heading = f"{text['entry']} {entry.seq}"
    return f"<h3>{escape(heading)}</h3><table>{''.join(rows)}</table>"


def render_html(evidence: ConsentEvidence, lang: Lang) -> str:
    text = TEXT[lang]
    check = evidence.verification
    phone = evidence.phone
    erased = all(e.phone != phone for e in evidence.entries)
    shown_phone = f"{phone} ({text['erased']})" if erased else phone
    summary = [
        _row(text["workspace"], evidence.workspace_id),
        _row(text["phone"], shown_phone),
        _row(text["channel"], "SMS"),
        _row(text["generated"], _value(check.checked_at)),
        _row(text["canonical"], check.canonical_form, code=True),
    ]
    if check.chain_head is not None:
        head = f"seq {check.chain_head.seq} · {check.chain_head.hash}"
        summary.append(_row(text["head"], head, code=True))
    if check.valid:
        integrity = f'<p class="ok">{escape(text["valid"])}</p>'
    else:
        problems = "".join(
            f"<li><code>seq {p.seq} {escape(str(p.entry_id or ''))} {escape(p.field)}: "
            f"{escape(text['expected'])} {escape(p.expected)}, "
            f"{escape(text['found'])} {escape(p.found)}</code></li>"
            for p in check.problems
        )
        integrity = f'<p class="ko">{escape(text["invalid"])}</p><ul>{problems}</ul>'
    entries = "".join(_entry(text, entry) for entry in evidence.entries)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(text['title'])}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(text['title'])}</h1><p>{escape(text['intro'])}</p>"
        f"<table>{''.join(summary)}</table>"
        f"<h2>{escape(text['integrity'])}</h2>{integrity}"
        f"{entries}</body></html>"
    )
