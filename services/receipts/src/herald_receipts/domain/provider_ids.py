"""Provider message ids, normalised so that a receipt finds the message it reports on.

SMSCs disagree with themselves: the same id comes back in `submit_sm_resp` as hex
(`5F3A9C01`) and in the receipt as decimal (`1597676545`), with or without leading
zeros, in upper or lower case. Each id therefore gets a canonical `primary` form and, when
it could be read another way, an `alternate` one:

- all hex digits, at least one a-f: primary = its integer value written in decimal;
- all decimal digits: primary = the decimal value (leading zeros dropped), alternate = the
  value read as hex (an all-digit hex id such as `12345` also exists);
- anything else (UUIDs, dashes...): primary = the stripped, lower-cased id, no alternate.

Two ids match when their key sets (primary + alternate) intersect; an exact primary match
is preferred over an alternate one. Integers are written in decimal and other ids contain a
non-hex character, so the two kinds of key can never collide.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Final

_HEX: Final = frozenset(string.hexdigits.lower())
_DECIMAL: Final = frozenset(string.digits)


class InvalidProviderId(ValueError):
    pass


@dataclass(frozen=True)
class ProviderId:
    raw: str
    primary: str
    alternate: str | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """Every canonical form, primary first."""
        return (self.primary,) if self.alternate is None else (self.primary, self.alternate)


def normalise_provider_id(raw: str) -> ProviderId:
    text = raw.strip().lower()
    if text.startswith("0x") and len(text) > 2 and set(text[2:]) <= _HEX:
        return ProviderId(raw=raw, primary=str(int(text[2:], 16)))
    if not text:
        raise InvalidProviderId("empty provider message id")
    chars = set(text)
    if chars <= _DECIMAL:
        decimal = str(int(text))
        as_hex = str(int(text, 16))
        return ProviderId(raw=raw, primary=decimal, alternate=None if as_hex == decimal else as_hex)
    if chars <= _HEX:
        return ProviderId(raw=raw, primary=str(int(text, 16)))
    return ProviderId(raw=raw, primary=text)


def match_rank(
    receipt: ProviderId, stored_primary: str, stored_alternate: str | None
) -> int | None:
    """0 for an exact primary match, 1 for a match through an alternate form, None otherwise."""
    if receipt.primary == stored_primary:
        return 0
    stored = {stored_primary} if stored_alternate is None else {stored_primary, stored_alternate}
    return 1 if stored & set(receipt.keys) else None
