"""Find an extract's files and expose each table to DuckDB as a text-only view, `raw_<table>`.

Every canonical column is present in the view (a missing optional column reads as NULL) and every value is
VARCHAR, exactly as written in the file: typing happens in the SQL staging layer, after validation. A column
`_row` gives the line number as a spreadsheet would show it (the header is row 1), so errors can name the row.

File paths are passed to DuckDB through its Python relation API, never formatted into SQL.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from pydantic import ValidationError

from pain_finder.errors import InputError
from pain_finder.extract.schema import EXTRACT_META_FILE, TABLES, ExtractMeta, TableSpec

CSV_OPTIONS = dict(header=True, all_varchar=True, delimiter=",", quotechar='"', escapechar='"')


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
        candidates = [folder / f"{spec.name}.csv", folder / f"{spec.name}.parquet"]
        present = [p for p in candidates if p.is_file()]
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


def read_meta(folder: Path) -> ExtractMeta:
    path = Path(folder) / EXTRACT_META_FILE
    if not path.is_file():
        return ExtractMeta()
    try:
        return ExtractMeta.model_validate(json.loads(path.read_text(encoding="utf-8-sig")))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", file=path, row=exc.lineno) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(first["msg"], file=path, column=".".join(str(p) for p in first["loc"])) from exc


def _relation(con: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyRelation:
    try:
        if path.suffix == ".parquet":
            return con.read_parquet(str(path))
        return con.read_csv(str(path), **CSV_OPTIONS)
    except duckdb.Error as exc:
        raise InputError(f"cannot be read as {path.suffix.lstrip('.')}: {str(exc).splitlines()[0]}", file=path) from exc


def file_columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """The column names as written in the file's header."""
    return list(_relation(con, path).columns)


def register_raw(con: duckdb.DuckDBPyConnection, files: ExtractFiles) -> None:
    """Create the views raw_<table> for every canonical table (an absent optional table is an empty view).

    Raises InputError naming the file and column when a required column is missing.
    """
    for spec in TABLES.values():
        path = files.file_for(spec.name)
        if path is None:
            _register_empty(con, spec)
            continue
        rel = _relation(con, path)
        present = set(rel.columns)
        for col in spec.required_columns:
            if col not in present:
                raise InputError(
                    f"required column '{col}' is missing (the header has: {', '.join(rel.columns)})",
                    file=path,
                    row=1,
                    column=col,
                )
        # Column names below come from the schema, never from the file, so building the list is safe.
        select = ", ".join(
            f'CAST("{c}" AS VARCHAR) AS {c}' if c in present else f"CAST(NULL AS VARCHAR) AS {c}"
            for c in spec.columns
        )
        view = rel.project(f"{select}, CAST(row_number() OVER () + 1 AS BIGINT) AS _row")
        view.create_view(f"raw_{spec.name}", replace=True)


def _register_empty(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> None:
    cols = ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in spec.columns)
    con.execute(f"CREATE OR REPLACE TEMP VIEW raw_{spec.name} AS SELECT {cols}, CAST(NULL AS BIGINT) AS _row LIMIT 0")


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
