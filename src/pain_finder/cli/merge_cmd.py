"""`pain-finder merge SUMMARY... --out DIR`: add practices' count summaries into network totals and a report.

Refuses summaries from different search definitions (exit 6, naming the practices and what differs) unless
`--allow-mixed`, and a practice given twice unless `--keep PRACTICE=FILE` says which file to use. Writes
network.csv, network.xlsx, network_summary.json, report.html and the chart PNGs into DIR, then prints the
network totals with their ranges.
"""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from pain_finder.disclosure import DEFAULT_ROUNDING_BASE, DEFAULT_THRESHOLD, MODE_NONE, DisclosurePolicy
from pain_finder.errors import ConfigError


def register(app: typer.Typer) -> None:
    """Add the command(s) of this module to the app."""
    app.command(
        "merge",
        help=(
            "Add the count summaries (summary.json) of several practices into network totals. Each total is "
            "reported with the range the true count must lie in (shared counts are suppressed or rounded), "
            "and goes through disclosure control again. Writes network.csv, network.xlsx, "
            "network_summary.json, report.html and chart PNGs into --out. Exits 6 when the summaries come "
            "from different search definitions or a practice appears twice."
        ),
        no_args_is_help=True,
    )(merge)


def _parse_keep(values: list[str]) -> dict[str, str]:
    keep: dict[str, str] = {}
    for item in values:
        practice, sep, file = item.partition("=")
        if not sep or not practice.strip() or not file.strip():
            raise ConfigError(f"--keep {item!r}: expected PRACTICE=FILE, e.g. --keep A81001=a/summary.json")
        if practice.strip() in keep:
            raise ConfigError(f"--keep names practice {practice.strip()} twice")
        keep[practice.strip()] = file.strip()
    return keep


def _policy(policy: str | None, threshold: int | None, rounding_base: int | None) -> DisclosurePolicy | None:
    if policy is None and threshold is None and rounding_base is None:
        return None  # the summaries' own policy
    if policy not in (None, "standard", MODE_NONE):
        raise ConfigError(f"--policy {policy!r}: expected 'standard' or 'none'")
    if policy == MODE_NONE:
        if threshold is not None or rounding_base is not None:
            raise ConfigError(
                "--policy none publishes exact totals: do not combine it with --threshold/--rounding-base"
            )
        return DisclosurePolicy(mode=MODE_NONE)
    if threshold is not None and threshold < 0:
        raise ConfigError("--threshold must be 0 or more")
    if rounding_base is not None and rounding_base < 1:
        raise ConfigError("--rounding-base must be 1 or more")
    try:
        return DisclosurePolicy(
            threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
            rounding_base=DEFAULT_ROUNDING_BASE if rounding_base is None else rounding_base,
        )
    except ValidationError as exc:
        raise ConfigError(
            f"--threshold {threshold}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}"
        ) from exc


def merge(
    summaries: list[Path] = typer.Argument(
        ...,
        help="The practices' summary.json files (one per practice, all from the same search definition).",
        metavar="SUMMARY...",
        show_default=False,
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Folder to write the network outputs into (created if missing).",
        show_default=False,
    ),
    allow_mixed: bool = typer.Option(
        False,
        "--allow-mixed",
        help="Add summaries even when their search definitions differ; the outputs are then marked as mixed.",
    ),
    keep: list[str] = typer.Option(
        [],
        "--keep",
        metavar="PRACTICE=FILE",
        help="When a practice's summary is given more than once, use this file for it (repeat for "
        "each practice).",
        show_default=False,
    ),
    policy: str | None = typer.Option(
        None,
        "--policy",
        metavar="standard|none",
        help="Disclosure control for the network totals: 'standard' (suppress small counts, round) or 'none' "
        "(exact estimates, trusted use only); default: the policy recorded in the summaries.",
        show_default=False,
    ),
    threshold: int | None = typer.Option(
        None,
        "--threshold",
        help="With the standard policy, suppress network totals from 1 to this value (default "
        f"{DEFAULT_THRESHOLD}).",
        show_default=False,
    ),
    rounding_base: int | None = typer.Option(
        None,
        "--rounding-base",
        help=f"With the standard policy, round network totals to the nearest multiple of this "
        f"(default {DEFAULT_ROUNDING_BASE}).",
        show_default=False,
    ),
) -> None:
    """Merge summaries, write the network outputs, print the totals."""
    from pain_finder.merge import merge_summary_files, write_network  # noqa: PLC0415 - keeps start-up fast
    from pain_finder.summary import cell_label  # noqa: PLC0415

    network = merge_summary_files(
        summaries,
        allow_mixed=allow_mixed,
        keep=_parse_keep(keep),
        policy=_policy(policy, threshold, rounding_base),
    )
    paths = write_network(network, out)
    console = Console(highlight=False)
    if network.mixed:
        console.print("WARNING: summaries from different search definitions were added (--allow-mixed).")
    table = Table(title=f"Network of {len(network.practices)} practices: totals and the range of the truth")
    for col in ("count", "published", "lowest", "highest"):
        table.add_column(col, justify="left" if col == "count" else "right")
    labels = {a.key: a.label for a in network.total.attrition}
    for name, cell in network.total_cells().items():
        if name in labels:
            shown = "suppressed" if cell.value is None else f"{cell.value:,}"
            table.add_row(cell_label(name, labels), shown, f"{cell.lower:,}", f"{cell.upper:,}")
    console.print(table)
    console.print(f"Wrote {', '.join(p.name for p in paths.values())} to {out}", markup=False)
