"""The `pain-finder` command line: a thin layer over the library.

Each command group lives in its own module (`<name>_cmd.py`) with a `register(app)` function; commands parse
options, call one library function and print its result. Errors a user can cause are `PainFinderError`s: `run`
prints them as one `Error: ...` paragraph on stderr and returns their exit code (see errors.py). Nothing a
user can cause prints a traceback; an unexpected exception prints a short message (set PAIN_FINDER_DEBUG=1 for
the traceback) and exits with 1. The app is created with `pretty_exceptions_show_locals=False` so a crash can
never print local variables (which may hold patient rows).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer
from rich.console import Console

from pain_finder import __version__
from pain_finder.errors import EXIT_INTERNAL, EXIT_USAGE, PainFinderError

app = typer.Typer(
    name="pain-finder",
    help=(
        "Find working-age patients whose chronic pain may keep them out of work, in a GP practice's exported "
        "records, and write a ranked invitation list for practice staff to hand-check. Also validates "
        "extracts, generates synthetic ones, and produces count summaries that are safe to share."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

err_console = Console(stderr=True, highlight=False)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pain-finder {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """pain_finder command line."""


def _register_commands() -> None:
    from pain_finder.cli import (  # noqa: PLC0415 - imported here so each module can import `app` helpers
        batch_cmd,
        codes_cmd,
        import_cmd,
        merge_cmd,
        search_cmd,
        synth_cmd,
        validate_cmd,
    )

    for module in (validate_cmd, search_cmd, codes_cmd, synth_cmd, merge_cmd, batch_cmd, import_cmd):
        module.register(app)


_register_commands()


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with `argv` and return the exit code (never raises for user errors).

    Usage errors and --help are handled by typer in standalone mode (they end in SystemExit, turned into a
    code here); PainFinderError and unexpected exceptions are mapped to messages below.
    """
    command = typer.main.get_command(app)
    try:
        command.main(
            args=list(argv) if argv is not None else None, prog_name="pain-finder", standalone_mode=True
        )
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)
    except PainFinderError as exc:
        err_console.print(f"[bold red]Error:[/bold red] {exc.message}", soft_wrap=True, markup=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        return 130
    except Exception as exc:  # a bug: say so briefly, never dump locals (they may hold patient rows)
        if os.environ.get("PAIN_FINDER_DEBUG") == "1":
            raise
        err_console.print(
            f"[bold red]Internal error:[/bold red] {type(exc).__name__}. This is a bug in pain-finder; "
            "rerun with PAIN_FINDER_DEBUG=1 to see the traceback (it may contain patient data: do not "
            "share it).",
            soft_wrap=True,
        )
        return EXIT_INTERNAL
    return 0


def main(argv: Sequence[str] | None = None) -> None:
    sys.exit(run(argv))
