"""Validate a practice extract before anything searches it: `validate_extract` and `check_extract_or_raise`.

Checks run in two layers:

1. The files, read only as far as their header line: a missing or duplicated table, a 0-byte file, UTF-16 or
   non-UTF-8 text, another delimiter than a comma, duplicated or missing columns, an unreadable Parquet file.
   A table with such a problem is not read any further (its raw view is left empty).
2. The rows, as one DuckDB query per table over its `raw_<table>` view (sql/validate/validate_<table>.sql),
   set based: each query returns one column per check, and a single aggregate pass counts the failing rows,
   finds the first one and keeps the value a message may quote. Each file is scanned once (patients twice:
   once more for the identifiers the other tables are joined to): a few seconds per gigabyte of CSV. A row
   DuckDB cannot parse (an unbalanced quote, the wrong number of fields, bytes that are not UTF-8) stops that
   scan; the file is then read once more with DuckDB's reject store to name the first bad line and count the
   bad lines.

Messages never quote a patient identifier (patient_id, nhs_number, event_id); they may quote a malformed date
or code, which is what a person needs to find and fix it. DuckDB's own CSV error text is never shown, because
it quotes whole rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pain_finder import sql_files
from pain_finder.errors import ExtractInvalidError, InputError
from pain_finder.extract import reader
from pain_finder.extract.problems import CHECKS, Problem, Severity, ValidationReport
from pain_finder.extract.schema import EXTRACT_META_FILE, PATIENTS, TABLES, TableSpec

__all__ = ["Problem", "Severity", "ValidationReport", "check_extract_or_raise", "validate_extract"]

# Columns whose values are never quoted in a message, even when malformed.
NEVER_QUOTED = frozenset({"patient_id", "nhs_number", "event_id"})
# Checks that compare with the patients table: meaningless (and noisy) when patients could not be read.
_NEEDS_PATIENTS = frozenset({"unknown_patient", "date_before_birth"})
_MAX_QUOTED = 40  # characters of a bad value shown in a message

# What DuckDB raises when a file cannot be read to the end (a malformed CSV row, a corrupt Parquet page).
_UNREADABLE = (duckdb.InvalidInputException, duckdb.IOException)

_KEYS_TABLE = "validate_patient_keys"
_REJECTS_TABLE, _REJECTS_SCAN = "validate_csv_rejects", "validate_csv_reject_scans"


def validate_extract(
    folder: Path | str,
    *,
    as_of: dt.date | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> ValidationReport:
    """Check every file of the extract in `folder` and return what was found (never raises for bad data).

    `as_of` is the date no event may be after; it defaults to extract.json's `extract_date`, then today.
    When a connection is given, the raw_<table> views are left in it for the caller (the search) to use.

    Raises InputError only when `folder` is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"extract folder {folder} does not exist or is not a folder")
    own = con is None
    con = duckdb.connect() if con is None else con
    try:
        disabled = _fetch_one(con, "SELECT current_setting('disabled_optimizers')", {})[0]
        disabled = ",".join(sorted({*filter(None, str(disabled).split(",")), "build_side_probe_side"}))
        with _settings(con, enable_progress_bar=False, disabled_optimizers=disabled):
            return _Validation(folder, con).run(as_of)
    finally:
        if own:
            con.close()


@contextlib.contextmanager
def _settings(con: duckdb.DuckDBPyConnection, **settings: object) -> Iterator[None]:
    """Change DuckDB settings for the validation, then restore them (the connection may be the search's).

    - enable_progress_bar: DuckDB would draw its own progress bar over the report.
    - disabled_optimizers: DuckDB cannot estimate a CSV file's size (it guesses a few dozen rows), so it would
      build the join's hash table on the whole events file instead of the patient identifiers; without the
      build-side optimizer the table written on the right of a LEFT JOIN (the identifiers) is the one built.
    """
    # Names and values here are constants of this module, never user input.
    before = {name: _fetch_one(con, f"SELECT current_setting('{name}')", {})[0] for name in settings}
    for name, value in settings.items():
        con.execute(f"SET {name} = {_literal(value)}")
    try:
        yield
    finally:
        for name, value in before.items():
            con.execute(f"SET {name} = {_literal(value)}")


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + str(value).replace("'", "''") + "'"


