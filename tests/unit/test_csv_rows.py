"""numbered_rows: rows numbered as a spreadsheet shows them, blank rows skipped, faults named where they
open."""

from __future__ import annotations

import pytest

from pain_finder.csv_rows import numbered_rows
from pain_finder.errors import InputError


def test_rows_are_numbered_by_the_line_they_start_on():
    text = 'code,term\r\nA,"two\nlines"\r\n\r\n,\r\nB,one\n'
    assert list(numbered_rows(text, "x.csv")) == [
        (1, ["code", "term"]),
        (2, ["A", "two\nlines"]),  # rows 2-3
        (6, ["B", "one"]),  # row 4 is empty and row 5 only a comma: both skipped
    ]


def test_a_stray_quote_is_named_with_csv_s_own_description():
    with pytest.raises(InputError) as exc:
        list(numbered_rows('code,term\nA,"x"y\n', "x.csv"))
    assert str(exc.value) == "x.csv, row 2: cannot be read as CSV (',' expected after '\"')"
