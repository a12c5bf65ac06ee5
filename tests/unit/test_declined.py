"""The declined-patients file: identifiers read, and bad files named with file, row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from pain_finder.declined import read_declined_ids
from pain_finder.errors import InputError


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "declined.csv"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_reads_distinct_trimmed_ids_skipping_blanks_and_other_columns(tmp_path) -> None:
    path = write(
        tmp_path, "\ufeffdate,patient_id ,note\r\n2024-01-01, 102 ,x\r\n,,\r\n2024-02-01,101,\r\n\r\n,102,\n"
    )
    assert read_declined_ids(path) == ["101", "102"]


def test_a_header_only_file_declines_nobody(tmp_path) -> None:
    assert read_declined_ids(write(tmp_path, "patient_id\n")) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nhs_number\n9990000018\n", "declined.csv, row 1, column 'patient_id': needs a 'patient_id' column"),
        (
            "note,patient_id\nok,101\nno id here\n",
            "declined.csv, row 3, column 'patient_id': the row has 1 field(s) but the header has 2",
        ),
        (  # the quote opens on row 3 and the file ends two rows later: the row named is where it opens
            'patient_id\n101\n"102\n103\n104\n',
            "declined.csv, row 3: a double quote is never closed: the file ends inside the quoted value that "
            "starts here",
        ),
        (b"patient_id\n\xff\xfe1\n", "declined.csv: is not UTF-8 text"),
    ],
    ids=["no_column", "short_row", "open_quote", "not_utf8"],
)
def test_bad_files_are_named_by_file_row_and_column(tmp_path, text, message) -> None:
    with pytest.raises(InputError) as caught:
        read_declined_ids(write(tmp_path, text))
    assert message in str(caught.value)
    assert "102" not in str(caught.value) and "9990000018" not in str(caught.value)  # never an identifier


def test_a_folder_is_named_as_a_folder(tmp_path) -> None:
    with pytest.raises(InputError, match="is a folder: give the declined patients CSV file itself"):
        read_declined_ids(tmp_path)


def test_a_missing_file_is_named(tmp_path) -> None:
    with pytest.raises(InputError, match="nope.csv: the declined patients file does not exist"):
        read_declined_ids(tmp_path / "nope.csv")