def check_extract_or_raise(
    folder: Path | str, as_of: dt.date | None = None, *, con: duckdb.DuckDBPyConnection | None = None
) -> ValidationReport:
    """Validate `folder` and raise ExtractInvalidError summarising the fatal problems, if there are any.

    The search calls this first and refuses to run on a fatal problem; warnings are returned for it to log.
    """
    report = validate_extract(folder, as_of=as_of, con=con)
    if fatal := report.fatal:
        again = f" --as-of {as_of.isoformat()}" if as_of is not None else ""
        shown = "; ".join(p.describe() for p in fatal[:3])
        more = f"; and {len(fatal) - 3} more" if len(fatal) > 3 else ""
        raise ExtractInvalidError(
            f"the extract in {folder} has {len(fatal)} fatal problem{'s' if len(fatal) > 1 else ''} and "
            f"cannot be searched: {shown}{more}. "
            f"Run `pain-finder validate {folder}{again}` for the full report."
        )
    return report


class _Validation:
    """The state of one validation run: the problems found so far and which tables can be read."""

    def __init__(self, folder: Path, con: duckdb.DuckDBPyConnection) -> None:
        self.folder, self.con = folder, con
        self.problems: list[Problem] = []
        self.files: dict[str, Path] = {}
        self.row_counts: dict[str, int | None] = {}
        self.unparseable: set[str] = set()  # tables whose file DuckDB failed to read to the end

    def run(self, as_of: dt.date | None) -> ValidationReport:
        as_of, source = self._as_of(as_of)
        readable = {name: self._check_file(spec) for name, spec in TABLES.items()}
        patients_ok = self._build_patient_keys(readable["patients"])
        if patients_ok:
            self._check_as_of_against_births(as_of, source)
        for name, spec in TABLES.items():
            if readable[name] and name not in self.unparseable:
                self._check_rows(spec, as_of, patients_ok)
        self.con.execute(f"DROP TABLE IF EXISTS {_KEYS_TABLE}")
        return ValidationReport(
            folder=str(self.folder),
            as_of=as_of,
            as_of_source=source,
            problems=self.problems,
            row_counts=self.row_counts,
            files={t: p.name for t, p in self.files.items()},
        )

    # -- helpers -------------------------------------------------------------------------------------------

    def _add(
        self,
        check: str,
        file: str | Path,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        count: int | None = None,
        severity: Severity | None = None,
    ) -> None:
        self.problems.append(
            Problem(
                severity=severity or CHECKS[check].severity,
                check=check,
                file=file.name if isinstance(file, Path) else file,
                row=row,
                column=column,
                message=message,
                count=count,
            )
        )

    def _as_of(self, given: dt.date | None) -> tuple[dt.date, str]:
        try:
            meta = reader.read_meta(self.folder)
        except InputError as exc:
            message = "must be a date in YYYY-MM-DD form" if exc.column == "extract_date" else _bare(exc)
            self._add("bad_metadata", EXTRACT_META_FILE, message, row=exc.row, column=exc.column)
            meta = None
        if given is not None:
            if meta is not None and meta.extract_date is not None and given > meta.extract_date:
                self._add(
                    "as_of_after_extract",
                    EXTRACT_META_FILE,
                    f"--as-of {given} is after the extract date {meta.extract_date}: records from after "
                    "the extract date cannot be in it, so the search windows are partly empty",
                    column="extract_date",
                )
            return given, "--as-of"
        if meta is not None and meta.extract_date is not None:
            return meta.extract_date, "extract.json"
        return dt.date.today(), "today"

    # -- layer 1: files ------------------------------------------------------------------------------------

    def _check_file(self, spec: TableSpec) -> bool:
        """Find and open one table's file; register raw_<table>. True when its rows can be checked."""
        reader.register_empty(self.con, spec)
        candidates = reader.table_candidates(self.folder, spec)
        if len(candidates) > 1:
            self._add(
                "duplicate_file",
                f"{spec.name}.*",
                f"both {spec.name}.csv and {spec.name}.parquet are present: keep only one",
            )
            return False
        if not candidates:
            if spec.required:
                self._add(
                    "missing_file",
                    f"{spec.name}.csv",
                    f"required table '{spec.name}' is missing: "
                    f"expected {spec.name}.csv or {spec.name}.parquet",
                )
            return False
        path = candidates[0]
        self.files[spec.name] = path
        self.row_counts[spec.name] = None
        columns = self._csv_columns(path) if path.suffix == ".csv" else self._parquet_columns(path)
        if columns is None:
            return False
        missing = [c for c in spec.required_columns if c not in columns]
        csv_file = path.suffix == ".csv"
        for col in missing:
            message = _missing_column_message(col, columns, csv_file)
            self._add("missing_column", path, message, row=1 if csv_file else None, column=col)
        if missing:
            return False
        try:
            reader.register_table(self.con, spec, path)
        except InputError as exc:  # defensive: the checks above should have caught it
            self._add("unreadable_file", path, _bare(exc))
            return False
        return True

    def _csv_columns(self, path: Path) -> tuple[str, ...] | None:
        header = reader.inspect_csv_header(path)
        if header.size == 0:
            self._add("empty_file", path, "the file is empty (0 bytes): it needs at least a header row")
        elif header.encoding_problem == "utf-16":
            self._add(
                "bad_encoding", path, "the file is UTF-16 text: save it as 'CSV UTF-8 (comma delimited)'"
            )
        elif header.encoding_problem:
            self._add(
                "bad_encoding",
                path,
                "the header is not UTF-8 text: save the file as 'CSV UTF-8 (comma delimited)'",
                row=1,
            )
        elif header.other_delimiter:
            name = reader.OTHER_DELIMITERS[header.other_delimiter]
            self._add(
                "wrong_delimiter",
                path,
                f"the header is separated by {name}, not commas: save the file as comma-separated CSV",
                row=1,
            )
        elif dupes := header.duplicates:
            for col in dupes:
                self._add(
                    "duplicate_column",
                    path,
                    "the column name appears more than once in the header",
                    row=1,
                    column=col,
                )
        else:
            return header.columns
        return None

    def _parquet_columns(self, path: Path) -> tuple[str, ...] | None:
        try:
            return tuple(self.con.read_parquet(str(path)).columns)
        except duckdb.Error as exc:
            self._add("unreadable_file", path, f"cannot be read as Parquet: {_first_line(exc)}")
            return None

    # -- layer 2: rows -------------------------------------------------------------------------------------

    def _build_patient_keys(self, readable: bool) -> bool:
        """Materialise the patient identifiers (and dates of birth) the other tables are checked against.

        True when there are any: otherwise every row of every table would be an "unknown patient", which says
        nothing the fatal problem with patients does not already say.
        """
        if readable:
            try:
                return sql_files.run_step(self.con, _KEYS_TABLE) > 0
            except _UNREADABLE as exc:  # the file cannot be parsed: say where
                self._scan_failed(PATIENTS, self.files["patients"], exc)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {_KEYS_TABLE} (patient_id VARCHAR, birth_date DATE)")
        return False

    def _check_as_of_against_births(self, as_of: dt.date, source: str) -> None:
        """An as-of date before every date of birth (a mistyped --as-of or extract_date) finds nobody."""
        first_birth = _fetch_one(self.con, f"SELECT min(birth_date) FROM {_KEYS_TABLE}", {})[0]
        if first_birth is not None and as_of < first_birth:
            given = "--as-of" if source == "--as-of" else f"the as-of date ({source})"
            self._add(
                "as_of_before_births",
                self.files["patients"],
                f"{given} {as_of} is before every patient's date of birth, so nobody can be searched: "
                "check the date",
                column="date_of_birth",
            )

    def _check_rows(self, spec: TableSpec, as_of: dt.date, patients_ok: bool) -> None:
        sql_files.run_script(self.con, "validate_macros")  # cheap: CREATE OR REPLACE of two macros
        path = self.files[spec.name]
        step = sql_files.load(f"validate_{spec.name}")
        params = _params(step.params, as_of, spec)
        step.check_params(params)
        try:
            n_rows, results = _aggregate_failures(self.con, step.body, params)
        except _UNREADABLE as exc:  # the file cannot be parsed (any other error is a bug)
            self._scan_failed(spec, path, exc)
            return
        self.row_counts[spec.name] = n_rows
        if n_rows == 0:
            if spec.name == "patients":
                self._add("empty_file", path, "the file has a header but no rows: an extract needs patients")
            else:
                self._add(
                    "empty_file", path, "the file has a header but no data rows", severity=Severity.warning
                )
        for (check, column), (count, first_row, value) in results.items():
            if check in _NEEDS_PATIENTS and not patients_ok:
                continue
            shown = None if column in NEVER_QUOTED or not value else _quote(value)
            message = _row_message(check, spec, column, shown, value, as_of, self.files.get("patients"))
            self._add(check, path, message, row=first_row, column=column, count=count)

    def _scan_failed(self, spec: TableSpec, path: Path, exc: duckdb.Error) -> None:
        self.row_counts[spec.name] = None
        self.unparseable.add(spec.name)
        if path.suffix == ".parquet":
            self._add("unreadable_file", path, f"cannot be read as Parquet: {_first_line(exc)}")
            return
        found = self._first_rejected_line(path)
        if found is None:
            # The reject store saw nothing: use DuckDB's error, but never quote it (it holds whole rows).
            m = re.search(r"CSV Error on Line: (\d+)", str(exc))
            error_type = "INVALID UNICODE" if "Invalid unicode" in str(exc) else ""
            check, message = _csv_error_message(error_type, "")
            self._add(check, path, message, row=int(m.group(1)) if m else None)
            return
        line, n_lines, error_type, error_message, column = found
        check, message = _csv_error_message(error_type, error_message)
        self._add(check, path, message, row=line, column=column, count=n_lines)

    def _first_rejected_line(self, path: Path) -> tuple[int, int, str, str, str | None] | None:
        """Read the CSV again, keeping the rows DuckDB rejects: (first line, lines, error type, detail)."""
        con = self.con
        for table in (_REJECTS_TABLE, _REJECTS_SCAN):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        try:
            rel = reader.csv_relation(
                con, path, store_rejects=True, rejects_table=_REJECTS_TABLE, rejects_scan=_REJECTS_SCAN
            )
            rel.aggregate("count(COLUMNS(*))").fetchall()  # every column, so every value is decoded
            rows = con.execute(
                f"SELECT line, (SELECT count(DISTINCT line) FROM {_REJECTS_TABLE}), error_type, "
                f"error_message, column_name FROM {_REJECTS_TABLE} ORDER BY line, byte_position LIMIT 1"
            ).fetchall()
        except (duckdb.Error, InputError):
            return None
        finally:
            for table in (_REJECTS_TABLE, _REJECTS_SCAN):
                con.execute(f"DROP TABLE IF EXISTS {table}")
        if not rows:
            return None
        line, n_lines, error_type, error_message, column = rows[0]
        return int(line), int(n_lines), str(error_type), str(error_message or ""), column


