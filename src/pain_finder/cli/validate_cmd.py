"""`pain-finder validate EXTRACT`: check a practice extract and print what is wrong with it.

On a terminal, prints a table of problems (severity, check, file, row, column, rows affected, message); when
stdout is not a terminal (cron, CI, a file or a pipe) it prints one plain, unwrapped line per problem instead
(`<severity> <check>: <file, row N, column 'x': message (N rows)>`), so no message is cut to fit 80 columns.
Then a one-line verdict with each table's row count. Exits 0 when nothing is fatal (warnings are allowed) and
3 (EXIT_INPUT) when anything is, so a batch job can stop before searching a broken extract.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console

from pain_finder.errors import ExtractInvalidError
from pain_finder.extract.validate import validate_extract


def register(app: typer.Typer) -> None:
    """Add the command(s) of this module to the app."""
    app.command(
        "validate",
        help=(
            "Check a practice extract (a folder of patients, registrations, clinical_events, "
            "medication_issues and optional fit_notes files, CSV or Parquet) and print every problem found, "
            "with its file, row and column. Exits 0 when the extract can be searched (warnings allowed) and "
            "3 when a problem is fatal."
        ),
        no_args_is_help=True,
    )(validate)


def validate(
    extract: Path = typer.Argument(
        ...,
        help="The extract folder: one <table>.csv or <table>.parquet per table, and optionally extract.json.",
        metavar="EXTRACT",
        show_default=False,
    ),
    as_of: dt.datetime | None = typer.Option(
        None,
        "--as-of",
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help=(
            "The date (YYYY-MM-DD) no recorded date may be after; defaults to extract_date in extract.json, "
            "then today."
        ),
        show_default=False,
    ),
) -> None:
    """Validate one extract, print the report, and fail with exit code 3 if anything is fatal."""
    report = validate_extract(extract, as_of=as_of.date() if as_of else None)
    console = Console(highlight=False)
    if console.is_terminal:
        if report.problems:
            console.print(report.to_rich_table())
        console.print(report.verdict(), markup=False)
    else:  # a log or a pipe: plain lines, never wrapped or cut to the console width
        for p in report.problems:
            _print_line(console, f"{p.severity.value} {p.check}: {p.describe()}")
        _print_line(console, report.verdict())
    if fatal := report.fatal:
        raise ExtractInvalidError(
            f"{extract}: {len(fatal)} fatal problem{'s' if len(fatal) > 1 else ''} (listed above); the "
            "extract cannot be searched until they are fixed."
        )


def _print_line(console: Console, line: str) -> None:
    """Print `line` exactly as it is: no markup, emoji codes or highlighting, no wrapping or cropping."""
    console.print(line, markup=False, emoji=False, highlight=False, soft_wrap=True)
