"""`pain-finder synth OUT --patients N`: write synthetic practice extracts (see docs/synth.md).

A thin command: it builds SynthOptions from the options, calls `pain_finder.synth.generate`, prints a warning
line per code list that is missing (that concept is skipped), and one line per extract written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console

from pain_finder.errors import ConfigError

_OPTION_NAMES = {
    "patients": "--patients",
    "practices": "--practices",
    "coding": "--coding",
    "seed": "--seed",
    "file_format": "--format",
    "extract_date": "--extract-date",
    "noise_scale": "--noise-scale",
    "code_lists_dir": "--code-lists",
    "out": "OUT",
}


def register(app: typer.Typer) -> None:
    """Add the command(s) of this module to the app."""
    app.command(
        "synth",
        help=(
            "Write realistic synthetic GP practice extracts (patients, registrations, clinical events, "
            "medication issues, fit notes and extract.json) for demos, tests and benchmarks. Codes are drawn "
            "from the project's code lists; the same options and code lists always give the same files."
        ),
        no_args_is_help=True,
    )(synth)


def synth(
    out: Path = typer.Argument(
        ...,
        metavar="OUT",
        show_default=False,
        help="Output folder: the extract itself with --practices 1, else the folder holding practice_001, "
        "practice_002, ...",
    ),
    patients: int = typer.Option(
        ...,
        "--patients",
        metavar="N",
        show_default=False,
        help=(
            "Number of patients in all, split evenly across the practices (including those who died or left "
            "during the history)."
        ),
    ),
    practices: int = typer.Option(
        1,
        "--practices",
        metavar="K",
        help="Number of practice extracts to write, each with its own practice code.",
    ),
    coding: str = typer.Option(
        "snomedct",
        "--coding",
        metavar="readv2|ctv3|snomedct",
        help="Clinical code system of the practices; medicines are Read v2 drug codes for readv2, "
        "dm+d otherwise.",
    ),
    seed: int = typer.Option(
        0, "--seed", metavar="S", help="Random seed: the same seed and options give the same files."
    ),
    file_format: str = typer.Option(
        "csv", "--format", metavar="csv|parquet", help="File format of the tables."
    ),
    extract_date: dt.datetime = typer.Option(
        "2026-09-30",
        "--extract-date",
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="The date the extract was taken: no record is dated after it, and history goes back from it.",
    ),
    noise_scale: float = typer.Option(
        1.0,
        "--noise-scale",
        metavar="X",
        help="Multiply the volume of routine (non-pain) events and issues by X; e.g. 0.2 for small "
        "sample files.",
    ),
    code_lists: Path | None = typer.Option(
        None,
        "--code-lists",
        metavar="DIR",
        show_default=False,
        help="Draw codes from the code lists in DIR instead of the packaged code_lists/ folder.",
    ),
) -> None:
    """Generate the extracts and print what was written."""
    from pain_finder.synth import SynthOptions, generate  # noqa: PLC0415 - keep `--help` fast

    try:
        options = SynthOptions(
            out=out,
            patients=patients,
            practices=practices,
            coding=coding,
            seed=seed,
            file_format=file_format,
            extract_date=extract_date.date(),
            noise_scale=noise_scale,
            code_lists_dir=code_lists,
        )
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["loc"]:
                field = str(err["loc"][0])
                message = f"{_OPTION_NAMES.get(field, field)}: {message}"
            lines.append(message)
        raise ConfigError("invalid options: " + "; ".join(lines)) from None
    if code_lists is not None and not code_lists.is_dir():
        raise ConfigError(f"--code-lists: {code_lists} is not a folder")
    err = Console(stderr=True, highlight=False)
    console = Console(highlight=False)
    generate(
        options,
        warn=lambda m: err.print(f"warning: {m}", markup=False, soft_wrap=True),
        progress=lambda m: console.print(f"wrote {m}", markup=False, soft_wrap=True),
    )
