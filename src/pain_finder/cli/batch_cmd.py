"""`pain-finder batch CONFIG.toml`: search many practice extracts unattended (see docs/batch.md).

Prints progress (a live display on a terminal, plain lines under cron/CI), then one summary line, and exits
with a code a scheduler can act on: 0 all ok, 7 some practices failed, 8 nothing to do, 4 configuration error,
9 another run holds the output root.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from pain_finder.errors import EXIT_NOTHING_TO_DO, EXIT_OK


def register(app: typer.Typer) -> None:
    """Add the command(s) of this module to the app."""
    app.command(
        "batch",
        help=(
            "Search many practice extracts in one unattended run (cron, systemd timer), as CONFIG.toml "
            "describes: each practice in its own process, its outputs in "
            "<output_root>/practices/<practice>/, a status file (batch_status.json), a JSON-lines log "
            "(logs/) and the network's suppressed counts (network/). Practices whose inputs are unchanged "
            "since their last successful run are skipped. Exit codes: 0 all ok, 7 some practices failed "
            "(the others completed), 8 nothing to do, 4 configuration error, 9 another batch is using the "
            "output root."
        ),
        no_args_is_help=True,
    )(batch)


def batch(
    config: Path = typer.Argument(
        ...,
        help="The batch configuration TOML file (see docs/batch.md and docs/examples/batch.toml).",
        metavar="CONFIG.toml",
        show_default=False,
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Rerun every practice, even those whose inputs are unchanged since their last run.",
    ),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        max=256,
        metavar="N",
        help="Search N practices at once, each in its own process (overrides `workers` in the config; "
        "default: the machine's CPU cores).",
        show_default=False,
    ),
    source_format: str | None = typer.Option(
        None,
        "--format",
        metavar="FORMAT",
        help="The practices' folders are sources in this `pain-finder import` format (opensafely, ukb, fhir, "
        "report, cprd_aurum, cprd_gold), converted on the fly; overrides `format` in the config.",
        show_default=False,
    ),
    mapping: Path | None = typer.Option(
        None,
        "--mapping",
        metavar="PATH",
        help="With --format: the mapping file (report) or dictionary folder (CPRD), as for `pain-finder "
        "import`; overrides `mapping` in the config.",
        show_default=False,
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="List which practices would run and which are up to date, then stop: nothing is searched or "
        "written.",
    ),
) -> None:
    """Run (or, with --dry-run, plan) a batch and exit with its code."""
    # Imported here, not at the top: every other command (and `--help`) starts faster without the batch.
    from pain_finder.batch import load_batch_config, plan_batch, run_batch  # noqa: PLC0415
    from pain_finder.batch.log import display_for  # noqa: PLC0415

    loaded = load_batch_config(config).with_source_format(source_format, mapping)
    console = Console(highlight=False)
    if dry_run:
        entries = plan_batch(loaded, force=force)
        for e in entries:
            console.print(
                f"{e.practice_key}: {'would run' if e.action == 'run' else e.action} ({e.reason})",
                markup=False,
            )
        to_run = sum(e.action == "run" for e in entries)
        console.print(f"{to_run} of {len(entries)} practices would run.", markup=False)
        raise typer.Exit(EXIT_OK if to_run else EXIT_NOTHING_TO_DO)
    report = run_batch(loaded, force=force, workers=workers, display=display_for(console))
    counts = report.status.counts
    network = report.status.network
    ok, skipped, failed = (counts.get(k, 0) for k in ("ok", "skipped", "failed"))
    network_state = network.status.replace("_", " ") if network else "not written"
    console.print(
        f"{ok} ok, {skipped} skipped (up to date), {failed} failed; network summary: {network_state}. "
        f"Status: {report.status_path}",
        markup=False,
        soft_wrap=True,
    )
    if report.exit_code == EXIT_NOTHING_TO_DO:
        console.print(
            "Nothing to do: every practice is up to date (use --force to rerun them).", markup=False
        )
    raise typer.Exit(report.exit_code)
