"""Writing one practice's tables chunk by chunk: CSV (append) or Parquet (one row group per chunk).

Each table is written to a temporary file beside its target and renamed when the whole practice is done
(`pain_finder.atomic`), so a run that fails or is killed never leaves a half-written table behind.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import IO

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pain_finder.atomic import atomic_open, atomic_path
from pain_finder.extract.schema import TABLES

_STRING, _DATE = pa.string(), pa.date32()
ARROW_SCHEMAS: dict[str, pa.Schema] = {
    "patients": pa.schema(
        [
            ("patient_id", _STRING),
            ("date_of_birth", _DATE),
            ("sex", _STRING),
            ("date_of_death", _DATE),
            ("practice_id", _STRING),
            ("nhs_number", _STRING),
        ]
    ),
    "registrations": pa.schema(
        [("patient_id", _STRING), ("practice_id", _STRING), ("start_date", _DATE), ("end_date", _DATE)]
    ),
    "clinical_events": pa.schema(
        [
            ("patient_id", _STRING),
            ("event_date", _DATE),
            ("code", _STRING),
            ("code_system", _STRING),
            ("term", _STRING),
            ("numeric_value", pa.float64()),
            ("event_id", _STRING),
        ]
    ),
    "medication_issues": pa.schema(
        [
            ("patient_id", _STRING),
            ("issue_date", _DATE),
            ("code", _STRING),
            ("code_system", _STRING),
            ("term", _STRING),
            ("quantity", pa.int32()),
            ("dosage_text", _STRING),
            ("bnf_code", _STRING),
            ("prescription_type", _STRING),
        ]
    ),
    "fit_notes": pa.schema(
        [
            ("patient_id", _STRING),
            ("issue_date", _DATE),
            ("start_date", _DATE),
            ("end_date", _DATE),
            ("fitness", _STRING),
        ]
    ),
}
assert all(tuple(ARROW_SCHEMAS[t].names) == TABLES[t].columns for t in ARROW_SCHEMAS)


class TableWriter:
    """Appends DataFrames (columns as in ARROW_SCHEMAS) to one table file."""

    def __init__(self, stack: contextlib.ExitStack, folder: Path, table: str, file_format: str) -> None:
        self.table, self.format, self.rows = table, file_format, 0
        self.target = folder / f"{table}.{file_format}"
        self.schema = ARROW_SCHEMAS[table]
        self._fh: IO[bytes] | None = None
        self._header = False
        self._pq: pq.ParquetWriter | None = None
        if file_format == "csv":
            self._fh = stack.enter_context(atomic_open(self.target, "wb", encoding=None, newline=None))
        else:
            tmp = stack.enter_context(atomic_path(self.target))
            self._pq = pq.ParquetWriter(tmp, self.schema, compression="zstd")
            stack.callback(self._pq.close)  # runs before atomic_path renames (LIFO)

    def write(self, df: pl.DataFrame) -> None:
        if self._fh is not None:
            df.write_csv(self._fh, include_header=not self._header, null_value="", date_format="%Y-%m-%d")
            self._header = True
        elif self._pq is not None:
            self._pq.write_table(df.to_arrow().cast(self.schema))
        self.rows += df.height


def remove_other_format(folder: Path, file_format: str) -> None:
    """Delete tables of the other format left by an earlier run (both would make the extract ambiguous)."""
    other = "parquet" if file_format == "csv" else "csv"
    for table in TABLES:
        (folder / f"{table}.{other}").unlink(missing_ok=True)
