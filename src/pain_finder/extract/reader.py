"""Find an extract's files and expose each table to DuckDB as a text-only view, `raw_<table>`.

Every canonical column is present in the view (a missing optional column reads as NULL) and every value is
VARCHAR, exactly as written in the file: typing happens in the SQL staging layer, after validation. A column
`_row` gives the row number as a spreadsheet would show it (the header is row 1, the first record row 2; blank
lines are skipped and not counted), so errors can name the row.

CSV files are read with DuckDB's dialect sniffer switched off: the dialect is the canonical one (comma, double
quote, header row) and the column names come from the header line, parsed here. That makes reading
deterministic, and a malformed row fails with its line number instead of a vague "could not sniff" error.
A UTF-8 byte-order mark and CRLF line endings are accepted. Parquet `DATE`/`TIMESTAMP` columns are turned into
ISO `YYYY-MM-DD` text so both formats reach the checks and the staging layer in the same shape.

File paths are passed to DuckDB through its Python relation API, never formatted into SQL.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from pydantic import ValidationError

from pain_finder.errors import InputError
from pain_finder.extract.schema import EXTRACT_META_FILE, TABLES, ExtractMeta, TableSpec

CSV_OPTIONS = dict(header=True, delimiter=",", quotechar='"', escapechar='"', auto_detect=False)

# Delimiters a spreadsheet or another system may have used instead of a comma, as named in messages.
OTHER_DELIMITERS: dict[str, str] = {";": "semicolons (';')", "\t": "tabs", "|": "vertical bars ('|')"}

_HEADER_PROBE_BYTES = 1 << 20  # a header line longer than 1 MiB is not a header


@dataclass
class ExtractFiles:
    """The files of one extract folder."""

    folder: Path
    tables: dict[str, Path] = field(default_factory=dict)  # table name -> file, for the tables present
    meta: ExtractMeta = field(default_factory=ExtractMeta)

    def file_for(self, table: str) -> Path | None:
        return self.tables.get(table)


def locate(folder: Path) -> ExtractFiles:
    """Find each table's file in `folder`; raise InputError if the folder or a required table is missing."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"extract folder {folder} does not exist or is not a folder")
    found = ExtractFiles(folder=folder)
    for spec in TABLES.values():
        present = table_candidates(folder, spec)
        if len(present) > 1:
            raise InputError(
                f"both {spec.name}.csv and {spec.name}.parquet are present; keep one", file=folder / spec.name
            )
        if present:
            found.tables[spec.name] = present[0]
        elif spec.required:
            raise InputError(
                f"required table '{spec.name}' is missing: expected {spec.name}.csv or {spec.name}.parquet "
                f"in {folder}"
            )
    found.meta = read_meta(folder)
    return found


def table_candidates(folder: Path, spec: TableSpec) -> list[Path]:
    """The files in `folder` that could hold table `spec` (normally zero or one)."""
    return [p for p in (folder / f"{spec.name}.csv", folder / f"{spec.name}.parquet") if p.is_file()]


def read_meta(folder: Path) -> ExtractMeta:
    path = Path(folder) / EXTRACT_META_FILE
    if not path.is_file():
        return ExtractMeta()
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        if not isinstance(data, dict):
            raise InputError(
                'must be a JSON object, e.g. {"extract_date": "2024-03-31", "practice_id": "A81001"}',
                file=path,
            )
        return ExtractMeta.model_validate(data)
    except UnicodeDecodeError as exc:
        raise InputError("is not UTF-8 text", file=path) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", file=path, row=exc.lineno) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(first["msg"], file=path, column=".".join(str(p) for p in first["loc"])) from exc


@dataclass(frozen=True)
class CsvHeader:
    """What the first line of a CSV file says, read without DuckDB so problems can be named precisely."""

    size: int  # bytes in the file
    columns: tuple[str, ...] = ()
    encoding_problem: str | None = None  # "utf-16" or "not-utf-8" when the header cannot be UTF-8 text
    other_delimiter: str | None = None  # ";", "\t" or "|" when the header is split by that instead of commas

    @property
    def duplicates(self) -> list[str]:
        """Column names that appear more than once, in header order (blank names are not names)."""
        return sorted({c for c in self.columns if c and self.columns.count(c) > 1}, key=self.columns.index)


