"""Reading a marketer's CSV file: is it one, which encoding, which separator, which records.

Encoding rule: strict UTF-8 (with or without a BOM) when every byte of the file decodes as
UTF-8, else Windows-1252. Both are checked over the whole file while it is uploaded, not on
a sample. Valid UTF-8 with accented letters practically never arises from Windows-1252 text
(it would take sequences like "Ã©"), so the rule does not guess; Windows-1252 reads Latin-1
text identically except for 0x80-0x9F, which are control characters in Latin-1 and never
appear in a text file. A probabilistic detector (charset-normalizer) looks at a sample and can
name a rarer code page for a short French file; this rule is exact, fast and dependency-free.
A file that is neither (one of the five bytes Windows-1252 leaves undefined, a UTF-8 BOM
followed by invalid UTF-8) is refused with the offset of the offending byte, and so are
UTF-16/32 text and binary files (office documents, archives, PDFs, images).
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

HEAD_BYTES = 64 * 1024  # what the type, separator and header are recognised from
DELIMITERS = (";", ",", "\t", "|")
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_32_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
# Magic numbers of the files most often sent instead of a CSV.
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx, .ods or .docx document is one)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Office document (an old .xls?)"),
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"{\\rtf", "an RTF document"),
)
_MARKUP = re.compile(rb"^\s*<(\?xml|!doctype html|html)", re.IGNORECASE)
_CP1252_UNDEFINED = re.compile(b"[\x81\x8d\x8f\x90\x9d]")
_SEP_HINT = re.compile(r"^sep=(.)\s*$", re.IGNORECASE)  # Excel's first-line separator hint


class UnsupportedFile(ValueError):
    """Not a text file: the message names what it looks like instead."""


class UnreadableEncoding(ValueError):
    """Text, but neither UTF-8 nor Windows-1252: the message names the offending byte."""


class NotCsv(ValueError):
    """Text, but no CSV header can be read from it."""


def check_file_type(head: bytes) -> None:
    """Refuse what is plainly not CSV text, from the first bytes of the file."""
    for bom, name in _UTF16_32_BOMS:
        if head.startswith(bom):
            raise UnreadableEncoding(
                f"{name} text is not supported: save the file as 'CSV UTF-8' and send it again"
            )
    for magic, name in _MAGIC:
        if head.startswith(magic):
            raise UnsupportedFile(f"this is {name}, not a CSV file: export it as CSV")
    if _MARKUP.match(head):
        raise UnsupportedFile("this is an XML or HTML document, not a CSV file: export it as CSV")


class EncodingDetector:
    """Sees every byte of the file once, in order; `encoding()` then applies the rule of the
    module docstring. Binary content (a NUL byte) is refused as soon as it is seen."""

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self._start = b""
        self._offset = 0
        self._utf8_error: str | None = None
        self._cp1252_error: str | None = None

    def feed(self, chunk: bytes) -> None:
        if len(self._start) < 4:
            self._start = (self._start + chunk)[:4]
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise UnsupportedFile(
                f"binary data (a NUL byte at offset {self._offset + nul}), not a CSV text file"
            )
        if self._utf8_error is None:
            try:
                self._utf8.decode(chunk)
            except UnicodeDecodeError as error:
                self._utf8_error = self._describe(chunk, self._offset + error.start, error.start)
        if self._cp1252_error is None:
            undefined = _CP1252_UNDEFINED.search(chunk)
            if undefined is not None:
                at = undefined.start()
                self._cp1252_error = self._describe(chunk, self._offset + at, at)
        self._offset += len(chunk)

    @staticmethod
    def _describe(chunk: bytes, offset: int, index: int) -> str:
        return f"byte 0x{chunk[index]:02X} at offset {offset}"

    @property
    def size(self) -> int:
        return self._offset

    def encoding(self) -> str:
        """`utf-8-sig`, `utf-8` or `cp1252` (Python codec names), or UnreadableEncoding."""
        if self._utf8_error is None:
            try:
                self._utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                self._utf8_error = f"a truncated character at the end (offset {self._offset})"
        bom = self._start.startswith(_UTF8_BOM)
        if self._utf8_error is None:
            return "utf-8-sig" if bom else "utf-8"
        if bom:
            raise UnreadableEncoding(
                f"the file starts as UTF-8 (byte order mark) but {self._utf8_error} is not "
                "UTF-8: save it again as 'CSV UTF-8'"
            )
        if self._cp1252_error is None:
            return "cp1252"
        raise UnreadableEncoding(
            f"neither UTF-8 ({self._utf8_error} is invalid) nor Windows-1252/Latin-1 "
            f"({self._cp1252_error} is undefined): save the file as 'CSV UTF-8'"
        )


def encoding_label(codec: str) -> str:
    """How a report names a codec."""
    return {"utf-8-sig": "UTF-8 (BOM)", "utf-8": "UTF-8", "cp1252": "Windows-1252"}.get(
        codec, codec
    )


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    skip_lines: int = 0  # 1 when the file starts with Excel's `sep=;` line


def head_text(head: bytes, encoding: str, complete: bool) -> str:
    """The first bytes as text, cut after the last whole line unless they are the whole file."""
    if not complete:
        cut = max(head.rfind(b"\n"), head.rfind(b"\r"))
        if cut < 0:
            raise NotCsv(f"no line break in the first {len(head) // 1024} KiB: not a CSV file")
        head = head[: cut + 1]
    return head.decode(encoding)


def sniff_dialect(sample: str) -> Dialect:
    """The separator that splits the first lines into the most consistent records (`;`, `,`,
    tab or `|`); Excel's `sep=` hint line wins when present."""
    first_line = sample.split("\n", 1)[0].strip("\r")
    hint = _SEP_HINT.match(first_line)
    if hint is not None:
        return Dialect(hint.group(1), skip_lines=1)
    best: tuple[float, int, int] | None = None
    chosen = ","
    for rank, delimiter in enumerate(DELIMITERS):
        counts = [
            len(row)
            for row in _sample_records(sample, delimiter)
            if any(cell.strip() for cell in row)
        ][:50]
        if not counts or counts[0] < 2:
            continue
        consistent = sum(1 for n in counts if n == counts[0]) / len(counts)
        score = (consistent, counts[0], -rank)
        if best is None or score > best:
            best, chosen = score, delimiter
    return Dialect(chosen)


def _sample_records(sample: str, delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(sample.splitlines(keepends=True)[:60], delimiter=delimiter))
    except csv.Error:
        return []


@dataclass(frozen=True)
class Record:
    """One CSV record: its first physical line (1-based) and its fields; `lines` > 1 when a
    quoted field spans lines. `error` is set instead of fields when the parser gave up."""

    line: int
    fields: list[str]
    lines: int = 1
    error: str | None = None


def read_records(lines: Iterable[str], dialect: Dialect) -> Iterator[Record]:
    """Every non-blank record of the text (opened with newline=''), in order. A record the
    parser cannot read is yielded with `error` and reading goes on at the next line."""
    source = iter(lines)
    for _ in range(dialect.skip_lines):
        next(source, None)
    reader = csv.reader(source, delimiter=dialect.delimiter, strict=False)
    done = dialect.skip_lines
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            line, done = done + 1, dialect.skip_lines + reader.line_num
            yield Record(line, [], done - line + 1, error=f"unreadable CSV: {error}")
            continue
        line, done = done + 1, dialect.skip_lines + reader.line_num
        if any(cell.strip() for cell in fields):
            yield Record(line, fields, done - line + 1)
