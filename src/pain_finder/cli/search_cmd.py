"""`pain-finder search EXTRACT --out DIR` (run the search, write the list) and `pain-finder config show`.

The command validates the extract (exit 3 on a fatal problem), runs the search with progress shown per step
(only on a terminal), and ends with a summary table: candidates, exclusions by reason, and where the files
are.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pain_finder.config import SearchConfig, load_config
from pain_finder.counts import REVIEW_FLAGS
from pain_finder.errors import ConfigError


def register(app: typer.Typer) -> None:
    """Add the command(s) of this module to the app."""
    app.command(
        "search",
        help=(
            "Search a practice extract for working-age patients with chronic pain and an opioid, "
            "gabapentinoid or "
            "fit-note signal, and write a ranked list to hand-check (invitations.csv and "
            "invitations.xlsx), the "
            "excluded patients with reasons (excluded.csv), a shareable count summary (summary.json) and a "
            "manifest (manifest.json) into the output folder. Exits 3 when the extract has a fatal problem."
        ),
        no_args_is_help=True,
    )(search)
    config_app = typer.Typer(
        help="Show the search definition (criteria, windows and ranking weights).", no_args_is_help=True
    )
    config_app.command(
        "show",
        help=(
            "Print a search definition as TOML: the defaults, or the file given with --config after "
            "checking it. "
            "Save the output, edit it, and pass it to `search --config`."
        ),
    )(config_show)
    app.add_typer(config_app, name="config")


def search(
    extract: Path = typer.Argument(
        ...,
        help="The extract folder: one <table>.csv or <table>.parquet per table, and optionally extract.json.",
        metavar="EXTRACT",
        show_default=False,
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="The folder to write the outputs into (created if missing; earlier outputs there are replaced).",
        metavar="DIR",
        show_default=False,
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        help="A TOML file with the search definition (see `pain-finder config show`); defaults without it.",
        metavar="FILE",
        show_default=False,
    ),
    as_of: dt.datetime | None = typer.Option(
        None,
        "--as-of",
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="The date the search is run as of; defaults to extract_date in extract.json, then today.",
        show_default=False,
    ),
    source_format: str | None = typer.Option(
        None,
        "--format",
        metavar="FORMAT",
        help="EXTRACT is a source in this `pain-finder import` format (opensafely, ukb, fhir, report, "
        "cprd_aurum, cprd_gold): convert it on the fly into a temporary folder, search it, and keep the "
        "import report beside the outputs (import_report.json).",
        show_default=False,
    ),
    mapping: Path | None = typer.Option(
        None,
        "--mapping",
        metavar="PATH",
        help=(
            "With --format: the mapping file (report) or dictionary folder (CPRD), "
            "as for `pain-finder import`."
        ),
        show_default=False,
    ),
    top: int | None = typer.Option(
        None,
        "--top",
        min=1,
        help="List only the N highest-ranked candidates (counts still cover every candidate).",
        metavar="N",
        show_default=False,
    ),
) -> None:
    """Run one search and print where the outputs are."""
    from pain_finder.search import run_search  # noqa: PLC0415 - keeps `pain-finder --help` fast

    definition = load_config(config)
    console = Console(highlight=False)
    quiet = not console.is_terminal
    status = None if quiet else console.status("Searching...")

    def progress(step: str) -> None:
        if status is not None:
            status.update(f"Searching: {step.replace('_', ' ')}...")

    if status is not None:
        status.start()

    def search_folder(folder: Path) -> Any:
        return run_search(
            folder, out, definition, as_of=as_of.date() if as_of else None, top=top, progress=progress
        )

    try:
        if source_format is None:
            if mapping is not None:
                raise ConfigError("--mapping goes with --format (the source's import format)")
            result = search_folder(extract)
        else:
            from pain_finder.atomic import write_text  # noqa: PLC0415
            from pain_finder.importers import converted  # noqa: PLC0415

            progress(f"import {source_format}")
            with converted(source_format, extract, mapping=mapping) as (folder, report):
                result = search_folder(folder)
            write_text(out / "import_report.json", report.to_json())
    finally:
        if status is not None:
            status.stop()
    console.print(_summary_table(result), markup=False)
    for warning in result.warnings[:10]:
        console.print(f"Warning: {warning}", markup=False, soft_wrap=True)
    if len(result.warnings) > 10:
        console.print(f"... and {len(result.warnings) - 10} more warnings (see manifest.json)", markup=False)
    console.print(f"Hand-check list: {result.outputs['invitations_xlsx']}", markup=False, soft_wrap=True)


def _summary_table(result: Any) -> Table:
    exact = result.exact_counts
    table = Table(
        title=f"Search of practice {result.practice_id} as of {result.as_of} ({result.as_of_source})",
        title_justify="left",
    )
    table.add_column("Step")
    table.add_column("Patients", justify="right")
    for step in exact.attrition:
        table.add_row(step.label, f"{step.count:,}")
    table.add_section()
    for reason, n in exact.removed_by_reason.items():
        table.add_row(f"Excluded: {reason}", f"{n:,}")
    for flag in REVIEW_FLAGS:
        if n := exact.flagged_by_flag.get(flag, 0):
            table.add_row(f"Candidates flagged: {flag}", f"{n:,}")
    table.add_section()
    table.add_row(f"Candidates (listed: {result.n_listed:,})", f"{result.n_candidates:,}")
    table.add_row("Excluded (any reason)", f"{result.n_excluded:,}")
    for name, path in result.outputs.items():
        table.add_row(f"File: {name}", Text(str(path)))  # Text: a path's [brackets] are not markup
    return table


def config_show(
    config: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        help="A TOML search definition to check and print (default: the defaults).",
        metavar="FILE",
        show_default=False,
    ),
) -> None:
    """Print a search definition as TOML."""
    typer.echo(config_toml(load_config(config)), nl=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def config_toml(config: SearchConfig) -> str:
    """The definition as TOML, each field's description as a comment (unset fields commented out)."""
    lines = [
        "# pain_finder search definition (see docs/search.md). Unset optional values are commented out.",
        "",
    ]
    for section in SearchConfig.model_fields:
        value = getattr(config, section)
        if not isinstance(value, BaseModel) or section == "disclosure":
            continue
        lines.append(f"[{section}]")
        for name, info in type(value).model_fields.items():
            if info.description:
                lines.append(f"# {info.description}")
            v = getattr(value, name)
            if v is None:
                lines.append(f"# {name} = ")
            else:
                lines.append(f"{name} = {_toml_value(str(v) if isinstance(v, Path) else v)}")
        lines.append("")
    return "\n".join(lines)