def _aggregate_failures(
    con: duckdb.DuckDBPyConnection, body: str, params: dict
) -> tuple[int, dict[tuple[str, str], tuple[int, int, str | None]]]:
    """Run a validate_<table> query and aggregate it: rows, and per failing check its count, first row, value.

    Two passes, because the row number (`row_number() OVER ()` in the raw view) makes DuckDB read the file on
    one thread: the first pass counts the failures without it, in parallel; only when something fails does a
    second pass number the rows to find the first failing row and the value to show for each failing check.
    """
    names = [d[0] for d in con.execute(f"SELECT * FROM (\n{body}\n) LIMIT 0", params).description]
    # The names come from our own SQL file ("<check>:<column>" flags, and text columns that must be decoded
    # although nothing checks them), never from data: quoting them is safe.
    flags = [n for n in names if ":" in n]
    text = [n for n in names if ":" not in n and n != "_row"]
    count_each = ", ".join(f'count("{c}")' for c in flags + text)
    counts = _fetch_one(con, f"SELECT count(*), {count_each} FROM (\n{body}\n)", params)
    failing = [(f, int(n)) for f, n in zip(flags, counts[1 : 1 + len(flags)], strict=True) if n]
    results: dict[tuple[str, str], tuple[int, int, str | None]] = {}
    if failing:
        firsts = ", ".join(
            f'min(_row) FILTER (WHERE "{f}" IS NOT NULL), arg_min("{f}", _row)' for f, _ in failing
        )
        where = " OR ".join(f'"{f}" IS NOT NULL' for f, _ in failing)
        details = _fetch_one(con, f"SELECT {firsts} FROM (\n{body}\n) WHERE {where}", params)
        for i, (flag, count) in enumerate(failing):
            check, column = flag.split(":", 1)
            results[(check, column)] = (count, int(details[2 * i]), details[2 * i + 1])
    return int(counts[0]), results


