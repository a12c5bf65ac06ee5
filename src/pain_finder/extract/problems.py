"""What validation found: the problems, their severities, and the report that shows them.

Kept apart from the checks themselves (validate.py) so the search, the CLI and tests can read a report
without running anything. A problem names the file, the first row and the column it was found in, and how many
rows have it; its message may quote a malformed date or code (that helps to find it), never a patient
identifier.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from rich.table import Table
from rich.text import Text

from pain_finder.errors import location
from pain_finder.extract.schema import TABLES


class Severity(StrEnum):
    fatal = "fatal"  # the extract cannot be searched until this is fixed
    warning = "warning"  # the search can run; the result may be less complete than it looks


@dataclass(frozen=True)
class Check:
    """One kind of problem: its stable code (for scripts and tests), severity and what it means."""

    code: str
    severity: Severity
    meaning: str


_F, _W = Severity.fatal, Severity.warning

CHECKS: dict[str, Check] = {
    c.code: c
    for c in (
        Check("missing_file", _F, "a required table has no file"),
        Check("duplicate_file", _F, "a table has both a .csv and a .parquet file"),
        Check("empty_file", _F, "a file of 0 bytes, or a patients file with no rows (other tables: warning)"),
        Check("bad_metadata", _F, "extract.json is not valid"),
        Check("as_of_before_births", _F, "the as-of date is before every patient's date of birth"),
        Check(
            "as_of_after_extract",
            _W,
            "--as-of is after extract.json's extract_date: later records are missing",
        ),
        Check("bad_encoding", _F, "a CSV file is not UTF-8 text (e.g. UTF-16 or Windows-1252)"),
        Check("wrong_delimiter", _F, "a CSV header is separated by ';', tabs or '|' instead of commas"),
        Check("duplicate_column", _F, "a column name appears twice in the header"),
        Check("missing_column", _F, "a required column is missing from the header"),
        Check(
            "unparseable_csv",
            _F,
            "a row DuckDB cannot parse: an unbalanced quote or the wrong number of fields",
        ),
        Check("unreadable_file", _F, "a Parquet file that cannot be read"),
        Check("missing_value", _F, "a required column is empty"),
        Check("bad_date", _F, "a date that is not a real date in YYYY-MM-DD form"),
        Check("duplicate_id", _F, "a patient_id used on more than one patients row"),
        Check("death_before_birth", _F, "a date of death before the date of birth"),
        Check("unknown_code_system", _F, "a code_system that is not allowed for the table"),
        Check("bad_value", _F, "a value outside the allowed list (sex, prescription_type, fitness)"),
        Check("mangled_identifier", _F, "an identifier or code reformatted by a spreadsheet"),
        Check("unknown_patient", _W, "a row whose patient_id is not in patients"),
        Check("date_after_extract", _W, "a date after the extract (as-of) date"),
        Check("date_before_birth", _W, "a date before the patient's date of birth"),
        Check("end_before_start", _W, "an end_date before the start_date"),
        Check("read_code_format", _W, "a Read v2 code that is not 5 characters (or 7 with a 2-digit suffix)"),
        Check("ctv3_code_format", _W, "a CTV3 code that is not 5 characters"),
        Check("snomed_code_format", _W, "a SNOMED CT or dm+d code that is not 6 to 18 digits"),
        Check(
            "bnf_code_format", _W, "a BNF code that is not 2 digits followed by up to 13 digits or capitals"
        ),
        Check("bad_number", _W, "a quantity or numeric_value that is not a number"),
    )
}


class Problem(BaseModel):
    """One problem: where it is (file, first row, column), what it is, and how many rows have it."""

    model_config = ConfigDict(frozen=True)

    severity: Severity
    check: str
    file: str
    row: int | None = None  # the first row with the problem, counting the header as row 1
    column: str | None = None
    message: str
    count: int | None = None  # rows with the problem; None for a problem with the file as a whole

    @property
    def where(self) -> str:
        return location(self.file, self.row, self.column)

    def describe(self) -> str:
        """One line: `clinical_events.csv, row 7, column 'event_date': ... (3 rows)`."""
        rows = f" ({self.count:,} rows)" if self.count and self.count > 1 else ""
        return f"{self.where}: {self.message}{rows}"


_TABLE_ORDER = {name: i for i, name in enumerate(TABLES)}


def _sort_key(p: Problem) -> tuple:
    """Fatal first, then by table and row; ties keep the order the checks found them in (a stable sort)."""
    table = p.file.rsplit(".", 1)[0]
    return (p.severity != Severity.fatal, _TABLE_ORDER.get(table, -1), p.row or 0)


class ValidationReport(BaseModel):
    """Everything validation found in one extract, fatal problems first."""

    folder: str
    as_of: dt.date
    as_of_source: str  # "--as-of", "extract.json" or "today"
    problems: list[Problem]
    row_counts: dict[str, int | None]  # table -> data rows; None when the file is absent or unreadable
    files: dict[str, str]  # table -> file name, for the tables present

    def model_post_init(self, __context: object) -> None:
        self.problems.sort(key=_sort_key)

    @property
    def fatal(self) -> list[Problem]:
        """The fatal problems (empty when the extract can be searched)."""
        return [p for p in self.problems if p.severity == Severity.fatal]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.warning]

    @property
    def ok(self) -> bool:
        return not self.fatal

    def verdict(self) -> str:
        """One line: what the extract holds and whether it can be searched."""
        counts = ", ".join(
            f"{self.files.get(t, t)} {n:,} rows" for t, n in self.row_counts.items() if n is not None
        )
        n_fatal, n_warn = len(self.fatal), len(self.warnings)
        if n_fatal:
            state = (
                f"INVALID: {_plural(n_fatal, 'fatal problem')}"
                + (f" and {_plural(n_warn, 'warning')}" if n_warn else "")
                + " (fix the fatal problems, then validate again)"
            )
        elif n_warn:
            state = f"valid, with {_plural(n_warn, 'warning')}"
        else:
            state = "valid: no problems found"
        return f"{state}. {counts or 'No readable tables'}. As-of date {self.as_of} ({self.as_of_source})."

    def to_rich_table(self) -> Table:
        """The problems as a rich table: severity, check, file, row, column, rows affected, message."""
        table = Table(
            title=f"Validation of {self.folder}", title_justify="left", show_lines=False, expand=False
        )
        table.add_column("Severity", no_wrap=True)
        table.add_column("Check", no_wrap=True)
        table.add_column("File", no_wrap=True)
        table.add_column("Row", justify="right", no_wrap=True)
        table.add_column("Column", no_wrap=True)
        table.add_column("Rows", justify="right", no_wrap=True)
        table.add_column("Problem", overflow="fold", min_width=30)
        for p in self.problems:
            style = "bold red" if p.severity == Severity.fatal else "yellow"
            table.add_row(
                Text(p.severity.value, style=style),
                p.check,
                p.file,
                "" if p.row is None else f"{p.row:,}",
                p.column or "",
                "" if p.count is None else f"{p.count:,}",
                Text(p.message),
            )
        return table


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
