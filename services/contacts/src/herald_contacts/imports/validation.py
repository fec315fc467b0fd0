"""Checking a batch of records, in a worker process: the rows come back already encoded in
PostgreSQL's COPY text format, so the event loop only forwards bytes.

phonenumbers checks some 60,000 numbers a second on one core; a pool of processes (one per
CPU) checks batches in parallel while the loop reads the next ones and COPYs the previous.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from herald_contacts.domain.csv_decoding import Record
from herald_contacts.domain.import_rows import ContactRow, RejectedRow, RowRules, check_row

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"


@dataclass(frozen=True)
class CheckedBatch:
    data: bytes  # COPY text rows for the staging table (staging.COLUMNS order)
    rows: int
    rejected: int


# A record as it travels to a checking process: a plain tuple pickles three times faster
# than the dataclass (a million of them cross the process boundary per million rows).
RecordTuple = tuple[int, list[str], int, str | None]


def as_tuples(records: Sequence[Record]) -> list[RecordTuple]:
    return [(r.line, r.fields, r.lines, r.error) for r in records]


def check_tuples(rules: RowRules, records: Sequence[RecordTuple]) -> CheckedBatch:
    """check_batch for records sent as tuples (the pool's entry point)."""
    return check_batch(rules, [Record(*record) for record in records])


def check_batch(rules: RowRules, records: Sequence[Record]) -> CheckedBatch:
    lines: list[str] = []
    rejected = 0
    for record in records:
        row = check_row(record, rules)
        if isinstance(row, RejectedRow):
            rejected += 1
            lines.append(_rejected_line(row))
        else:
            lines.append(_contact_line(row))
    return CheckedBatch("".join(lines).encode("utf-8"), len(records), rejected)


def _contact_line(row: ContactRow) -> str:
    values = (
        str(row.line),
        _text(row.phone),
        _text(row.country),
        _text(row.timezone),
        _text(row.timezone_source),
        "t" if row.timezone_ambiguous else "f",
        _text(row.first_name),
        _text(row.last_name),
        _text(row.email),
        _text(row.locale),
        _text(row.lifecycle),
        _array(row.tags),
        _array(row.lists),
        _json(row.attributes),
        _moment(row.opted_in_at),
        _text(row.consent_source),
        _text(row.consent_wording),
        _NULL,
        _NULL,
        _NULL,
    )
    return "\t".join(values) + "\n"


_EMPTY_CONTACT = "\t".join([_NULL] * 16)


def _rejected_line(row: RejectedRow) -> str:
    return (
        "\t".join(
            (str(row.line), _EMPTY_CONTACT, _text(row.column), _text(row.value), _text(row.reason))
        )
        + "\n"
    )


def _text(value: str | None) -> str:
    return _NULL if value is None else value.translate(_ESCAPES)


def _array(values: list[str] | None) -> str:
    if values is None:
        return _NULL
    items = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return ("{" + ",".join(items) + "}").translate(_ESCAPES)


def _json(value: dict[str, Any] | None) -> str:
    return _NULL if value is None else json.dumps(value, ensure_ascii=False).translate(_ESCAPES)


def _moment(value: datetime | None) -> str:
    return _NULL if value is None else value.isoformat()
