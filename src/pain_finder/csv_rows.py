"""Reading the small CSV files people keep by hand (code lists, the declined-patients file) row by row, with
the row number a spreadsheet would show.

`numbered_rows(text, file)` yields `(row, fields)` for every non-blank row (the header is row 1). A row is
numbered by the line it starts on, so a quoted value that runs over several lines, or a quote that is never
closed, is reported where it opens. A malformed file raises InputError naming the file and that row; csv's own
message describes the fault and never quotes a value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from pain_finder.errors import InputError


def numbered_rows(text: str, file: str | Path) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = (
                "a double quote is never closed: the file ends inside the quoted value that starts here"
                if "unexpected end of data" in str(exc)
                else f"cannot be read as CSV ({exc})"
            )
            raise InputError(message, file=file, row=start) from exc
        if any(cell.strip() for cell in fields):
            yield start, fields
        start = reader.line_num + 1