def _fetch_one(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> tuple:
    # fetchall, not fetchone: DuckDB keeps a half-read result open, and later relation calls refuse to run.
    return con.execute(sql, params).fetchall()[0]


def _params(declared: frozenset[str], as_of: dt.date, spec: TableSpec) -> dict:
    """The values a validate_<table> query declares: the as-of date and the schema's allowed values.

    Allowed values come from schema.py (bound, not copied into the SQL): the schema stays the one definition.
    """
    available: dict[str, object] = {"as_of": as_of}
    for column, values in spec.allowed_values.items():
        available["code_systems" if column == "code_system" else f"allowed_{column}"] = list(values)
    return {k: v for k, v in available.items() if k in declared}


def _row_message(
    check: str,
    spec: TableSpec,
    column: str,
    shown: str | None,
    raw: str | None,
    as_of: dt.date,
    patients_file: Path | None,
) -> str:
    """The message for a row-level check; `shown` is the quoted bad value, or None if it must not be shown."""
    value = shown or "the value"
    allowed = ", ".join(spec.allowed_values.get(column, ()))
    match check:
        case "missing_value":
            return "a value is required but the field is empty"
        case "bad_date":
            return f"{value} is not a real date in YYYY-MM-DD form"
        case "duplicate_id":
            return f"the same patient_id is already used on row {raw}"
        case "unknown_patient":
            return f"the patient_id is not in {patients_file.name if patients_file else 'patients'}"
        case "date_after_extract":
            return f"the date is after the extract date ({as_of})"
        case "date_before_birth":
            return "the date is before the patient's date of birth"
        case "death_before_birth":
            return "the date of death is before the date of birth"
        case "end_before_start":
            return "end_date is before start_date"
        case "unknown_code_system":
            return f"{value} is not a code system of {spec.name}: expected one of {allowed}"
        case "bad_value":
            return f"{value} is not allowed: expected one of {allowed}"
        case "mangled_identifier":
            return (
                f"{value} looks like a number reformatted by a spreadsheet (scientific notation, a trailing "
                "'.0' or digits lost after the 15th), so the original is lost: re-export the file without "
                "opening it in a spreadsheet, or import the column as Text"
            )
        case "read_code_format":
            return f"{value} is not a Read v2 code: expected 5 characters (N142.), or 7 ending in 2 digits"
        case "ctv3_code_format":
            return f"{value} is not a CTV3 code: expected 5 letters, digits or dots"
        case "snomed_code_format":
            return f"{value} is not a SNOMED CT identifier: expected 6 to 18 digits, the first not 0"
        case "bnf_code_format":
            return f"{value} is not a BNF code: expected 2 digits then up to 13 digits or capital letters"
        case "bad_number":
            return "the value is not a number"
    raise AssertionError(f"no message for check {check!r}")  # a query returned a check this module lacks


def _csv_error_message(error_type: str, detail: str) -> tuple[str, str]:
    """Our own words for a DuckDB reject (DuckDB's text may quote the row, so only its numbers are used)."""
    numbers = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", detail)
    fields = f" ({numbers.group(2)} instead of {numbers.group(1)})" if numbers else ""
    match error_type:
        case "INVALID ENCODING" | "INVALID UNICODE":
            return (
                "bad_encoding",
                "the line has text that is not UTF-8: save the file as 'CSV UTF-8 (comma delimited)'",
            )
        case "UNQUOTED VALUE":
            return "unparseable_csv", (
                "a double quote is not closed, or appears inside a value that does not start with one: the "
                "line cannot be split into fields"
            )
        case "TOO MANY COLUMNS":
            return "unparseable_csv", (
                f"the line has more fields than the header{fields}: a value containing a comma must be in "
                "double quotes"
            )
        case "MISSING COLUMNS":
            return "unparseable_csv", f"the line has fewer fields than the header{fields}"
        case "LINE SIZE OVER MAXIMUM":
            return (
                "unparseable_csv",
                "the line is longer than DuckDB allows: probably a double quote not closed",
            )
    return "unparseable_csv", "DuckDB cannot parse this line as CSV"


def _missing_column_message(column: str, header: tuple[str, ...], csv_file: bool = True) -> str:
    """Say which column is missing, naming a near miss in the header when there is one.

    The header is not listed: in a file without a header row it would be a patient's row.
    """
    wanted = _squash(column)
    for name in header:
        if _squash(name) == wanted:
            where = "the header has" if csv_file else "the file has"
            return f"required column '{column}' is missing: {where} '{name}'; rename it to '{column}'"
    if not csv_file:
        return f"required column '{column}' is missing from the file"
    if any(re.fullmatch(r"[0-9][0-9./ -]*", name.strip()) for name in header if name.strip()):
        return (
            f"required column '{column}' is missing: the first row looks like data (is the header missing?)"
        )
    return f"required column '{column}' is missing from the header row"


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _quote(value: str) -> str:
    text = value if len(value) <= _MAX_QUOTED else value[: _MAX_QUOTED - 1] + "…"
    return f"'{text}'"


def _bare(exc: InputError) -> str:
    """An InputError's message without its `file, row, column: ` prefix (the problem has its own columns)."""
    return exc.message.split(": ", 1)[1] if exc.file is not None or exc.row is not None else exc.message


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
