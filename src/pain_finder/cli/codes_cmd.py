"""`pain-finder codes list|show|search|coverage`: see what the search matches, and where each list came from.

Thin commands over `pain_finder.codelists` (loading, lookup by name, search) and
`pain_finder.codelist_coverage` (comparison with the published lists each list cites). Tables are printed with
rich; an unknown list name is an InputError (exit 3) that lists the known names.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pain_finder.codelists import DOSE_COLUMNS, CodeList, find_lists, load_all, search

codes_app = typer.Typer(
    help=(
        "Inspect the clinical code lists the search uses: list them, show one with its provenance and codes, "
        "search codes and terms across lists, and compare each list with the published lists it cites."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    """Add the command(s) of this module to the app."""
    app.add_typer(codes_app, name="codes")


def _console() -> Console:
    return Console(highlight=False)


@codes_app.command(
    "list",
    short_help="Every code list with its size, version and status.",
    help="List every code list: concept, code system, number of codes, version date and review status.",
)
def list_cmd() -> None:
    """One row per list, sorted by concept then system."""
    lists = load_all()
    table = Table(title=f"{len(lists)} code lists", title_justify="left")
    for col in ("concept", "system", "codes", "version", "status"):
        table.add_column(col, justify="right" if col == "codes" else "left", no_wrap=True)
    for name in sorted(lists):
        cl = lists[name]
        table.add_row(
            cl.meta.concept,
            cl.meta.code_system.value,
            str(len(cl.entries)),
            cl.meta.version_date.isoformat(),
            cl.meta.status.value,
        )
    _console().print(table)


def _show_one(console: Console, cl: CodeList, limit: int) -> None:
    m = cl.meta
    console.print(f"[bold]{cl.name}[/bold]: {m.title}")
    console.print(
        f"  code system: {m.code_system.value}   domain: {m.domain.value}   codes: {len(cl.entries)}   "
        f"version: {m.version_date.isoformat()}   status: {m.status.value}   "
        f"reviewer: {m.reviewer or 'none yet'}",
        markup=False,
    )
    console.print(f"  captures: {m.captures}", markup=False)
    if m.notes:
        console.print(f"  notes: {m.notes}", markup=False)
    console.print("  sources consulted:", markup=False)
    for s in m.sources:
        ref = f" [{s.reference_file}]" if s.reference_file else ""
        console.print(f"    - {s.name}{ref}: {s.how_used}", markup=False)
    shown = cl.entries if limit <= 0 else cl.entries[:limit]
    # only the columns this list uses, so a wide dose table still fits a terminal
    descend = any(e.include_descendants for e in cl.entries)
    dose_cols = [c for c in DOSE_COLUMNS if any(c in dict(e.dose) for e in cl.entries)]
    table = Table(show_lines=False)
    table.add_column("code", no_wrap=True)
    table.add_column("term", overflow="fold", min_width=24)
    if descend:
        table.add_column("descendants", overflow="fold")
    for col in dose_cols:
        table.add_column(col, overflow="fold")
    fitness = any(e.fitness for e in cl.entries)
    if fitness:
        table.add_column("fitness", no_wrap=True)
    for e in shown:
        dose = dict(e.dose)
        row = [e.code, e.term] + (["yes" if e.include_descendants else ""] if descend else [])
        row += [dose.get(col, "") for col in dose_cols]
        row += [e.fitness or ""] if fitness else []
        table.add_row(*(Text(value) for value in row))  # Text: a term's [brackets] are not markup
    console.print(table)
    if len(shown) < len(cl.entries):
        console.print(
            f"  ({len(cl.entries) - len(shown)} more codes not shown; use --limit 0 to show all)",
            markup=False,
        )


@codes_app.command(
    "show",
    short_help="One list (or a concept) with provenance and codes.",
    help=(
        "Show one code list (NAME = concept/system, e.g. opioid/dmd) or every system of a concept (NAME = "
        "concept, e.g. fit_note): its provenance, sources and codes."
    ),
    no_args_is_help=True,
)
def show_cmd(
    name: str = typer.Argument(
        ...,
        metavar="NAME",
        help="A concept (e.g. fit_note) or concept/system "
        "(e.g. chronic_pain_condition/readv2); `pain-finder codes list` shows them all.",
        show_default=False,
    ),
    limit: int = typer.Option(
        50, "--limit", min=0, help="Show at most this many codes per list (0 shows all).", show_default=True
    ),
) -> None:
    """Provenance and codes of the named list(s)."""
    console = _console()
    for i, cl in enumerate(find_lists(name, load_all())):
        if i:
            console.print()
        _show_one(console, cl, limit)


@codes_app.command(
    "search",
    short_help="Which lists contain a code or term.",
    help=(
        "Find which lists contain a code or term: codes starting with TEXT (case-sensitive, as Read codes "
        "are), "
        "terms containing TEXT (any case), and rows whose include_descendants prefix covers the code TEXT."
    ),
    no_args_is_help=True,
)
def search_cmd(
    text: str = typer.Argument(
        ...,
        metavar="TEXT",
        help="Part of a code (e.g. N24, 9D1) or of a term (e.g. fibromyalgia, co-codamol).",
        show_default=False,
    ),
) -> None:
    """Every listed code matching TEXT, across all lists."""
    hits = search(text, load_all())
    console = _console()
    if not hits:
        console.print(f"No listed code or term matches '{text}'.", markup=False)
        return
    table = Table(
        title=f"{len(hits)} match{'es' if len(hits) != 1 else ''} for '{text}'", title_justify="left"
    )
    for col in ("list", "code", "term", "matched on"):
        table.add_column(col, overflow="fold", no_wrap=col != "term")
    for h in hits:
        table.add_row(*(Text(v) for v in (h.list_name, h.entry.code, h.entry.term, h.matched_on)))
    console.print(table)


@codes_app.command(
    "coverage",
    short_help="Coverage of the published lists each list cites.",
    help=(
        "Compare every code list with the published lists it cites: how many published codes each covers, "
        "how "
        "many it leaves out with a reason, and how many are unexplained (printed as a Markdown table)."
    ),
)
def coverage_cmd(
    reference: Path | None = typer.Option(
        None,
        "--reference",
        metavar="DIR",
        help="Folder holding the published lists (default: shared/reference/codelists beside the checkout).",
        show_default=False,
    ),
) -> None:
    """The coverage table (always exit 0 when it can be computed)."""
    from pain_finder.codelist_coverage import compare_all, report_markdown  # noqa: PLC0415 - fast start-up

    comparisons = compare_all(load_all(), reference)
    console = _console()
    console.print(report_markdown(comparisons), markup=False, end="")
    unexplained = sum(len(c.unexplained) for c in comparisons)
    cited = sum(1 for c in comparisons if c.comparable)
    console.print(
        f"{cited} comparisons with published lists in the same code system; "
        f"{unexplained} published codes unexplained.",
        markup=False,
    )
