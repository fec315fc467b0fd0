"""The opt-out mention of promotional messages, applied when a campaign's text is rendered,
so that what campaigns requests (and counts) is what the handset receives.

Marketing texts get their recipient's country mention (France and its overseas
territories: `STOP au <short code>`; elsewhere the general wording) unless the text already
has one (herald_compliance.mention detects it, so nothing adds it twice). Transactional
texts get none. A French recipient in a workspace without a short code gets the text as
written: a mention without a number to reply to would be wrong, and the campaign's own
template may carry one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from herald_compliance.mention import MentionError, with_optout_mention
from herald_compliance.phones import InvalidPhone, normalise_phone
from herald_compliance.rule_packs.calendars import FRENCH_REGIONS

MARKETING = "marketing"


@dataclass(frozen=True)
class MentionPolicy:
    """The short code a workspace's handsets reply to (`by_workspace`, else `default`)."""

    default: str | None = None
    by_workspace: Mapping[str, str] = field(default_factory=dict)

    def short_code(self, workspace_id: str) -> str | None:
        return self.by_workspace.get(workspace_id, self.default)


def mention_region(country: str) -> str:
    """The country whose mention applies to a recipient of `country`: France's for its
    overseas territories too."""
    country = country.upper()
    return "FR" if country in FRENCH_REGIONS else country


def mention_country(phone: str) -> str:
    """The country whose mention applies to a number (France when it cannot be read)."""
    try:
        country = normalise_phone(phone).country or "FR"
    except InvalidPhone:
        return "FR"
    return mention_region(country)


def mention_of_country(
    text: str, country: str, short_code: str | None, *, fold: bool = False
) -> tuple[str, bool] | None:
    """`text` ending with the mention of `country` and whether one was added (none when the
    text has one), folded to GSM-7 when `fold`; None when no mention can be built (France
    without a short code: the text goes as written)."""
    try:
        mentioned = with_optout_mention(
            text, country=mention_region(country), short_code=short_code, fold=fold
        )
    except MentionError:
        return None
    return mentioned.text, mentioned.added


def with_mention(text: str, category: str, phone: str, short_code: str | None) -> str:
    """The text to send: a marketing text ends with its opt-out mention."""
    if category != MARKETING:
        return text
    mentioned = mention_of_country(text, mention_country(phone), short_code)
    return text if mentioned is None else mentioned[0]
