"""CSV writers for invitations.csv and excluded.csv: UTF-8, comma-separated, a header row, `\\n` line ends.

Values are written as text in one fixed way so a rerun gives the same bytes: dates as ISO `YYYY-MM-DD`,
whole-number floats without a decimal point (`12`, not `12.0`), other floats as Python writes them after
rounding, booleans as `yes`/`no`, missing values as empty fields.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import IO, Any

import polars as pl


def cell_text(value: Any) -> str:
    """One value as CSV text (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(round(value, 6))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_frame(fh: IO[str], frame: pl.DataFrame) -> None:
    """Write `frame` (header, then rows in order) to an open text file."""
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.iter_rows():
        writer.writerow([cell_text(v) for v in row])


def write_csv(path: Path, frame: pl.DataFrame) -> None:
    """Write `frame` to `path` (the caller provides atomicity: a temporary path renamed afterwards)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        write_frame(fh, frame)