def inspect_csv_header(path: Path) -> CsvHeader:
    """Read a CSV file's header line: its column names, and whether it is UTF-16 or uses another delimiter.

    Only the header is read (never a patient row), so it is cheap and safe to describe in messages.
    """
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            probe = fh.read(_HEADER_PROBE_BYTES)
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror}", file=path) from exc
    if size == 0:
        return CsvHeader(size=0)
    if probe.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return CsvHeader(size=size, encoding_problem="utf-16")
    line = probe.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return CsvHeader(size=size, encoding_problem="not-utf-8")
    counts = {d: text.count(d) for d in OTHER_DELIMITERS}
    other = max(counts, key=lambda d: counts[d])
    if counts[other] > text.count(","):
        return CsvHeader(size=size, other_delimiter=other)
    columns = next(csv.reader([text], delimiter=",", quotechar='"'), [])
    return CsvHeader(size=size, columns=tuple(columns))


def csv_relation(con: duckdb.DuckDBPyConnection, path: Path, **extra: object) -> duckdb.DuckDBPyRelation:
    """A DuckDB relation over a CSV file read as text, with the canonical dialect and the header's columns.

    `extra` is passed to DuckDB's read_csv (validation uses it to keep rejected rows). Raises InputError for
    a file that cannot be read as canonical CSV at all (0 bytes, UTF-16, another delimiter, repeated column).
    """
    header = inspect_csv_header(path)
    if header.size == 0:
        raise InputError("the file is empty (0 bytes): it needs at least a header row", file=path)
    if header.encoding_problem:
        raise InputError("is not UTF-8 text: save it as 'CSV UTF-8 (comma delimited)'", file=path)
    if header.other_delimiter:
        raise InputError(
            f"the header is separated by {OTHER_DELIMITERS[header.other_delimiter]}, not commas: "
            "save the file as comma-separated CSV",
            file=path,
            row=1,
        )
    if dupes := header.duplicates:
        raise InputError(
            "the column name appears more than once in the header", file=path, row=1, column=dupes[0]
        )
    # Blank header cells get a placeholder name so DuckDB accepts the column list; they are never canonical.
    columns = {name or f"_blank_{i}": "VARCHAR" for i, name in enumerate(header.columns, start=1)}
    return con.read_csv(str(path), columns=columns, **CSV_OPTIONS, **extra)


def _relation(con: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyRelation:
    try:
        if path.suffix == ".parquet":
            return con.read_parquet(str(path))
        return csv_relation(con, path)
    except duckdb.Error as exc:
        # DuckDB's parquet messages name the file and the fault, never values (CSV errors come at scan time).
        raise InputError(
            f"cannot be read as {path.suffix.lstrip('.')}: {str(exc).splitlines()[0]}", file=path
        ) from exc


def register_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, path: Path) -> None:
    """Create the view raw_<table> over one file; raise InputError when a required column is missing."""
    rel = _relation(con, path)
    types = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
    for col in spec.required_columns:
        if col not in types:
            # The header is not echoed: a file without one would show a patient row instead.
            raise InputError(
                f"required column '{col}' is missing from the header row",
                file=path,
                row=1,
                column=col,
            )
    # Column names below come from the schema, never from the file, so building the list is safe.
    select = ", ".join(_as_text(c, types.get(c), spec) for c in spec.columns)
    view = rel.project(f"{select}, CAST(row_number() OVER () + 1 AS BIGINT) AS _row")
    view.create_view(f"raw_{spec.name}", replace=True)


def _as_text(column: str, file_type: str | None, spec: TableSpec) -> str:
    if file_type is None:
        return f"CAST(NULL AS VARCHAR) AS {column}"
    if column in spec.date_columns and (file_type == "DATE" or file_type.startswith("TIMESTAMP")):
        return f'CAST(CAST("{column}" AS DATE) AS VARCHAR) AS {column}'
    return f'CAST("{column}" AS VARCHAR) AS {column}'


def register_empty(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    """Create raw_<table> as an empty view with the canonical columns (for an absent or unusable table).

    Made through the relation API like register_table's views, so that either replaces the other.
    """
    cols = ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in spec.columns)
    con.sql(f"SELECT {cols}, CAST(NULL AS BIGINT) AS _row LIMIT 0").create_view(
        f"raw_{spec.name}", replace=True
    )


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
