"""What every importer shares: reading source files into DuckDB, staging rows, writing the canonical tables.

An import runs in one DuckDB connection:

1. `ImportContext.read_delimited` / `read_ndjson` load each source file as a temporary table of text (every
   column VARCHAR, so codes and identifiers keep their leading zeros and all 18 digits), with `_file` (an
   index into `ImportContext.files`) and `_row` (the row number a spreadsheet or editor shows: header = row
   1). File paths reach DuckDB through its Python relation API, never through SQL text.
2. A step in `sql/import/` maps one source table to one canonical table ("staging"): it returns the canonical
   columns, plus `_reason` (NULL when the row can be written, else the reason it cannot), `_column` (the
   source column the reason is about), `_note` (a change made to a row that is kept, e.g. a placeholder date
   cleared), `_file` and `_row`. Values are bound parameters.
3. `ImportContext.write` writes the rows without a `_reason` to `<table>.csv` (or .parquet) and counts the
   others per reason, so for every table `rows_read == rows_written + sum(unmapped.values())`: no row
   disappears silently.

Everything is written into a temporary folder beside the output; only when every table is written (and the
result passes validation) is the folder renamed onto the output, so a failed import never leaves half an
extract.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import functools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

import duckdb
from pydantic import BaseModel, ConfigDict, Field

from pain_finder import atomic, sql_files
from pain_finder.errors import InputError, OutputError, location
from pain_finder.extract.schema import EXTRACT_META_FILE, TABLES, ExtractMeta
from pain_finder.resources import sql_dir

REPORT_FILE = "import_report.json"
FileFormat = Literal["csv", "parquet"]
DELIMITER_NAMES = {",": "commas", "\t": "tabs", ";": "semicolons", "|": "vertical bars"}


class TableReport(BaseModel):
    """What happened to the rows feeding one canonical table."""

    model_config = ConfigDict(extra="forbid")

    table: str
    sources: list[str] = Field(default_factory=list, description="source file names read for this table")
    rows_read: int = 0
    rows_written: int = 0
    unmapped: dict[str, int] = Field(default_factory=dict, description="rows not written, per reason")
    first_unmapped: dict[str, str] = Field(
        default_factory=dict, description="per reason, where the first such row is: file, row and column"
    )
    notes: dict[str, int] = Field(default_factory=dict, description="rows written with a change, per change")

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_written + sum(self.unmapped.values())


class ImportReport(BaseModel):
    """The import report: printed by `pain-finder import` and written as import_report.json."""

    model_config = ConfigDict(extra="forbid")

    source_format: str
    source: str
    out: str
    extract_date: dt.date | None = None
    practice_id: str | None = None
    tables: dict[str, TableReport] = Field(default_factory=dict)
    unused_codings: dict[str, int] = Field(
        default_factory=dict, description="codings present in the source that no canonical code system takes"
    )
    ignored_files: list[str] = Field(
        default_factory=list, description="files in the source that were not read"
    )
    warnings: list[str] = Field(default_factory=list)
    validation_warnings: dict[str, int] = Field(
        default_factory=dict,
        description="validation warnings on the written extract: rows (or files) per check",
    )

    @property
    def rows_read(self) -> int:
        return sum(t.rows_read for t in self.tables.values())

    @property
    def rows_written(self) -> int:
        return sum(t.rows_written for t in self.tables.values())

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"


# -- small helpers -------------------------------------------------------------------------------------------


def quote_ident(name: str) -> str:
    """A column name from a file header as a quoted SQL identifier (quotes doubled: it cannot break out)."""
    return '"' + name.replace('"', '""') + '"'


def find_files(source: Path, patterns: Sequence[str]) -> list[Path]:
    """Files in folder `source` matching any glob pattern (case-insensitive on the name), sorted by name."""
    found: dict[str, Path] = {}
    for path in sorted(source.iterdir()):
        if path.is_file() and any(re.fullmatch(_glob_re(p), path.name, re.IGNORECASE) for p in patterns):
            found[path.name] = path
    return list(found.values())


def _glob_re(pattern: str) -> str:
    return "".join(".*" if ch == "*" else re.escape(ch) for ch in pattern)


@contextlib.contextmanager
def building_folder(out: Path) -> Iterator[Path]:
    """A temporary folder beside `out`; renamed onto `out` when the block succeeds, removed when it fails.

    An existing `out` is replaced only when it is empty or was written by an import (it has
    import_report.json); anything else is refused, so a mistyped --out cannot wipe a folder of other files.
    """
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise OutputError(f"{out} exists and is not a folder: choose a new folder for the extract")
        if any(out.iterdir()) and not (out / REPORT_FILE).is_file():
            raise OutputError(
                f"{out} already holds files that an import did not write: choose an empty or new folder"
            )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{atomic.TMP_PREFIX}import-{out.name}.", dir=out.parent))
        mask = os.umask(0)
        os.umask(mask)
        tmp.chmod(0o777 & ~mask)  # mkdtemp makes it private; the extract gets the usual folder permissions
    except OSError as exc:
        raise OutputError(f"cannot write to folder {out.parent}: {exc.strerror}") from exc
    try:
        yield tmp
        if out.exists():
            old = out.parent / f"{atomic.TMP_PREFIX}old-{out.name}.{os.getpid()}"
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# -- the import context --------------------------------------------------------------------------------------


class ImportContext:
    """One import: the DuckDB connection, the source files read so far, the build folder and the report."""

    def __init__(
        self,
        fmt: str,
        source: Path,
        build: Path,
        out: Path,
        *,
        file_format: FileFormat = "csv",
        practice_id: str | None = None,
        extract_date: dt.date | None = None,
    ) -> None:
        self.con = duckdb.connect()
        self.con.execute("SET enable_progress_bar = false")
        self.source = Path(source)
        self.build = build
        self.file_format = file_format
        self.files: list[Path] = []
        self.practice_id = practice_id
        self.extract_date = extract_date
        self.report = ImportReport(
            source_format=fmt,
            source=str(source),
            out=str(out),
            practice_id=practice_id,
            extract_date=extract_date,
        )
        self._sources: dict[str, list[str]] = {}  # source table -> file names

    def close(self) -> None:
        self.con.close()

    # -- reading --------------------------------------------------------------------------------------------

    def file_index(self, path: Path) -> int:
        self.files.append(path)
        return len(self.files) - 1

    def read_delimited(
        self,
        name: str,
        paths: Sequence[Path],
        *,
        columns: dict[str, str],
        required: Sequence[str] = (),
        delimiter: str = ",",
        quote: str = '"',
        na_values: Sequence[str] = ("",),
        encoding: str = "utf-8",
        skip: int = 0,
    ) -> int:
        """Load delimited text files into the temporary table `name` (all text) and return its row count.

        `columns` maps each wanted column to its header name in the file (matched exactly, else ignoring
        case); a wanted column whose header name is missing is NULL, unless it is in `required` (InputError
        naming the file, the header row and the column). `skip` lines before the header are ignored (report
        exports that open with a title); `_row` still counts every line of the file.
        """
        self.con.execute(f"DROP TABLE IF EXISTS {name}")
        self._sources[name] = [p.name for p in paths]
        wanted = dict(columns)
        for i, path in enumerate(paths):
            header = read_header(path, delimiter, encoding, skip)
            lower = {h.lower(): h for h in reversed(header)}
            cols = {w: h if h in header else lower.get(h.lower(), h) for w, h in wanted.items()}
            missing = [c for c in required if cols[c] not in header]
            if missing:
                raise InputError(
                    f"required column '{cols[missing[0]]}' is missing from the header row",
                    file=path,
                    row=1 + skip,
                    column=cols[missing[0]],
                )
            idx = self.file_index(path)
            file_columns = {h or f"_blank_{j}": "VARCHAR" for j, h in enumerate(header, start=1)}
            readable = path if encoding.lower() in ("utf-8", "utf8") else self._as_utf8(path, encoding)
            try:
                rel = self.con.read_csv(
                    str(readable),
                    columns=file_columns,
                    header=True,
                    sep=delimiter,
                    quotechar=quote,
                    escapechar=quote,
                    auto_detect=False,
                    na_values=list(na_values),
                    skiprows=skip,
                )
                # header names are quoted as identifiers (quote_ident), never used as values
                select = ", ".join(
                    f"trim({quote_ident(cols[w])}) AS {w}"
                    if cols[w] in header
                    else f"CAST(NULL AS VARCHAR) AS {w}"
                    for w in cols
                )
                rel = rel.project(
                    f"{select}, {idx} AS _file, CAST(row_number() OVER () + {1 + skip} AS BIGINT) AS _row"
                )
                if i == 0:
                    rel.create(name)
                else:
                    rel.insert_into(name)
            except (duckdb.InvalidInputException, duckdb.ConversionException, duckdb.IOException) as exc:
                raise unreadable_line(path, exc, delimiter, encoding) from exc
            finally:
                if readable != path:
                    readable.unlink(missing_ok=True)
        if not paths:
            nulls = ", ".join(f"CAST(NULL AS VARCHAR) AS {w}" for w in wanted)
            self.con.execute(
                f"CREATE TABLE {name} AS SELECT {nulls}, 0 AS _file, CAST(0 AS BIGINT) AS _row LIMIT 0"
            )
        return self.count(name)

    def _as_utf8(self, path: Path, encoding: str) -> Path:
        """A UTF-8 copy of a text file in another encoding, in the build folder (DuckDB reads only UTF-8)."""
        target = self.build / f".source-{len(self.files)}.utf8"
        try:
            with (
                open(path, encoding=encoding, newline="") as src,
                open(target, "w", encoding="utf-8", newline="") as dst,
            ):
                while block := src.read(1 << 20):
                    dst.write(block)
        except UnicodeError as exc:
            target.unlink(missing_ok=True)
            raise InputError(f"the file is not {encoding} text", file=path) from exc
        return target

    def read_ndjson(self, name: str, paths: Sequence[Path]) -> int:
        """Load NDJSON files (one JSON object a line) into table `name`: (json JSON, _file, _row = line)."""
        self.con.execute(f"DROP TABLE IF EXISTS {name}")
        self.con.execute(f"CREATE TABLE {name} (json JSON, _file INTEGER, _row BIGINT)")
        self._sources[name] = [p.name for p in paths]
        for path in paths:
            idx = self.file_index(path)
            try:
                rel = self.con.read_json(
                    str(path), format="newline_delimited", records="false", columns={"json": "JSON"}
                )
                rel.project(
                    f"json, {idx} AS _file, CAST(row_number() OVER () AS BIGINT) AS _row"
                ).insert_into(name)
            except (duckdb.InvalidInputException, duckdb.IOException) as exc:
                raise InputError(
                    "the line is not a JSON object: the file must hold one JSON resource per line (NDJSON)",
                    file=path,
                    row=first_bad_json_line(path),
                ) from exc
        return self.count(name)

    def count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])

    def sources(self, *tables: str) -> list[str]:
        return [f for t in tables for f in self._sources.get(t, [])]

    # -- staging and writing --------------------------------------------------------------------------------

    def stage(self, step: str, **params: object) -> str:
        """Run the SQL step sql/import/<step>.sql into the temporary table of that name; return the name."""
        sql = load_step(step)
        sql.check_params(params)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {sql.name} AS\n{sql.body}", params)
        return step

    def write(
        self,
        table: str,
        staged: Sequence[str],
        sources: Sequence[str],
        column_names: dict[str, str] | None = None,
    ) -> TableReport:
        """Write the mapped rows of the staged tables to the canonical `table`; count the others per reason.

        `column_names` translates a staged `_column` into the name the source file uses (for the locations).
        """
        spec = TABLES[table]
        if len(staged) == 1:
            src = staged[0]
        else:
            union = " UNION ALL BY NAME ".join(f"SELECT * FROM {s}" for s in staged)
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE _out_{table} AS {union}")
            src = f"_out_{table}"
        present = {d[0] for d in self.con.execute(f"SELECT * FROM {src} LIMIT 0").description}
        cols = [c for c in spec.columns if c in present]
        rep = TableReport(table=table, sources=list(sources))
        rows = self.con.execute(
            "SELECT _reason, count(*), min({'f': _file, 'r': _row}) FILTER (WHERE _reason IS NOT NULL), "
            "arg_min(_column, {'f': _file, 'r': _row}) FILTER (WHERE _reason IS NOT NULL) "
            f"FROM {src} GROUP BY _reason ORDER BY _reason NULLS FIRST"
        ).fetchall()
        for reason, n, first, column in rows:
            rep.rows_read += n
            if reason is None:
                rep.rows_written = n
            else:
                rep.unmapped[reason] = n
                column = (column_names or {}).get(column, column)
                rep.first_unmapped[reason] = location(self.files[first["f"]].name, first["r"], column)
        if "_note" in present:
            for note, n in self.con.execute(
                f"SELECT _note, count(*) FROM {src} WHERE _reason IS NULL AND _note IS NOT NULL "
                "GROUP BY _note ORDER BY _note"
            ).fetchall():
                rep.notes[note] = n
        rel = self.con.sql(f"SELECT {', '.join(cols)} FROM {src} WHERE _reason IS NULL")
        target = self.build / f"{table}.{self.file_format}"
        if self.file_format == "parquet":
            rel.write_parquet(str(target))
        else:
            rel.write_csv(str(target), header=True)
        self.con.execute(f"DROP TABLE {src}")  # frees its memory for the next table
        self.report.tables[table] = rep
        return rep

    def write_empty(self, table: str, warning: str) -> None:
        """Write `table` with its header only (a source format without it), and say so in the report."""
        spec = TABLES[table]
        cols = ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in spec.columns)
        rel = self.con.sql(f"SELECT {cols} LIMIT 0")
        target = self.build / f"{table}.{self.file_format}"
        if self.file_format == "parquet":
            rel.write_parquet(str(target))
        else:
            rel.write_csv(str(target), header=True)
        self.report.tables[table] = TableReport(table=table)
        self.report.warnings.append(warning)

    def finish_meta(self) -> None:
        """Write extract.json: source_format, extract_date and practice_id when known."""
        meta = ExtractMeta(
            source_format=self.report.source_format,
            extract_date=self.extract_date,
            practice_id=self.practice_id,
        )
        self.report.extract_date, self.report.practice_id = self.extract_date, self.practice_id
        data = meta.model_dump(mode="json", exclude_none=True)
        (self.build / EXTRACT_META_FILE).write_text(
            json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8"
        )


@functools.cache
def load_step(name: str) -> sql_files.SqlStep:
    """The query sql/import/<name>.sql, parsed and checked by sql_files' own parser.

    Only this folder is parsed (not every query of the package, as `sql_files.load` does), so an import does
    not depend on the other layers' files being valid at the time.
    """
    return sql_files.parse_file(sql_dir() / "import" / f"{name}.sql")


# -- reading headers and naming unreadable lines -------------------------------------------------------------


def read_header(path: Path, delimiter: str, encoding: str = "utf-8", skip: int = 0) -> list[str]:
    """The column names on line `skip + 1` of a delimited text file (InputError when there are none)."""
    try:
        with open(path, "rb") as fh:
            probe = fh.read(1 << 20)
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror}", file=path) from exc
    if not probe:
        raise InputError("the file is empty (0 bytes): it needs at least a header row", file=path)
    utf16 = probe.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if utf16 and not encoding.lower().startswith("utf-16"):
        raise InputError('is UTF-16 text: save it as UTF-8 (or set encoding = "utf-16")', file=path)
    if utf16:
        try:
            probe = probe.decode(encoding).encode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            probe = probe[: len(probe) - len(probe) % 2].decode(encoding, errors="ignore").encode("utf-8")
            encoding = "utf-8"
    lines = probe.split(b"\n", skip + 1)
    if len(lines) <= skip:
        raise InputError(f"the file has no header row at line {skip + 1}", file=path)
    line = lines[skip].rstrip(b"\r")
    try:
        text = line.decode("utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(f"the header is not {encoding} text", file=path, row=skip + 1) from exc
    names = next(csv.reader([text], delimiter=delimiter, quotechar='"'), [])
    if len(names) <= 1:
        for other, label in DELIMITER_NAMES.items():
            if other != delimiter and text.count(other) >= 2:
                expected = DELIMITER_NAMES.get(delimiter, repr(delimiter))
                raise InputError(
                    f"the header is separated by {label}, not {expected}", file=path, row=skip + 1
                )
    dupes = sorted({n for n in names if n and names.count(n) > 1})
    if dupes:
        raise InputError(
            "the column name appears more than once in the header", file=path, row=skip + 1, column=dupes[0]
        )
    return [n.strip() for n in names]


def first_bad_json_line(path: Path) -> int | None:
    """The number of the first non-blank line of an NDJSON file that is not a JSON object (on errors only)."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                if not isinstance(json.loads(line), dict):
                    return number
            except json.JSONDecodeError:
                return number
    return None


def unreadable_line(path: Path, exc: duckdb.Error, delimiter: str, encoding: str) -> InputError:
    """Our own words for a line DuckDB cannot parse (its text quotes the row: we use its line number only)."""
    text = str(exc)
    m = re.search(r"Line: (\d+)", text)
    row = int(m.group(1)) if m else None
    sep = DELIMITER_NAMES.get(delimiter, repr(delimiter))
    if "unicode" in text.lower() or "encoding" in text.lower():
        msg = f"the line has text that is not {encoding}"
    elif numbers := re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text):
        found, expected = numbers.group(2), numbers.group(1)
        msg = f"the line has {found} fields separated by {sep} where the header has {expected}"
    else:
        msg = f"the line cannot be split into fields separated by {sep} (an unclosed quote?)"
    return InputError(msg, file=path, row=row)
