"""Reading CSV files: what they are, their encoding, their separator, their records."""

from __future__ import annotations

import io

import pytest

from herald_contacts.domain.csv_decoding import (
    Dialect,
    EncodingDetector,
    NotCsv,
    UnreadableEncoding,
    UnsupportedFile,
    check_file_type,
    head_text,
    read_records,
    sniff_dialect,
)


def detect(data: bytes, piece: int = 3) -> str:
    """The encoding, the file fed in small pieces (characters split across them)."""
    detector = EncodingDetector()
    for start in range(0, len(data), piece):
        detector.feed(data[start : start + piece])
    return detector.encoding()


class TestFileType:
    @pytest.mark.parametrize(
        ("head", "named"),
        [
            (b"PK\x03\x04rest", "ZIP archive"),
            (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Office document"),
            (b"%PDF-1.4", "PDF"),
            (b"\x89PNG\r\n", "PNG"),
            (b"\xff\xd8\xff\xe0", "JPEG"),
            (b"\x1f\x8b\x08", "gzip"),
            (b"  <!DOCTYPE html><html>", "HTML"),
            (b'<?xml version="1.0"?>', "XML"),
        ],
    )
    def test_documents_sent_instead_of_a_csv_are_named(self, head: bytes, named: str) -> None:
        with pytest.raises(UnsupportedFile, match=named):
            check_file_type(head)

    @pytest.mark.parametrize(
        ("bom", "name"), [(b"\xff\xfe", "UTF-16"), (b"\xff\xfe\0\0", "UTF-32")]
    )
    def test_utf16_and_utf32_are_refused_by_name(self, bom: bytes, name: str) -> None:
        with pytest.raises(UnreadableEncoding, match=f"{name} text is not supported"):
            check_file_type(bom + b"t\0e\0l\0")

    def test_text_passes(self) -> None:
        check_file_type("téléphone;nom\n".encode())


class TestEncoding:
    def test_utf8_with_accents_split_across_pieces(self) -> None:
        assert detect("Prénom;Nom\nÉlodie;Lefèvre\n".encode()) == "utf-8"

    def test_utf8_with_a_bom(self) -> None:
        assert detect("\ufeffPrénom\n".encode()) == "utf-8-sig"

    def test_plain_ascii_is_utf8(self) -> None:
        assert detect(b"tel\n0612345678\n") == "utf-8"

    def test_windows_1252_anywhere_in_the_file(self) -> None:
        data = b"tel;nom\n" + b"0612345678;Martin\n" * 1000 + "Françoise;€\n".encode("cp1252")
        assert detect(data, piece=4096) == "cp1252"

    def test_latin1_text_reads_as_windows_1252(self) -> None:
        assert detect("Prénom;Noël\n".encode("latin-1")) == "cp1252"

    def test_a_file_cut_inside_a_character_is_not_utf8(self) -> None:
        assert detect("Prénom;É".encode()[:-1]) == "cp1252"

    def test_bytes_undefined_in_windows_1252_are_refused_with_their_offset(self) -> None:
        with pytest.raises(UnreadableEncoding, match=r"byte 0x81 at offset 5"):
            detect(b"tel;n\x81m\xe9\n")

    def test_a_bom_followed_by_invalid_utf8_is_refused(self) -> None:
        with pytest.raises(UnreadableEncoding, match="starts as UTF-8"):
            detect(b"\xef\xbb\xbftel;Ren\xe9\n")

    def test_a_nul_byte_means_binary(self) -> None:
        with pytest.raises(UnsupportedFile, match="NUL byte at offset 4"):
            detect(b"tel\n\x00\x01")


class TestDialect:
    @pytest.mark.parametrize(
        ("sample", "delimiter"),
        [
            ("tel;prenom;nom\n0612;Jean;Dupont\n0613;Léa;Roux\n", ";"),
            ("tel,prenom,nom\n0612,Jean,Dupont\n", ","),
            ("tel\tprenom\n0612\tJean\n", "\t"),
            ("tel|prenom\n0612|Jean\n", "|"),
            ('tel;nom;montant\n0612;"Dupont, Jean";12,50\n0613;Roux;3,20\n', ";"),
            ('tel,nom\n0612,"Dupont; Jean"\n', ","),
            ("telephone\n0612345678\n", ","),
        ],
    )
    def test_the_separator_is_the_one_that_splits_lines_consistently(
        self, sample: str, delimiter: str
    ) -> None:
        assert sniff_dialect(sample).delimiter == delimiter

    def test_excel_sep_hint_line_wins_and_is_skipped(self) -> None:
        assert sniff_dialect("sep=,\ntel;nom\n") == Dialect(",", skip_lines=1)

    def test_the_head_is_cut_after_its_last_whole_line(self) -> None:
        assert head_text(b"tel\n0612\n06", "utf-8", complete=False) == "tel\n0612\n"
        assert head_text(b"tel\n0612\n06", "utf-8", complete=True) == "tel\n0612\n06"

    def test_a_head_without_a_line_break_is_not_csv(self) -> None:
        with pytest.raises(NotCsv, match="no line break"):
            head_text(b"x" * 65536, "utf-8", complete=False)


class TestRecords:
    def records(
        self, text: str, dialect: Dialect = Dialect(";")
    ) -> list[tuple[int, list[str], int]]:
        return [
            (r.line, r.fields, r.lines)
            for r in read_records(io.StringIO(text, newline=""), dialect)
        ]

    def test_lines_are_counted_across_blank_lines_and_quoted_newlines(self) -> None:
        text = 'tel;nom\r\n\r\n0612;"a\r\nb"\r\n   \r\n0613;c\r\n'
        assert self.records(text) == [
            (1, ["tel", "nom"], 1),
            (3, ["0612", "a\r\nb"], 2),
            (6, ["0613", "c"], 1),
        ]

    def test_old_mac_line_endings(self) -> None:
        assert self.records("tel;nom\r0612;a\r0613;b\r") == [
            (1, ["tel", "nom"], 1),
            (2, ["0612", "a"], 1),
            (3, ["0613", "b"], 1),
        ]

    def test_the_hint_line_counts(self) -> None:
        records = self.records("sep=;\ntel;nom\n0612;a\n", Dialect(";", skip_lines=1))
        assert [r[0] for r in records] == [2, 3]

    def test_lines_of_separators_only_are_blank(self) -> None:
        assert [r[0] for r in self.records("tel;nom\n;;;\n0612;a\n")] == [1, 3]

    def test_an_unreadable_record_is_reported_and_reading_goes_on(self) -> None:
        import csv

        limit = csv.field_size_limit()
        csv.field_size_limit(10)
        try:
            records = list(
                read_records(io.StringIO("tel;nom\n0612;" + "x" * 20 + "\n0613;b\n"), Dialect(";"))
            )
        finally:
            csv.field_size_limit(limit)
        assert records[1].error is not None
        assert records[1].error.startswith("unreadable CSV: field larger than field limit")
        assert (records[2].line, records[2].fields) == (3, ["0613", "b"])
