"""`pain-finder import FORMAT SOURCE --out EXTRACT_DIR`: convert a GP data export into a canonical extract.

Thin: parses options, calls `pain_finder.importers.convert`, prints the import report as a table (per
canonical table: rows read, rows written, and rows not written per reason) and the notes, warnings and
validation warnings below it. Exits 0 on success and 3 (EXIT_INPUT) when the source cannot be read or
converted; the error names the file, row and column.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pain_finder.import_formats import FORMAT_DESCRIPTIONS as FORMATS

if TYPE_CHECKING:
    from pain_finder.importers import ImportReport


def register(app: typer.Typer) -> None:
    """Add the command(s) of this module to the app."""
    formats = "; ".join(f"{name}: {what}" for name, what in FORMATS.items())
    app.command(
        "import",
        help=(
            "Convert a GP data export (FORMAT is one of: " + ", ".join(FORMATS) + ") into a canonical "
            "practice extract folder that validate and search read, and print what was converted and what "
            "could not be, with the reason. Formats: " + formats + "."
        ),
        no_args_is_help=True,
    )(import_)


def import_(
    fmt: str = typer.Argument(..., metavar="FORMAT", help="The source format: " + ", ".join(FORMATS) + "."),
    source: Path = typer.Argument(
        ...,
        metavar="SOURCE",
        help="The folder holding the exported files.",
        show_default=False,
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        metavar="EXTRACT_DIR",
        help="The extract folder to write; it must be new, empty, or an earlier import's output (replaced).",
        show_default=False,
    ),
    mapping: Path | None = typer.Option(
        None,
        "--mapping",
        metavar="FILE",
        help="For 'report': the TOML mapping file saying which column holds what (templates for EMIS Web and "
        "SystmOne in docs/examples/). For 'cprd_aurum' and 'cprd_gold': the folder holding CPRD's code "
        "dictionaries, when they are not in SOURCE.",
        show_default=False,
    ),
    practice_id: str | None = typer.Option(
        None,
        "--practice-id",
        metavar="ID",
        help="The practice's identifier (e.g. its ODS code), written to extract.json and to patients and "
        "registrations where the source has none.",
        show_default=False,
    ),
    extract_date: dt.datetime | None = typer.Option(
        None,
        "--extract-date",
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="The date the data were exported, written to extract.json as the default as-of date for "
        "searches (overrides the date the source itself gives, if any).",
        show_default=False,
    ),
    parquet: bool = typer.Option(
        False,
        "--parquet",
        help="Write the tables as Parquet files instead of CSV (faster for large sources).",
    ),
) -> None:
    """Convert SOURCE into a canonical extract at --out and print the import report."""
    from pain_finder.importers import convert  # noqa: PLC0415 - the importers only when one runs

    report = convert(
        fmt,
        source,
        out,
        mapping=mapping,
        practice_id=practice_id,
        extract_date=extract_date.date() if extract_date else None,
        file_format="parquet" if parquet else "csv",
    )
    print_report(report, Console(highlight=False))


def print_report(report: ImportReport, console: Console) -> None:
    """The import report: a table of rows per canonical table and reason, then notes and warnings."""
    table = Table(title=f"Import {report.source_format} -> {report.out}", title_justify="left")
    columns = (("table", "left"), ("rows read", "right"), ("written", "right"), ("not written", "right"))
    for col, justify in columns:
        table.add_column(col, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column("reason", overflow="fold")
    for t in report.tables.values():
        reasons = sorted(t.unmapped.items()) or [("", 0)]
        for i, (reason, n) in enumerate(reasons):
            first = i == 0
            table.add_row(
                t.table if first else "",
                f"{t.rows_read:,}" if first else "",
                f"{t.rows_written:,}" if first else "",
                f"{n:,}",
                Text(reason),
            )
    console.print(table)
    for t in report.tables.values():
        for reason, where in sorted(t.first_unmapped.items()):
            console.print(f"first row not written for {reason}: {where}", markup=False)
    for t in report.tables.values():
        for note, n in sorted(t.notes.items()):
            console.print(f"note: {t.table}: {note}: {n:,} rows", markup=False)
    for system, n in sorted(report.unused_codings.items()):
        console.print(f"codings not used: {system}: {n:,}", markup=False)
    if report.ignored_files:
        console.print("files not read: " + ", ".join(report.ignored_files), markup=False)
    for warning in report.warnings:
        console.print(f"warning: {warning}", markup=False)
    for check, n in sorted(report.validation_warnings.items()):
        console.print(
            f"validation warning: {check} ({n:,}); run 'pain-finder validate' for details", markup=False
        )
    console.print(
        f"Wrote {report.rows_written:,} of {report.rows_read:,} rows to {report.out} "
        "(import_report.json has the details).",
        markup=False,
    )
