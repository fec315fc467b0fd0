"""GSM 03.38 / UCS-2 segment maths: what a text costs, and how it is cut into parts.

A text that uses only the GSM 03.38 default alphabet (basic table, plus the extension table
whose characters take an escape septet, so cost 2) is sent as GSM-7: 160 septets in a single
SMS, 153 per part when concatenated (the 6-octet UDH takes the rest). Any other character
switches the whole text to UCS-2: 70 UTF-16 code units alone, 67 per part. Characters outside
the Basic Multilingual Plane (most emoji) take two UTF-16 code units, a surrogate pair.

`split` never cuts an escape pair or a surrogate pair: a part may therefore hold one unit
less than the maximum, and `analyse(text).segments == len(split(text))` always.

Accent folding (`fold_to_gsm7`, off unless a campaign switches it on) replaces the characters
GSM 03.38 lacks by their nearest GSM-7 look-alike, so that one "Forêt" does not halve a
message's budget: ê→e, â→a, î→i, ô→o, û→u, ë→e, ï→i, œ→oe, ’→', «»“”→", –—→-, …→...
The characters GSM-7 has natively (é è ù ì ò à É Ç Ä Ö Ñ Ü ä ö ñ ü å Å Ø ø Æ æ ß) are kept,
and ç becomes Ç (0x09): GSM 03.38 first defined that code as ç, many handsets still draw it
so, and Ç keeps the word readable where they do not. What has no look-alike (emoji, other
scripts) stays, so the text stays UCS-2.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

Encoding = Literal["GSM7", "UCS2"]

# The basic table, in code order (0x1B is the escape to the extension table).
GSM7_BASIC: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
ESCAPE: Final = 0x1B
# The extension table: each character is sent as ESC + its code, so it costs two septets.
GSM7_EXTENSION: Final = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
_BASIC_CODES: Final = {char: code for code, char in enumerate(GSM7_BASIC) if code != ESCAPE}
_BASIC_CHARS: Final = dict(enumerate(GSM7_BASIC))
_EXTENSION_CHARS: Final = {code: char for char, code in GSM7_EXTENSION.items()}

GSM7_SINGLE: Final = 160
GSM7_PART: Final = 153
UCS2_SINGLE: Final = 70
UCS2_PART: Final = 67


@dataclass(frozen=True)
class SegmentInfo:
    """`units`: septets (GSM-7) or UTF-16 code units (UCS-2); `segments`: SMS parts."""

    encoding: Encoding
    units: int
    segments: int


class NotGsm7(ValueError):
    """The text holds a character outside GSM 03.38."""


def is_gsm7(text: str) -> bool:
    return all(char in _BASIC_CODES or char in GSM7_EXTENSION for char in text)


def encoding_of(text: str) -> Encoding:
    return "GSM7" if is_gsm7(text) else "UCS2"


def _gsm7_cost(char: str) -> int:
    return 2 if char in GSM7_EXTENSION else 1


def _ucs2_cost(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _limits(encoding: Encoding) -> tuple[int, int]:
    return (GSM7_SINGLE, GSM7_PART) if encoding == "GSM7" else (UCS2_SINGLE, UCS2_PART)


def _costs(text: str, encoding: Encoding) -> list[int]:
    cost = _gsm7_cost if encoding == "GSM7" else _ucs2_cost
    return [cost(char) for char in text]


def _cut(text: str, costs: list[int], encoding: Encoding) -> list[str]:
    single, part = _limits(encoding)
    if sum(costs) <= single:
        return [text]
    parts: list[str] = []
    start = 0
    used = 0
    for index, cost in enumerate(costs):
        if used + cost > part:  # this character would straddle the boundary: next part
            parts.append(text[start:index])
            start, used = index, 0
        used += cost
    parts.append(text[start:])
    return parts


def analyse(text: str) -> SegmentInfo:
    """The encoding a text needs, its length in units, and its number of SMS parts."""
    encoding = encoding_of(text)
    costs = _costs(text, encoding)
    return SegmentInfo(
        encoding=encoding, units=sum(costs), segments=len(_cut(text, costs, encoding))
    )


def split(text: str) -> list[str]:
    """The texts of the parts, in order; joined they give `text` back. One part when the
    text fits a single SMS (including the empty text)."""
    encoding = encoding_of(text)
    return _cut(text, _costs(text, encoding), encoding)


# Explicit folds first; other characters fall back to their letters without accents when
# those are GSM-7 (á→a, Ō→O), else they are kept.
GSM7_FOLDS: Final = {
    "ç": "Ç",
    "œ": "oe",
    "Œ": "OE",
    "À": "A",
    "È": "E",
    "Ì": "I",
    "Ò": "O",
    "Ù": "U",
    "\t": " ",
    "\u00a0": " ",  # no-break space (French typography before : ; ! ?)
    "\u202f": " ",  # narrow no-break space
    "\u2009": " ",  # thin space
    "\u2007": " ",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u02bc": "'",
    "\u2032": "'",
    "`": "'",
    "´": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "«": '"',
    "»": '"',
    "\u2033": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "-",
}


def _fold_char(char: str) -> str:
    if char in _BASIC_CODES or char in GSM7_EXTENSION:
        return char
    folded = GSM7_FOLDS.get(char)
    if folded is not None:
        return folded
    bare = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return bare if bare and is_gsm7(bare) else char


def fold_to_gsm7(text: str) -> str:
    """`text` with every character GSM-7 lacks replaced by its look-alike where one exists
    (see the module's docstring). A text that was GSM-7 comes back unchanged."""
    return "".join(_fold_char(char) for char in text)


def analyse_for_sending(text: str, *, fold: bool = False) -> tuple[str, SegmentInfo]:
    """The text that will be sent (folded when the campaign asks for it) and its cost."""
    sent = fold_to_gsm7(text) if fold else text
    return sent, analyse(sent)


def encode_gsm7(text: str) -> bytes:
    """Unpacked septets, one per octet, extension characters as ESC + code: what SMPP
    carries with data_coding 0 (the SMSC packs them)."""
    out = bytearray()
    for char in text:
        code = _BASIC_CODES.get(char)
        if code is not None:
            out.append(code)
            continue
        extension = GSM7_EXTENSION.get(char)
        if extension is None:
            raise NotGsm7(f"character U+{ord(char):04X} is not in GSM 03.38")
        out += bytes((ESCAPE, extension))
    return bytes(out)


def decode_gsm7(data: bytes) -> str:
    """Unpacked septets back to text; unknown codes become '?', a lone ESC a space."""
    chars: list[str] = []
    escaped = False
    for octet in data:
        if escaped:
            chars.append(_EXTENSION_CHARS.get(octet, " "))
            escaped = False
        elif octet == ESCAPE:
            escaped = True
        else:
            chars.append(_BASIC_CHARS.get(octet & 0x7F, "?"))
    if escaped:
        chars.append(" ")
    return "".join(chars)


def encode_ucs2(text: str) -> bytes:
    """UTF-16 big-endian (astral characters as surrogate pairs): SMPP data_coding 8."""
    return text.encode("utf-16-be", errors="surrogatepass")


def decode_ucs2(data: bytes) -> str:
    return data.decode("utf-16-be", errors="replace")
