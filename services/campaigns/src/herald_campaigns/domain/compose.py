"""The final text of one message and what it costs: the one path that both expansion (what is
requested) and the preview (what a marketer sees) take, so a preview is what is sent.

Pure. In this order:
1. the personalised text (the template rendered for the contact) is folded to its GSM-7
   look-alikes when the campaign asks for it (`fold_accents`,
   herald_compliance.segments.fold_to_gsm7), so the copy is folded, never the names' meaning
   changed after the count;
2. a marketing text gets its country's opt-out mention (domain/mention.py), after the fold so
   that the mention is detected on the text as sent; the mention is GSM-7 (the default
   wordings are; with folding on it is folded like the rest), so it never forces UCS-2 alone;
3. the result is counted (herald_compliance.segments.analyse): encoding, units, parts, and
   the characters that force UCS-2, so a marketer can replace them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from herald_campaigns.domain.mention import MARKETING, mention_of_country
from herald_compliance.segments import (
    GSM7_PART,
    GSM7_SINGLE,
    UCS2_PART,
    UCS2_SINGLE,
    Encoding,
    analyse,
    fold_to_gsm7,
    is_gsm7,
)

# How the API names the encodings (herald_compliance says GSM7 / UCS2).
EncodingName = Literal["GSM-7", "UCS-2"]
ENCODING_NAMES: Final[dict[Encoding, EncodingName]] = {"GSM7": "GSM-7", "UCS2": "UCS-2"}


@dataclass(frozen=True)
class Composed:
    """`units`: GSM-7 septets (extension characters count 2) or UTF-16 units (emoji 2);
    `per_segment`: the capacity of each part (160/70 alone, 153/67 when concatenated)."""

    text: str
    mention_added: bool
    encoding: EncodingName
    units: int
    segments: int
    per_segment: int
    non_gsm_characters: tuple[str, ...]


def non_gsm_characters(text: str) -> tuple[str, ...]:
    """The characters of `text` outside GSM 03.38 (each once, in order of appearance)."""
    seen: dict[str, None] = {}
    for char in text:
        if char not in seen and not is_gsm7(char):
            seen[char] = None
    return tuple(seen)


def final_text(
    rendered: str,
    *,
    category: str,
    country: str,
    short_code: str | None,
    fold: bool = False,
) -> tuple[str, bool]:
    """The text to send for a rendered template and whether a mention was added (steps 1
    and 2 of the module's docstring; expansion needs no count). `country`: the recipient's
    (ISO alpha-2; French territories take France's mention)."""
    text = fold_to_gsm7(rendered) if fold else rendered
    if category != MARKETING:
        return text, False
    mentioned = mention_of_country(text, country, short_code, fold=fold)
    return (text, False) if mentioned is None else mentioned


def compose(
    rendered: str,
    *,
    category: str,
    country: str,
    short_code: str | None,
    fold: bool = False,
) -> Composed:
    """The text to send and what it costs (the three steps of the module's docstring)."""
    text, added = final_text(
        rendered, category=category, country=country, short_code=short_code, fold=fold
    )
    info = analyse(text)
    single = info.segments == 1
    if info.encoding == "GSM7":
        per_segment = GSM7_SINGLE if single else GSM7_PART
    else:
        per_segment = UCS2_SINGLE if single else UCS2_PART
    return Composed(
        text=text,
        mention_added=added,
        encoding=ENCODING_NAMES[info.encoding],
        units=info.units,
        segments=info.segments,
        per_segment=per_segment,
        non_gsm_characters=non_gsm_characters(text),
    )
