"""How each of our code lists covers the published lists it cites.

For every `[[sources]]` entry of a list's sidecar with a `reference_file` in the same code system, every code
of that published list must be either matched by our list (exactly, or under an include_descendants prefix) or
named in the list's `<system>.left_out.csv` with a specific reason. This module computes that comparison; the
test `tests/unit/test_codelist_coverage.py` enforces it, and `pain-finder codes coverage` prints it.

Reference files come in the formats described in shared/reference/codelists/SOURCES.md: header-less
TAB-separated `code<TAB>term` (GM-SDE), CSV with a header (`code,term,...` or `id,name,active,notes`), or
quoted TAB-separated with a header (CPRD). Rows marked inactive (`active` = n/false/0) are not counted.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from pain_finder.codelists import CodeList, CodeSystem, SourceConsulted
from pain_finder.errors import InputError
from pain_finder.extract.schema import normalise_read_code
from pain_finder.resources import code_lists_dir

_INACTIVE = {"n", "no", "false", "0"}


@dataclass
class Comparison:
    list_name: str
    source: SourceConsulted
    reference_codes: set[str] = field(default_factory=set)
    covered: set[str] = field(default_factory=set)
    left_out: dict[str, str] = field(default_factory=dict)  # code -> reason, for reference codes we leave out
    unexplained: set[str] = field(default_factory=set)  # reference codes neither covered nor explained
    contradictions: set[str] = field(default_factory=set)  # codes both in our list and in left_out
    comparable: bool = True  # False when the reference file is in another code system

    @property
    def coverage(self) -> float:
        return len(self.covered) / len(self.reference_codes) if self.reference_codes else 1.0


def read_reference_codes(path: Path, system: CodeSystem, code_column: str | None = None) -> set[str]:
    """The distinct active codes of a published list file."""
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    first = text.splitlines()[0] if text else ""
    delimiter = "\t" if "\t" in first else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        return set()
    header = [h.strip().strip('"').lower() for h in rows[0]]
    wanted = code_column.lower() if code_column else None
    if wanted is None:
        wanted = "code" if "code" in header else ("id" if "id" in header else None)
    if wanted is not None and wanted in header:
        idx, body = header.index(wanted), rows[1:]
        active_idx = header.index("active") if "active" in header else None
    elif code_column:
        raise ValueError(f"{path.name}: no column {code_column!r} (header: {rows[0]})")
    else:
        idx, body, active_idx = 0, rows, None
    codes: set[str] = set()
    for row in body:
        if len(row) <= idx:
            continue
        if active_idx is not None and len(row) > active_idx and row[active_idx].strip().lower() in _INACTIVE:
            continue
        code = row[idx].strip().strip('"')
        if not code:
            continue
        if system == CodeSystem.readv2:
            code = normalise_read_code(code)
        codes.add(code)
    return codes


def read_left_out(code_list: CodeList) -> dict[tuple[str, str], str]:
    """(source file, code) -> reason, from `<system>.left_out.csv` beside the list (empty if absent)."""
    path = code_list.csv_path.with_name(f"{code_list.csv_path.stem}.left_out.csv")
    if not path.is_file():
        return {}
    out: dict[tuple[str, str], str] = {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            out[(row["source"].strip(), row["code"].strip())] = (row.get("reason") or "").strip()
    return out


def compare(code_list: CodeList, reference_root: Path) -> list[Comparison]:
    """Compare `code_list` with every published list it cites by file."""
    left_out_all = read_left_out(code_list)
    results: list[Comparison] = []
    for source in code_list.meta.sources:
        if not source.reference_file:
            continue
        comp = Comparison(list_name=code_list.name, source=source)
        ref_system = source.reference_code_system or code_list.meta.code_system
        if ref_system != code_list.meta.code_system:
            comp.comparable = False
            results.append(comp)
            continue
        comp.reference_codes = read_reference_codes(
            reference_root / source.reference_file, ref_system, source.reference_code_column
        )
        ours = {e.code for e in code_list.entries}
        for code in comp.reference_codes:
            if code_list.matches(code) is not None:
                comp.covered.add(code)
                if (source.reference_file, code) in left_out_all:
                    comp.contradictions.add(code)
            elif left_out_all.get((source.reference_file, code)):
                comp.left_out[code] = left_out_all[(source.reference_file, code)]
            else:
                comp.unexplained.add(code)
        comp.contradictions |= {c for (f, c) in left_out_all if f == source.reference_file and c in ours}
        results.append(comp)
    return results


def report_markdown(comparisons: list[Comparison]) -> str:
    lines = [
        "| our list | published list | published codes | covered | left out (with reason) | unexplained |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for c in comparisons:
        if not c.comparable:
            lines.append(
                f"| {c.list_name} | {c.source.reference_file} | (other code system: consulted only) | | | |"
            )
            continue
        lines.append(
            f"| {c.list_name} | {c.source.reference_file} | {len(c.reference_codes)} | "
            f"{len(c.covered)} ({c.coverage:.0%}) | {len(c.left_out)} | {len(c.unexplained)} |"
        )
    return "\n".join(lines) + "\n"


def default_reference_root() -> Path:
    """Where the published lists are in a source checkout: `../shared/reference/codelists` beside it."""
    return code_lists_dir().resolve().parent.parent / "shared" / "reference" / "codelists"


def compare_all(lists: dict[str, CodeList], reference_root: Path | None = None) -> list[Comparison]:
    """`compare` for every list that cites a published file, in list-name order.

    A missing reference folder is an InputError naming it (the published lists are not shipped with the tool).
    """
    root = Path(reference_root) if reference_root is not None else default_reference_root()
    if not root.is_dir():
        raise InputError(
            f"the published reference code lists are not at {root} (folder missing). They live in "
            "shared/reference/codelists beside the pain_finder checkout; pass --reference DIR to point at "
            "them"
        )
    out: list[Comparison] = []
    for name in sorted(lists):
        cl = lists[name]
        for source in cl.meta.sources:
            if source.reference_file and not (root / source.reference_file).is_file():
                raise InputError(f"{name} cites {source.reference_file}, which is not in {root}")
        out.extend(compare(cl, root))
    return out
